import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import { SENTIMENTS, type JudgementSource, type Sentiment } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { maskPhone, type Logger } from '../logging/index.js';
import { DEFAULT_TAXONOMY, OTHER_THEME_ID, parseTaxonomy, type Taxonomy } from '../themes/index.js';
import { categoryOf, NPS_CATEGORIES, scoreRangeOf, type NpsCategory } from '../ivr/index.js';
import { judgeComment, taxonomyOfList, themesOf } from './judgement.js';

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

function clientRow(database: AppDatabase, clientId: number): { id: number; taxonomy: string | null } {
  const row = prepared(database, 'SELECT id, taxonomy FROM clients WHERE id = ?').get(clientId) as { id: number; taxonomy: string | null } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);
  return row;
}

/** Which taxonomy a client's lists are classified with. */
export function clientTaxonomy(database: AppDatabase, clientId: number): ClientTaxonomy {
  const row = clientRow(database, clientId);
  const taxonomy: Taxonomy = row.taxonomy === null ? DEFAULT_TAXONOMY : parseTaxonomy(JSON.parse(row.taxonomy), `client ${clientId}'s stored taxonomy`);
  return { clientId, kind: row.taxonomy === null ? 'default' : 'custom', themes: taxonomy.themes.map((t) => t.id) };
}

/** The stored taxonomy of a client as a Taxonomy (the default one when it has none). */
export function taxonomyOfClient(database: AppDatabase, clientId: number): Taxonomy {
  const row = clientRow(database, clientId);
  return row.taxonomy === null ? DEFAULT_TAXONOMY : parseTaxonomy(JSON.parse(row.taxonomy), `client ${clientId}'s stored taxonomy`);
}

/**
 * Sets a client's taxonomy (`null`: back to the default). `value` is validated with parseTaxonomy,
 * whose error names `source` (e.g. the file), the theme, the language and the phrase. Lists already
 * classified keep their themes until `comments reclassify`.
 */
export function setClientTaxonomy(database: AppDatabase, input: { clientId: number; taxonomy: unknown; source: string }): ClientTaxonomy {
  clientRow(database, input.clientId);
  const text = input.taxonomy === null ? null : JSON.stringify(parseTaxonomy(input.taxonomy, input.source));
  prepared(database, 'UPDATE clients SET taxonomy = ? WHERE id = ?').run(text, input.clientId);
  return clientTaxonomy(database, input.clientId);
}

