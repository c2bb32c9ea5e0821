import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { SENTIMENTS, type JudgementSource, type Sentiment } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { maskPhone, type Logger } from '../logging/index.js';
import { DEFAULT_TAXONOMY, OTHER_THEME_ID, parseTaxonomy, type Taxonomy } from '../themes/index.js';
import { categoryOf, NPS_CATEGORIES, scoreRangeOf, type NpsCategory } from '../ivr/index.js';
import type { CommentStore, CorrectionRecord } from './comment-store.js';
import { judgeText, taxonomyOfList } from './judgement.js';
import type { CommentStores } from './stores.js';
import type { TaxonomyStore } from './taxonomy-store.js';

/**
 * What people do with judged comments: a client's own taxonomy, a person's correction of a
 * comment's themes (kept, audited, never overwritten by a re-run), the list of a list's comments,
 * and the re-classification of a list after its taxonomy changed. Nothing here logs the words of a
 * comment: they are personal data (docs/privacy.md).
 */

/** Who corrected a comment: the operator (CLI) or a client through the API with its own key. */
/** The sentiments a correction may set. */
export const SENTIMENT_CHOICES = SENTIMENTS;

export type CorrectionActor = { kind: 'operator' } | { kind: 'client'; clientId: number };

const actorName = (actor: CorrectionActor) => (actor.kind === 'operator' ? 'operator' : `client:${actor.clientId}`);

// ---------------------------------------------------------------------------------------------
// A client's taxonomy

export interface ClientTaxonomy {
  clientId: number;
  /** `default`, or `custom` (the client's own, stored). */
  kind: 'default' | 'custom';
  themes: string[];
}

/** The client's stored taxonomy; NOT_FOUND for an unknown client. */
async function storedTaxonomy(taxonomies: TaxonomyStore, clientId: number): Promise<{ custom: unknown }> {
  const stored = await taxonomies.ofClient(clientId);
  if (!stored) throw new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);
  return stored;
}

const parseStored = (clientId: number, custom: unknown): Taxonomy => (custom === null ? DEFAULT_TAXONOMY : parseTaxonomy(custom, `client ${clientId}'s stored taxonomy`));

/** Which taxonomy a client's lists are classified with. */
export async function clientTaxonomy(taxonomies: TaxonomyStore, clientId: number): Promise<ClientTaxonomy> {
  const { custom } = await storedTaxonomy(taxonomies, clientId);
  return { clientId, kind: custom === null ? 'default' : 'custom', themes: parseStored(clientId, custom).themes.map((t) => t.id) };
}

/** The stored taxonomy of a client as a Taxonomy (the default one when it has none). */
export async function taxonomyOfClient(taxonomies: TaxonomyStore, clientId: number): Promise<Taxonomy> {
  return parseStored(clientId, (await storedTaxonomy(taxonomies, clientId)).custom);
}

/**
 * Sets a client's taxonomy (`null`: back to the default). `value` is validated with parseTaxonomy,
 * whose error names `source` (e.g. the file), the theme, the language and the phrase. Lists already
 * classified keep their themes until `comments reclassify`.
 */
export async function setClientTaxonomy(taxonomies: TaxonomyStore, input: { clientId: number; taxonomy: unknown; source: string }): Promise<ClientTaxonomy> {
  await storedTaxonomy(taxonomies, input.clientId);
  const taxonomy = input.taxonomy === null ? null : parseTaxonomy(input.taxonomy, input.source);
  await taxonomies.setForClient(input.clientId, taxonomy);
  return clientTaxonomy(taxonomies, input.clientId);
}

/** A client by id (digits) or by exact name; a name shared by several clients is refused. */
export async function findClientId(taxonomies: TaxonomyStore, nameOrId: string): Promise<number> {
  if (/^[1-9]\d{0,15}$/.test(nameOrId)) {
    const clientId = Number(nameOrId);
    await storedTaxonomy(taxonomies, clientId);
    return clientId;
  }
  const ids = await taxonomies.clientsNamed(nameOrId);
  if (ids.length === 0) throw new AppError('NOT_FOUND', `no client is named '${nameOrId}'; see \`nps-dialer clients list\``);
  if (ids.length > 1) throw new AppError('USAGE', `${ids.length} clients are named '${nameOrId}' (ids ${ids.join(', ')}); give the id`);
  return ids[0]!;
}

