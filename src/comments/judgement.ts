import { chooseLanguage } from '../ivr/index.js';
import { classifyComment, compileTaxonomy, DEFAULT_TAXONOMY, parseTaxonomy, type CompiledTaxonomy, type ProviderSentiment } from '../themes/index.js';
import type { CommentJudgement, EngineJudgement } from './comment-store.js';
import type { CommentStores } from './stores.js';
import type { TaxonomyStore } from './taxonomy-store.js';

// Compiled taxonomies by their stored JSON (null: the default): a client's taxonomy is compiled
// once per process, and a changed one is a new key.
const compiledByText = new Map<string | null, CompiledTaxonomy>();

/** A client's stored taxonomy (its JSON document; null: the default), compiled once per process. */
export function compiledTaxonomy(custom: unknown): CompiledTaxonomy {
  const text = custom === null || custom === undefined ? null : JSON.stringify(custom);
  let compiled = compiledByText.get(text);
  if (!compiled) {
    compiled = compileTaxonomy(text === null ? DEFAULT_TAXONOMY : parseTaxonomy(custom, 'stored client taxonomy'));
    if (compiledByText.size > 100) compiledByText.clear();
    compiledByText.set(text, compiled);
  }
  return compiled;
}

/** The compiled taxonomy of the client that owns `listId` (the default one when it has none). */
export async function taxonomyOfList(taxonomies: TaxonomyStore, listId: number): Promise<CompiledTaxonomy> {
  return compiledTaxonomy(await taxonomies.ofList(listId));
}

/** What the engine makes of a comment's words with `taxonomy`; the provider's sentiment, when given, wins over the engine's. */
export function judgeText(taxonomy: CompiledTaxonomy, comment: { text: string; language: string | null }, providerSentiment?: ProviderSentiment): EngineJudgement {
  const classification = classifyComment({
    text: comment.text,
    language: chooseLanguage(comment.language, null),
    taxonomy,
    ...(providerSentiment ? { providerSentiment } : {}),
  });
  return { themes: classification.themes.map((theme) => theme.id), sentiment: classification.sentiment.label, sentimentSource: classification.sentiment.source };
}

/**
 * Classifies a response's comment text with its client's taxonomy and stores the themes and the
 * sentiment. A person's correction (`manual`) is never overwritten; the provider's sentiment, when
 * given, wins over the engine's. Returns null when the response has no text.
 */
export async function judgeComment(stores: CommentStores, responseId: number, providerSentiment?: ProviderSentiment): Promise<CommentJudgement | null> {
  const comment = await stores.comments.commentToJudge(responseId);
  if (!comment || comment.text === null || comment.text.trim() === '') return null;
  const judgement = judgeText(await taxonomyOfList(stores.taxonomies, comment.listId), { text: comment.text, language: comment.language }, providerSentiment);
  return (await stores.comments.recordJudgement(responseId, judgement)) ?? null;
}