/** A client by id (digits) or by exact name; a name shared by several clients is refused. */
export function findClientId(database: AppDatabase, nameOrId: string): number {
  if (/^[1-9]\d{0,15}$/.test(nameOrId)) return clientRow(database, Number(nameOrId)).id;
  const rows = prepared(database, 'SELECT id FROM clients WHERE name = ?').all(nameOrId) as { id: number }[];
  if (rows.length === 0) throw new AppError('NOT_FOUND', `no client is named '${nameOrId}'; see \`nps-dialer clients list\``);
  if (rows.length > 1) throw new AppError('USAGE', `${rows.length} clients are named '${nameOrId}' (ids ${rows.map((r) => r.id).join(', ')}); give the id`);
  return rows[0]!.id;
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

export interface CurationDeps {
  database: AppDatabase;
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
export function correctThemes(deps: CurationDeps, input: { responseId: number; listId?: number | undefined; actor: CorrectionActor; correction: unknown }): CorrectionResult {
  const parsed = ThemesCorrection.safeParse(input.correction);
  if (!parsed.success) {
    throw new AppError('INPUT_INVALID', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  const { database } = deps;
  const row = prepared(
    database,
    `SELECT r.id, r.list_id AS listId, l.client_id AS clientId, r.comment_text_status AS textStatus, r.themes_source AS themesSource,
            r.sentiment, r.sentiment_source AS sentimentSource
     FROM responses r JOIN lists l ON l.id = r.list_id WHERE r.id = ?`,
  ).get(input.responseId) as
    | { id: number; listId: number; clientId: number | null; textStatus: string; themesSource: JudgementSource | null; sentiment: Sentiment | null; sentimentSource: JudgementSource | null }
    | undefined;
  const where = input.listId === undefined ? '' : ` in list ${input.listId}`;
  if (!row || (input.listId !== undefined && row.listId !== input.listId) || (input.actor.kind === 'client' && row.clientId !== input.actor.clientId)) {
    throw new AppError('NOT_FOUND', `comment ${input.responseId}${where} does not exist`);
  }
  if (row.textStatus !== 'ready') {
    throw new AppError('CONFLICT', `response ${row.id} has no comment with words (its text is ${row.textStatus}); only comments with words have themes`);
  }
  const accepted = [...new Set([...taxonomyOfList(database, row.listId).taxonomy.themes.map((t) => t.id), OTHER_THEME_ID])];
  const themes = [...new Set(parsed.data.themes)].sort();
  const unknown = themes.filter((t) => !accepted.includes(t));
  if (unknown.length > 0) {
    throw new AppError('INPUT_INVALID', `themes: ${unknown.map((t) => `'${t}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a theme of this client's taxonomy; accepted: ${accepted.join(', ')}`);
  }
  const now = deps.clock.now();
  const result = database.sqlite
    .transaction((): CorrectionResult => {
      const before = themesOf(database, row.id);
      const sentimentChanged = parsed.data.sentiment !== undefined && (parsed.data.sentiment !== row.sentiment || row.sentimentSource !== 'manual');
      const themesChanged = row.themesSource !== 'manual' || before.join(',') !== themes.join(',');
      let correctionId: number | null = null;
      if (themesChanged) {
        prepared(database, 'DELETE FROM response_themes WHERE response_id = ?').run(row.id);
        for (const theme of themes) prepared(database, 'INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)').run(row.id, row.listId, theme);
        prepared(database, `UPDATE responses SET themes_source = 'manual' WHERE id = ?`).run(row.id);
      }
      if (sentimentChanged) prepared(database, `UPDATE responses SET sentiment = ?, sentiment_source = 'manual' WHERE id = ?`).run(parsed.data.sentiment, row.id);
      if (themesChanged || sentimentChanged) {
        // before/after hold theme ids only (docs/privacy.md): the audit may outlive the words.
        correctionId = (
          prepared(database, 'INSERT INTO theme_corrections (response_id, list_id, actor, before, after, corrected_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id').get(
            row.id,
            row.listId,
            actorName(input.actor),
            JSON.stringify(before),
            JSON.stringify(themes),
            now,
          ) as { id: number }
        ).id;
      }
      const stored = prepared(database, 'SELECT sentiment, sentiment_source AS sentimentSource, themes_source AS themesSource FROM responses WHERE id = ?').get(row.id) as {
        sentiment: Sentiment | null;
        sentimentSource: JudgementSource | null;
        themesSource: JudgementSource;
      };
      return { responseId: row.id, listId: row.listId, themes: themesOf(database, row.id), ...stored, correctionId };
    })
    .immediate();
  deps.logger?.info('comment themes corrected', { responseId: row.id, listId: row.listId, actor: actorName(input.actor), themes: result.themes, correctionId: result.correctionId });
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
export function correctionsOf(database: AppDatabase, responseId: number): ThemeCorrectionView[] {
  return (
    prepared(database, 'SELECT id, actor, before, after, corrected_at AS correctedAt FROM theme_corrections WHERE response_id = ? ORDER BY id').all(responseId) as {
      id: number;
      actor: string;
      before: string;
      after: string;
      correctedAt: number;
    }[]
  ).map((c) => ({ ...c, before: JSON.parse(c.before) as string[], after: JSON.parse(c.after) as string[], correctedAt: new Date(c.correctedAt).toISOString() }));
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
export function listComments(database: AppDatabase, input: { listId: number; clientId?: number | undefined; query: CommentsQuery }): CommentView[] {
  const list = prepared(database, 'SELECT id, client_id AS clientId FROM lists WHERE id = ?').get(input.listId) as { id: number; clientId: number | null } | undefined;
  if (!list || (input.clientId !== undefined && list.clientId !== input.clientId)) throw new AppError('NOT_FOUND', `list ${input.listId} does not exist`);
  const [low, high] = input.query.category ? scoreRangeOf(input.query.category) : [0, 10];
  const rows = prepared(
    database,
    `SELECT r.id AS responseId, r.score, r.comment_text AS text, r.comment_language AS language, r.themes_source AS themesSource, r.sentiment,
            r.sentiment_source AS sentimentSource, r.reason, r.created_at AS respondedAt, c.phone_e164 AS phone,
            (SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = r.id ORDER BY theme)) AS themes
     FROM responses r JOIN contacts c ON c.id = r.contact_id
     WHERE r.list_id = @listId AND r.comment_text_status = 'ready' AND r.score BETWEEN @low AND @high
       AND (@theme IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = r.id AND t.theme = @theme))
     ORDER BY r.score, r.id`,
  ).all({ listId: input.listId, low, high, theme: input.query.theme ?? null }) as (Omit<CommentView, 'themes' | 'category' | 'respondedAt' | 'phone'> & {
    themes: string | null;
    respondedAt: number;
    phone: string;
  })[];
  return rows.map(({ phone, themes, respondedAt, ...r }) => ({
    ...r,
    category: categoryOf(r.score),
    themes: themes ? themes.split(',') : [],
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
export function reclassifyList(deps: CurationDeps, listId: number): ReclassifySummary {
  const { database } = deps;
  if (!prepared(database, 'SELECT 1 FROM lists WHERE id = ?').get(listId)) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
  const rows = prepared(
    database,
    `SELECT id, themes_source AS themesSource, sentiment, sentiment_source AS sentimentSource FROM responses
     WHERE list_id = ? AND comment_text_status = 'ready' AND comment_text IS NOT NULL ORDER BY id`,
  ).all(listId) as { id: number; themesSource: JudgementSource | null; sentiment: Sentiment | null; sentimentSource: JudgementSource | null }[];
  const summary: ReclassifySummary = { listId, classified: 0, keptManual: 0, changed: 0 };
  for (const row of rows) {
    if (row.themesSource === 'manual') {
      summary.keptManual++;
      continue;
    }
    const before = themesOf(database, row.id).join(',');
    // Only the provider's label is stored; passing it back keeps it (and its source) as it was.
    const provider = row.sentimentSource === 'provider' && row.sentiment ? { label: row.sentiment, score: 0 } : undefined;
    const judged = judgeComment(database, row.id, provider);
    if (!judged) continue;
    summary.classified++;
    if ([...judged.themes].sort().join(',') !== before) summary.changed++;
  }
  deps.logger?.info('list re-classified', { ...summary });
  return summary;
}