// ---------------------------------------------------------------------------------------------
// Corrections

/** PUT /api/v1/lists/:listId/comments/:responseId/themes and `comments set-themes`. */
export const ThemesCorrection = z.strictObject(
  {
    themes: z
      .array(z.string().trim().min(1, 'a theme id must not be empty').max(64, 'a theme id has at most 64 characters'), { error: 'must be an array of theme ids, e.g. ["price", "service"]' })
      .min(1, `give at least one theme ('${OTHER_THEME_ID}' when the comment is about none)`)
      .max(20, 'at most 20 themes'),
    sentiment: z.enum(SENTIMENTS, { error: (issue) => `must be one of ${SENTIMENTS.join(', ')}, got ${JSON.stringify(issue.input)}` }).optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object like {"themes": ["price"], "sentiment": "negative"}' : undefined) },
);
export type ThemesCorrection = z.infer<typeof ThemesCorrection>;

export interface CorrectionResult {
  responseId: number;
  listId: number;
  themes: string[];
  themesSource: JudgementSource;
  sentiment: Sentiment | null;
  sentimentSource: JudgementSource | null;
  /** The audit row written, or null when the correction changed nothing (a repeated request). */
  correctionId: number | null;
}

export interface CurationDeps extends CommentStores {
  clock: Clock;
  logger?: Logger | undefined;
}

/**
 * Sets a comment's themes (and optionally its sentiment) by hand: stored with source `manual`, so
 * no re-classification touches them, and audited in theme_corrections (who, when, the theme ids
 * before and after; never the words). A client reaches only comments of its own lists: another
 * client's, or a list the response is not in, is NOT_FOUND like a missing one. Theme ids must be
 * themes of the list's client's taxonomy (or `other`). A repeat that changes nothing writes no
 * audit row.
 */
export async function correctThemes(deps: CurationDeps, input: { responseId: number; listId?: number | undefined; actor: CorrectionActor; correction: unknown }): Promise<CorrectionResult> {
  const parsed = ThemesCorrection.safeParse(input.correction);
  if (!parsed.success) {
    throw new AppError('INPUT_INVALID', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  const row = await deps.comments.correctionTarget(input.responseId);
  const where = input.listId === undefined ? '' : ` in list ${input.listId}`;
  const notFound = () => new AppError('NOT_FOUND', `comment ${input.responseId}${where} does not exist`);
  if (!row || (input.listId !== undefined && row.listId !== input.listId) || (input.actor.kind === 'client' && row.clientId !== input.actor.clientId)) throw notFound();
  if (row.textStatus !== 'ready') {
    throw new AppError('CONFLICT', `response ${row.responseId} has no comment with words (its text is ${row.textStatus}); only comments with words have themes`);
  }
  const accepted = [...new Set([...(await taxonomyOfList(deps.taxonomies, row.listId)).taxonomy.themes.map((t) => t.id), OTHER_THEME_ID])];
  const themes = [...new Set(parsed.data.themes)].sort();
  const unknown = themes.filter((t) => !accepted.includes(t));
  if (unknown.length > 0) {
    throw new AppError('INPUT_INVALID', `themes: ${unknown.map((t) => `'${t}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a theme of this client's taxonomy; accepted: ${accepted.join(', ')}`);
  }
  const stored = await deps.comments.correct({ responseId: row.responseId, themes, sentiment: parsed.data.sentiment, actor: actorName(input.actor), at: deps.clock.now() });
  // Erased (or its words gone) since it was read: there is no comment to correct any more.
  if (!stored) throw notFound();
  const result: CorrectionResult = { responseId: row.responseId, listId: row.listId, ...stored };
  deps.logger?.info('comment themes corrected', { responseId: row.responseId, listId: row.listId, actor: actorName(input.actor), themes: result.themes, correctionId: result.correctionId });
  return result;
}

export interface ThemeCorrectionView {
  id: number;
  actor: string;
  before: string[];
  after: string[];
  correctedAt: string;
}

/** The audit trail of one comment, oldest first. */
export async function correctionsOf(comments: CommentStore, responseId: number): Promise<ThemeCorrectionView[]> {
  return (await comments.correctionsOf(responseId)).map((c: CorrectionRecord) => ({ ...c, correctedAt: new Date(c.correctedAt).toISOString() }));
}

// ---------------------------------------------------------------------------------------------
// Listing


/** GET /api/v1/lists/:listId/comments and `comments list`: the filters, as strings. */
export const CommentsQuery = z.strictObject({
  theme: z.string().trim().min(1, 'must be a theme id').max(64, 'must be a theme id').optional(),
  category: z.enum(NPS_CATEGORIES, { error: (issue) => `must be one of ${NPS_CATEGORIES.join(', ')}, got '${String(issue.input)}'` }).optional(),
});
export type CommentsQuery = z.infer<typeof CommentsQuery>;

export interface CommentView {
  responseId: number;
  score: number;
  category: NpsCategory;
  /** The words; null once retention removed them (the themes stay). */
  text: string | null;
  language: string | null;
  themes: string[];
  themesSource: JudgementSource | null;
  sentiment: Sentiment | null;
  sentimentSource: JudgementSource | null;
  /** The keypad reason's choice key. */
  reason: string | null;
  respondedAt: string;
  /** The operator's view only, masked to the last digits; a client's view never has it. */
  phone?: string;
}

/**
 * The comments with words of a list, detractors first (lowest score first), then by response.
 * `clientId` scopes to that client's lists (another client's list is NOT_FOUND) and leaves out the
 * phone number; the operator's view (no clientId) shows it masked.
 */
export async function listComments(comments: CommentStore, input: { listId: number; clientId?: number | undefined; query: CommentsQuery }): Promise<CommentView[]> {
  const list = await comments.listOwner(input.listId);
  if (!list || (input.clientId !== undefined && list.clientId !== input.clientId)) throw new AppError('NOT_FOUND', `list ${input.listId} does not exist`);
  const [minScore, maxScore] = input.query.category ? scoreRangeOf(input.query.category) : [0, 10];
  const rows = await comments.commentsOfList(input.listId, { minScore, maxScore, theme: input.query.theme });
  return rows.map(({ phone, respondedAt, ...r }) => ({
    ...r,
    category: categoryOf(r.score),
    respondedAt: new Date(respondedAt).toISOString(),
    ...(input.clientId === undefined ? { phone: maskPhone(phone) } : {}),
  }));
}

// ---------------------------------------------------------------------------------------------
// Re-classification

export interface ReclassifySummary {
  listId: number;
  /** Comments given themes by the engine again. */
  classified: number;
  /** Comments whose themes a person set: left as they are. */
  keptManual: number;
  /** Of the classified, those whose themes are now different. */
  changed: number;
}

/**
 * Classifies every comment with words of a list again with its client's current taxonomy (after a
 * taxonomy change). Corrections (`manual`) are kept and counted; the provider's sentiment stays the
 * provider's. Each comment is its own short transaction: a crash leaves a partly re-classified list
 * that a second run completes.
 */
export async function reclassifyList(deps: CurationDeps, listId: number): Promise<ReclassifySummary> {
  if (!(await deps.comments.listOwner(listId))) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
  const rows = await deps.comments.commentsWithWords(listId);
  const summary: ReclassifySummary = { listId, classified: 0, keptManual: 0, changed: 0 };
  for (const row of rows) {
    if (row.themesSource === 'manual') {
      summary.keptManual++;
      continue;
    }
    if (row.text === null || row.text.trim() === '') continue;
    // Only the provider's label is stored; passing it back keeps it (and its source) as it was.
    const provider = row.sentimentSource === 'provider' && row.sentiment ? { label: row.sentiment, score: 0 } : undefined;
    const judgement = judgeText(await taxonomyOfList(deps.taxonomies, listId), { text: row.text, language: row.language }, provider);
    const judged = await deps.comments.recordJudgement(row.responseId, judgement);
    if (!judged) continue;
    summary.classified++;
    if ([...judged.themes].sort().join(',') !== row.themes.join(',')) summary.changed++;
  }
  deps.logger?.info('list re-classified', { ...summary });
  return summary;
}
