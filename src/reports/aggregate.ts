import type Database from 'better-sqlite3';
import { categoryOf } from '../ivr/index.js';
import { MAX_SEGMENT_VALUES } from './model.js';

/**
 * The one pass over a list's contacts (joined with their responses) that the report needs:
 * totals, the 0–10 histogram, comment counts, and the counts per attribute value and per
 * language. It runs as a SQL aggregate function implemented here, because SQLite can only group
 * by sorting: GROUP BY attributes sorted a million rows and cost about twice as much as this hash
 * aggregation (scripts/bench/report.ts). Each row crosses into JavaScript as two values, a text key
 * and an integer code, because every argument of a JS function costs 60–100 ms per million rows.
 *
 * Memory is bounded: at most MAX_DISTINCT_KEYS distinct attribute objects are kept (region ×
 * segment × agent gives a few hundred); past that, as with an id column, every row is folded into
 * the per-attribute counts at once, and an attribute with more than MAX_SEGMENT_VALUES values is
 * dropped.
 */

export interface CellCounts {
  contacts: number;
  /** Contacts not suppressed or capped: the frame the answers were drawn from (finite population correction). */
  eligible: number;
  responses: number;
  promoters: number;
  detractors: number;
  /** Callers who left a voice comment (any comment status but none): the per-agent results show it. */
  comments: number;
}

export interface CommentCounts {
  recorded: number;
  downloaded: number;
  pending: number;
  failed: number;
  totalSeconds: number;
}

export interface PassResult {
  total: CellCounts;
  scores: number[];
  comments: CommentCounts;
  /** [attribute, values] in first-seen order; values null when the attribute had too many. */
  attributes: [string, [string, CellCounts][] | null][];
  /** The contacts' own language column and their number's country ("pl-PL/PL", "/RU"; '' when empty), before the survey language is chosen. */
  languages: [string, CellCounts][];
}

export const MAX_DISTINCT_KEYS = 10_000;

/** Separates the attributes JSON from the language in a key; JSON text never holds a raw newline. */
export const KEY_SEPARATOR = '\n';

const COMMENT_CODES = ['none', 'downloaded', 'pending', 'failed'] as const;

/**
 * A row as one integer: bits 0–3 score + 1 (0 = no answer), bit 4 outside the frame (suppressed or
 * capped), bits 5–6 the comment status. ROW_CODE_SQL computes the same in SQL.
 */
export function encodeRow(row: { score: number | null; suppressed: boolean; commentStatus: string | null }): number {
  const comment = Math.max(0, COMMENT_CODES.indexOf((row.commentStatus ?? 'none') as (typeof COMMENT_CODES)[number]));
  return (row.score === null ? 0 : row.score + 1) + (row.suppressed ? 16 : 0) + 32 * comment;
}

const ROW_CODE_SQL = `coalesce(r.score + 1, 0) + 16 * (c.status IN ('suppressed', 'capped'))
  + 32 * (CASE r.comment_status WHEN 'downloaded' THEN 1 WHEN 'pending' THEN 2 WHEN 'failed' THEN 3 ELSE 0 END)`;
const ROW_KEY_SQL = `c.attributes || char(10) || coalesce(c.language, '') || '/' || coalesce(c.country, '')`;

export const emptyCounts = (): CellCounts => ({ contacts: 0, eligible: 0, responses: 0, promoters: 0, detractors: 0, comments: 0 });

export function addCounts(into: CellCounts, from: CellCounts): void {
  into.contacts += from.contacts;
  into.eligible += from.eligible;
  into.responses += from.responses;
  into.promoters += from.promoters;
  into.detractors += from.detractors;
  into.comments += from.comments;
}

function addCode(into: CellCounts, code: number): void {
  const score = (code & 15) - 1;
  into.contacts++;
  if ((code & 16) === 0) into.eligible++;
  if ((code & 96) !== 0) into.comments++;
  if (score >= 0) {
    into.responses++;
    const category = categoryOf(score);
    if (category === 'promoter') into.promoters++;
    else if (category === 'detractor') into.detractors++;
  }
}

export class ReportAccumulator {
  readonly #total = emptyCounts();
  readonly #scores = Array.from({ length: 11 }, () => 0);
  readonly #comments: CommentCounts = { recorded: 0, downloaded: 0, pending: 0, failed: 0, totalSeconds: 0 };
  /** Counts per distinct key; null once there were too many keys to keep. */
  #byKey: Map<string, CellCounts> | null = new Map();
  readonly #attributes = new Map<string, Map<string, CellCounts> | null>();
  readonly #languages = new Map<string, CellCounts>();

  add(key: string, code: number): void {
    addCode(this.#total, code);
    const score = (code & 15) - 1;
    if (score >= 0 && score <= 10) this.#scores[score]!++;
    const comment = COMMENT_CODES[(code >> 5) & 3]!;
    if (comment !== 'none') {
      this.#comments.recorded++;
      this.#comments[comment]++;
    }
    if (this.#byKey) {
      let cell = this.#byKey.get(key);
      if (!cell) {
        if (this.#byKey.size < MAX_DISTINCT_KEYS) this.#byKey.set(key, (cell = emptyCounts()));
        else this.#foldAll();
      }
      if (cell) {
        addCode(cell, code);
        return;
      }
    }
    const one = emptyCounts();
    addCode(one, code);
    this.#fold(key, one);
  }

  /** Comment seconds are summed by SQL beside the pass (runReportPass fills them in). */
  result(): PassResult {
    this.#foldAll();
    return {
      total: this.#total,
      scores: this.#scores,
      comments: { ...this.#comments },
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

const FUNCTION_NAME = 'nps_report_pass';
const registered = new WeakSet<Database.Database>();

/** Registers the aggregate once per connection; it returns the accumulator's state as JSON text. */
function register(sqlite: Database.Database): void {
  if (registered.has(sqlite)) return;
  const step = (acc: ReportAccumulator, key: string, code: number) => {
    acc.add(key, code);
  };
  sqlite.aggregate<ReportAccumulator>(FUNCTION_NAME, {
    start: () => new ReportAccumulator(),
    // The typings allow one argument after the accumulator; SQLite passes both of the call.
    step: step as unknown as (acc: ReportAccumulator) => void,
    result: (acc) => JSON.stringify(acc.result()),
  });
  registered.add(sqlite);
}

/** Runs the pass over one list. */
export function runReportPass(sqlite: Database.Database, listId: number): PassResult {
  register(sqlite);
  const row = sqlite
    .prepare(
      `SELECT ${FUNCTION_NAME}(${ROW_KEY_SQL}, ${ROW_CODE_SQL}) AS result,
              coalesce(sum(CASE WHEN r.comment_status <> 'none' THEN r.comment_seconds END), 0) AS commentSeconds
       FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id WHERE c.list_id = ?`,
    )
    .get(listId) as { result: string; commentSeconds: number };
  const result = JSON.parse(row.result) as PassResult;
  result.comments.totalSeconds = row.commentSeconds;
  return result;
}
