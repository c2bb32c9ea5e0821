import type { AppDatabase } from '../db/index.js';
import { prepared } from '../db/index.js';
import type { JudgementSource, Sentiment as SentimentLabel } from '../db/schema/index.js';
import { chooseLanguage } from '../ivr/index.js';
import { classifyComment, compileTaxonomy, DEFAULT_TAXONOMY, parseTaxonomy, type CompiledTaxonomy, type ProviderSentiment } from '../themes/index.js';

/** What a comment is judged to be about, as stored on its response. */
export interface CommentJudgement {
  themes: string[];
  themesSource: JudgementSource;
  sentiment: SentimentLabel;
  sentimentSource: JudgementSource;
}

// Compiled taxonomies by their stored JSON (null: the default): a client's taxonomy is compiled
// once per process, and a changed one is a new key.
const compiledByText = new Map<string | null, CompiledTaxonomy>();

/** The compiled taxonomy of the client that owns `listId` (the default one when it has none). */
export function taxonomyOfList(database: AppDatabase, listId: number): CompiledTaxonomy {
  const row = prepared(database, 'SELECT c.taxonomy AS taxonomy FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ?').get(listId) as
    | { taxonomy: string | null }
    | undefined;
  const text = row?.taxonomy ?? null;
  let compiled = compiledByText.get(text);
  if (!compiled) {
    compiled = compileTaxonomy(text === null ? DEFAULT_TAXONOMY : parseTaxonomy(JSON.parse(text), 'stored client taxonomy'));
    if (compiledByText.size > 100) compiledByText.clear();
    compiledByText.set(text, compiled);
  }
  return compiled;
}

interface ResponseText {
  id: number;
  list_id: number;
  comment_text: string | null;
  comment_language: string | null;
  themes_source: JudgementSource | null;
  sentiment_source: JudgementSource | null;
}

/**
 * Classifies a response's comment text with its client's taxonomy and stores the themes and the
 * sentiment. A person's correction (`manual`) is never overwritten; the provider's sentiment, when
 * given, wins over the engine's. Returns null when the response has no text. Synchronous: callable
 * inside a transaction.
 */
export function judgeComment(database: AppDatabase, responseId: number, providerSentiment?: ProviderSentiment): CommentJudgement | null {
  const row = prepared(
    database,
    'SELECT id, list_id, comment_text, comment_language, themes_source, sentiment_source FROM responses WHERE id = ?',
  ).get(responseId) as ResponseText | undefined;
  if (!row || row.comment_text === null || row.comment_text.trim() === '') return null;
  const classification = classifyComment({
    text: row.comment_text,
    language: chooseLanguage(row.comment_language, null),
    taxonomy: taxonomyOfList(database, row.list_id),
    ...(providerSentiment ? { providerSentiment } : {}),
  });
  const write = database.sqlite.transaction(() => {
    let themes: string[];
    let themesSource: JudgementSource;
    if (row.themes_source === 'manual') {
      themes = themesOf(database, row.id);
      themesSource = 'manual';
    } else {
      themes = classification.themes.map((theme) => theme.id);
      themesSource = 'engine';
      prepared(database, 'DELETE FROM response_themes WHERE response_id = ?').run(row.id);
      for (const theme of themes) {
        prepared(database, 'INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)').run(row.id, row.list_id, theme);
      }
    }
    // A manual sentiment stays; otherwise the provider's (classification prefers it) or the engine's.
    const keepSentiment = row.sentiment_source === 'manual';
    if (!keepSentiment) {
      prepared(database, 'UPDATE responses SET themes_source = ?, sentiment = ?, sentiment_source = ? WHERE id = ?').run(
        themesSource,
        classification.sentiment.label,
        classification.sentiment.source,
        row.id,
      );
    } else {
      prepared(database, 'UPDATE responses SET themes_source = ? WHERE id = ?').run(themesSource, row.id);
    }
    const stored = prepared(database, 'SELECT sentiment, sentiment_source FROM responses WHERE id = ?').get(row.id) as {
      sentiment: SentimentLabel;
      sentiment_source: JudgementSource;
    };
    return { themes, themesSource, sentiment: stored.sentiment, sentimentSource: stored.sentiment_source };
  });
  return write.immediate();
}

/** The stored themes of a response, in name order. */
export function themesOf(database: AppDatabase, responseId: number): string[] {
  return (prepared(database, 'SELECT theme FROM response_themes WHERE response_id = ? ORDER BY theme').all(responseId) as { theme: string }[]).map(
    (row) => row.theme,
  );
}
