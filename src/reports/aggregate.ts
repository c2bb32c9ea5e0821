import type { SqlReader } from '../db/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import { MAX_SEGMENT_VALUES } from './model.js';

/**
 * The one pass over a list's contacts (joined with their responses) that the report needs:
 * totals, comment counts, the counts the why section starts from, and the counts per attribute
 * value and per language. The contacts are read in pages of consecutive ids, each grouped in SQL
 * by attributes, language and country, and the pages' groups are added up here by the same key.
 *
 * Why pages: SQLite groups by sorting, and sorting a million rows at once cost 1.4–1.7 s where
 * sorting them 5,000 at a time cost 1.1–1.2 s (scripts/bench/report.ts), about what the aggregate
 * function in TypeScript it replaces cost (SqlReader has no such functions: PostgreSQL would need
 * one in PL/pgSQL). Rows never cross into JavaScript one by one, only a page's groups (a few
 * hundred for region × segment × agent), and no page holds more than PAGE_ROWS contacts' groups,
 * so memory stays flat on both backends (node-postgres reads a whole result into memory).
 *
 * Memory is bounded here too: at most MAX_DISTINCT_KEYS distinct attribute objects are kept
 * (region × segment × agent gives a few hundred); past that, as with an id column, every group is
 * folded into the per-attribute counts at once, and an attribute with more than
 * MAX_SEGMENT_VALUES values is dropped.
 */

export interface CellCounts {
  contacts: number;
  /** Contacts not suppressed or capped: the frame the answers were drawn from (finite population correction). */
  eligible: number;
  responses: number;
  promoters: number;
  detractors: number;
  /** Callers who left a voice comment (downloaded, pending or failed): the per-agent results show it. */
  comments: number;
}

export interface CommentCounts {
  recorded: number;
  downloaded: number;
  pending: number;
  failed: number;
  totalSeconds: number;
}

/** What the why section and the funnel count over every response, so that neither reads them all again. */
export interface ResponseCounts {
  /** Comment text states: words (`ready`), none in the recording (`empty`), awaited, failed. */
  textReady: number;
  textEmpty: number;
  textPending: number;
  textFailed: number;
  /** Spoken comments whose audio the provider did not keep (comment status `none`, words ready or awaited). */
  spokenWithoutAudio: number;
  /** Responses with a keypad reason, and respondents whose contact has a value. */
  withReason: number;
  withValue: number;
}

export interface PassResult {
  total: CellCounts;
  /** Responses per score 0–10. */
  scores: number[];
  comments: CommentCounts;
  responses: ResponseCounts;
  /** [attribute, values] in first-seen order; values null when the attribute had too many. */
  attributes: [string, [string, CellCounts][] | null][];
  /** The contacts' own language column and their number's country ("pl-PL/PL", "/RU"; '' when empty), before the survey language is chosen. */
  languages: [string, CellCounts][];
}

export const MAX_DISTINCT_KEYS = 10_000;

/** Separates the attributes JSON from the language in a key; JSON text never holds a raw newline. */
export const KEY_SEPARATOR = '\n';

/** Contacts per page: the sort of a page stays in the CPU's caches; 20,000 measured the same. */
const PAGE_ROWS = 5_000;

export const emptyCounts = (): CellCounts => ({ contacts: 0, eligible: 0, responses: 0, promoters: 0, detractors: 0, comments: 0 });

export function addCounts(into: CellCounts, from: CellCounts): void {
  into.contacts += from.contacts;
  into.eligible += from.eligible;
  into.responses += from.responses;
  into.promoters += from.promoters;
  into.detractors += from.detractors;
  into.comments += from.comments;
}

/** Adds up the pass's groups by attribute object and language; then splits them by attribute. */
export class ReportAccumulator {
  readonly #total = emptyCounts();
  /** Counts per distinct key; null once there were too many keys to keep. */
  #byKey: Map<string, CellCounts> | null = new Map();
  readonly #attributes = new Map<string, Map<string, CellCounts> | null>();
  readonly #languages = new Map<string, CellCounts>();

  /** `key`: the attributes JSON, KEY_SEPARATOR, then the language key ("pl-PL/PL"). */
  add(key: string, counts: CellCounts): void {
    addCounts(this.#total, counts);
    if (this.#byKey) {
      const cell = this.#byKey.get(key);
      if (cell) {
        addCounts(cell, counts);
        return;
      }
      if (this.#byKey.size < MAX_DISTINCT_KEYS) {
        const fresh = emptyCounts();
        addCounts(fresh, counts);
        this.#byKey.set(key, fresh);
        return;
      }
      this.#foldAll();
    }
    this.#fold(key, counts);
  }

  result(): Pick<PassResult, 'total' | 'attributes' | 'languages'> {
    this.#foldAll();
    return {
      total: this.#total,
      attributes: [...this.#attributes].map(([key, values]) => [key, values ? [...values] : null]),
      languages: [...this.#languages],
    };
  }

  #foldAll(): void {
    if (!this.#byKey) return;
    const byKey = this.#byKey;
    this.#byKey = null;
    for (const [key, counts] of byKey) this.#fold(key, counts);
  }

  #fold(key: string, counts: CellCounts): void {
    const split = key.lastIndexOf(KEY_SEPARATOR);
    const language = split < 0 ? '' : key.slice(split + 1);
    let byLanguage = this.#languages.get(language);
    if (!byLanguage) this.#languages.set(language, (byLanguage = emptyCounts()));
    addCounts(byLanguage, counts);
    let parsed: unknown;
    try {
      parsed = JSON.parse(split < 0 ? key : key.slice(0, split));
    } catch {
      // We wrote the column; a damaged value loses its breakdowns, not the report.
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
    for (const [attribute, raw] of Object.entries(parsed as Record<string, unknown>)) {
      if (raw === null || raw === undefined || raw === '') continue;
      const value = String(raw);
      let values = this.#attributes.get(attribute);
      if (values === null) continue;
      if (values === undefined) this.#attributes.set(attribute, (values = new Map()));
      let cell = values.get(value);
      if (!cell) {
        if (values.size >= MAX_SEGMENT_VALUES) {
          this.#attributes.set(attribute, null);
          continue;
        }
        values.set(value, (cell = emptyCounts()));
      }
      addCounts(cell, counts);
    }
  }
}

/** One group of a page: the contacts sharing attributes, language and country. */
interface GroupRow extends ResponseCounts {
  attributes: string;
  language: string | null;
  country: string | null;
  contacts: number;
  eligible: number;
  responses: number;
  promoters: number;
  detractors: number;
  downloaded: number;
  pending: number;
  failed: number;
  seconds: number;
}

const count = (condition: string) => `sum(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/** The pass's groups of the contacts `where` selects (c: contacts, r: their response). */
const groupsSql = (where: string) => `
  SELECT c.attributes, c.language, c.country, count(*) AS contacts,
    ${count(`c.status NOT IN ('suppressed', 'capped')`)} AS eligible, count(r.score) AS responses,
    ${count(promoterSql('r.score'))} AS promoters, ${count(detractorSql('r.score'))} AS detractors,
    ${count(`r.comment_status = 'downloaded'`)} AS downloaded, ${count(`r.comment_status = 'pending'`)} AS pending,
    ${count(`r.comment_status = 'failed'`)} AS failed,
    sum(CASE WHEN r.comment_status <> 'none' THEN coalesce(r.comment_seconds, 0) ELSE 0 END) AS seconds,
    ${count(`r.comment_text_status = 'ready'`)} AS "textReady", ${count(`r.comment_text_status = 'empty'`)} AS "textEmpty",
    ${count(`r.comment_text_status = 'pending'`)} AS "textPending", ${count(`r.comment_text_status = 'failed'`)} AS "textFailed",
    ${count(`r.comment_status = 'none' AND r.comment_text_status IN ('ready', 'pending')`)} AS "spokenWithoutAudio",
    ${count('r.reason IS NOT NULL')} AS "withReason", ${count('r.id IS NOT NULL AND c.value IS NOT NULL')} AS "withValue"
  FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id
  WHERE ${where} GROUP BY c.attributes, c.language, c.country`;

// `+c.list_id` keeps SQLite on the id range (the table in order) instead of the list's index,
// which is not ordered by id; PostgreSQL reads the range through its primary key either way.
const PAGE_SQL = groupsSql('c.id > ? AND c.id <= ? AND +c.list_id = ?');
const LIST_SQL = groupsSql('c.list_id = ?');

/**
 * A list whose contacts are spread thinly among other lists' (a list of triggered surveys, filled
 * one contact at a time) is read in one statement through the list's index: its id range would be
 * mostly other lists' rows. Reading a row in id order costs a fraction of finding it through the
 * index, hence a quarter.
 */
const MIN_DENSITY = 0.25;

/** Runs the pass over one list. */
export async function runReportPass(reader: SqlReader, listId: number): Promise<PassResult> {
  const extent = (await reader.get<{ n: number; low: number | null; high: number | null }>('SELECT count(*) AS n, min(id) AS low, max(id) AS high FROM contacts WHERE list_id = ?', [
    listId,
  ]))!;
  const accumulator = new ReportAccumulator();
  const comments: CommentCounts = { recorded: 0, downloaded: 0, pending: 0, failed: 0, totalSeconds: 0 };
  const responses: ResponseCounts = { textReady: 0, textEmpty: 0, textPending: 0, textFailed: 0, spokenWithoutAudio: 0, withReason: 0, withValue: 0 };
  const add = (groups: GroupRow[]) => {
    for (const g of groups) {
      const key = `${g.attributes}${KEY_SEPARATOR}${g.language ?? ''}/${g.country ?? ''}`;
      const commented = g.downloaded + g.pending + g.failed;
      accumulator.add(key, { contacts: g.contacts, eligible: g.eligible, responses: g.responses, promoters: g.promoters, detractors: g.detractors, comments: commented });
      comments.recorded += commented;
      comments.downloaded += g.downloaded;
      comments.pending += g.pending;
      comments.failed += g.failed;
      comments.totalSeconds += g.seconds;
      for (const k of Object.keys(responses) as (keyof ResponseCounts)[]) responses[k] += g[k];
    }
  };
  if (extent.low !== null && extent.high !== null) {
    const span = extent.high - extent.low + 1;
    if (extent.n >= span * MIN_DENSITY) {
      // Pages of ids holding about PAGE_ROWS of the list's contacts each.
      const step = Math.ceil((PAGE_ROWS * span) / extent.n);
      for (let after = extent.low - 1; after < extent.high; after += step) add(await reader.all<GroupRow>(PAGE_SQL, [after, Math.min(after + step, extent.high), listId]));
    } else {
      add(await reader.all<GroupRow>(LIST_SQL, [listId]));
    }
  }
  return { ...accumulator.result(), scores: await scoreHistogram(reader, listId), comments, responses };
}

/** Responses per score 0–10, from the responses' list index alone. */
export async function scoreHistogram(reader: SqlReader, listId: number): Promise<number[]> {
  const scores = Array.from({ length: 11 }, () => 0);
  for (const { score, n } of await reader.all<{ score: number; n: number }>('SELECT score, count(*) AS n FROM responses WHERE list_id = ? GROUP BY score', [listId])) {
    if (score >= 0 && score <= 10) scores[score] = n;
  }
  return scores;
}
