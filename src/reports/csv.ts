import type { ReasonRow } from './why.js';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import type { Dialect, SqlReader } from '../db/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import { categoryOf, calleeLanguage } from '../ivr/index.js';
import { maskPhone } from '../logging/index.js';
import { loadListHeader } from './builder.js';
import { DISPOSITION_KEYS, dispositionOf, type AgentResults, type NpsReport, type SegmentRow } from './model.js';

/**
 * A cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR, and their full-width
 * forms) gets a leading apostrophe (OWASP "CSV injection"). Only text cells are escaped: numbers
 * stay numbers, so a negative NPS is still −12.5 in the sheet. csv-stringify's own
 * `escape_formulas` would escape those numbers too, which is why it is not used.
 */
export function escapeCell(value: string): string {
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

const CSV_OPTIONS = { cast: { string: escapeCell, boolean: (v: boolean) => (v ? 'true' : 'false') } } as const;

/** Rows read per query: small enough to keep memory flat, large enough to amortise the query. */
const PAGE_ROWS = 2_000;

const FIXED_BEFORE = ['contact_id', 'row_number', 'phone', 'language'] as const;
const FIXED_AFTER = [
  'disposition',
  'attempts',
  'last_call_at',
  'score',
  'category',
  'comment_status',
  'comment_file',
  'comment_seconds',
  'recording_call_id',
  'billable_seconds',
  'amount_minor',
  // The why (schema 3), added at the end: the comment's words, its themes (keys, ';'-separated),
  // its sentiment, the keypad reason and the contact's value.
  'comment_text',
  'comment_themes',
  'sentiment',
  'reason',
  'value',
] as const;

interface ContactRow {
  id: number;
  rowNumber: number;
  phone: string;
  language: string | null;
  country: string | null;
  attributes: string;
  status: ContactStatus;
  attempts: number;
  lastCallAt: number | null;
  score: number | null;
  commentStatus: string | null;
  commentFile: string | null;
  commentSeconds: number | null;
  callId: number | null;
  billableSeconds: number;
  amountMinor: number;
  commentText: string | null;
  commentThemes: string | null;
  sentiment: string | null;
  reason: string | null;
  value: number | null;
}

export interface ContactCsvOptions {
  listId: number;
  /** Full phone numbers; masked to the last three digits otherwise. */
  full: boolean;
  /** The list's survey language, for contacts without their own. */
  /** The list's own `--language` and `--country` (calleeLanguage). */
  listLanguage: string | undefined;
  listCountry: string | null;
}

/** The comment's themes, ';'-separated in binary order (PostgreSQL's ORDER BY would follow the database's collation). */
const themesSql = (dialect: Dialect) =>
  dialect === 'sqlite'
    ? `(SELECT group_concat(theme, ';') FROM (SELECT t.theme FROM response_themes t WHERE t.response_id = r.id ORDER BY t.theme))`
    : `(SELECT string_agg(t.theme, ';' ORDER BY t.theme COLLATE "C") FROM response_themes t WHERE t.response_id = r.id)`;

/** The attribute names of a list's contacts. */
const attributeKeysSql = (dialect: Dialect) =>
  dialect === 'sqlite'
    ? 'SELECT DISTINCT j.key AS key FROM contacts c, json_each(c.attributes) j WHERE c.list_id = ?'
    : `SELECT DISTINCT jsonb_object_keys(c.attributes::jsonb) AS key FROM contacts c WHERE c.list_id = ? AND jsonb_typeof(c.attributes::jsonb) = 'object'`;

const inBinaryOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One CSV row per contact, streamed: contacts are read in pages by id range, so memory stays flat
 * for any list and no statement stays open between pages (the HTTP server shares its connection
 * with the webhooks). The pages are not one snapshot: a list being dialled may change between
 * them, which the docs say. A list that does not exist is refused before the stream starts.
 */
export async function contactsCsv(reader: SqlReader, options: ContactCsvOptions): Promise<Readable> {
  await loadListHeader(reader, options.listId);
  const attributeKeys = (await reader.all<{ key: string }>(attributeKeysSql(reader.dialect), [options.listId])).map((r) => r.key).sort(inBinaryOrder);
  const range = (await reader.get<{ low: number | null; high: number | null }>('SELECT min(id) AS low, max(id) AS high FROM contacts WHERE list_id = ?', [options.listId]))!;
  // `+c.list_id` keeps SQLite's planner on the id range (ordered, stops at LIMIT) instead of the
  // list index, which would have to sort the whole list for every page.
  const page = `SELECT c.id, c.row_number AS "rowNumber", c.phone_e164 AS phone, c.language, c.country, c.attributes, c.status, c.attempts,
            (SELECT max(coalesce(k.ended_at, k.answered_at, k.created_at)) FROM calls k WHERE k.contact_id = c.id) AS "lastCallAt",
            r.score, r.comment_status AS "commentStatus", r.comment_file AS "commentFile", r.comment_seconds AS "commentSeconds", r.call_id AS "callId",
            (SELECT coalesce(sum(b.billable_seconds), 0) FROM calls k JOIN billing_lines b ON b.call_id = k.id WHERE k.contact_id = c.id) AS "billableSeconds",
            (SELECT coalesce(sum(b.amount_minor), 0) FROM calls k JOIN billing_lines b ON b.call_id = k.id WHERE k.contact_id = c.id) AS "amountMinor",
            CASE WHEN r.comment_text_status = 'ready' THEN r.comment_text END AS "commentText",
            ${themesSql(reader.dialect)} AS "commentThemes",
            r.sentiment, r.reason, c.value
     FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id
     WHERE c.id > ? AND c.id <= ? AND +c.list_id = ? ORDER BY c.id LIMIT ${PAGE_ROWS}`;
  const columns = [...FIXED_BEFORE, ...attributeKeys.map((k) => `attr_${k}`), ...FIXED_AFTER];
  async function* records(): AsyncGenerator<unknown[]> {
    if (range.low === null || range.high === null) return;
    let after = range.low - 1;
    for (;;) {
      const rows = await reader.all<ContactRow>(page, [after, range.high, options.listId]);
      if (rows.length === 0) return;
      for (const row of rows) yield toRecord(row);
      after = rows[rows.length - 1]!.id;
    }
  }
  const toRecord = (row: ContactRow): unknown[] => {
    const attributes = safeParse(row.attributes);
    return [
      row.id,
      row.rowNumber,
      options.full ? row.phone : maskPhone(row.phone),
      calleeLanguage({ contactLanguage: row.language, contactCountry: row.country, listLanguage: options.listLanguage, listCountry: options.listCountry }),
      ...attributeKeys.map((k) => (attributes[k] === undefined || attributes[k] === null ? '' : String(attributes[k]))),
      dispositionOf(row.status, row.attempts),
      row.attempts,
      row.lastCallAt === null ? '' : new Date(row.lastCallAt).toISOString(),
      row.score ?? '',
      row.score === null ? '' : categoryOf(row.score),
      row.commentStatus ?? '',
      row.commentFile ?? '',
      row.commentSeconds ?? '',
      row.commentStatus === 'downloaded' ? (row.callId ?? '') : '',
      row.billableSeconds,
      row.amountMinor,
      row.commentText ?? '',
      row.commentThemes ?? '',
      row.sentiment ?? '',
      row.reason ?? '',
      row.value ?? '',
    ];
  };
  const csv = stringify({ header: true, columns: columns.map(String), ...CSV_OPTIONS });
  const source = Readable.from(records(), { objectMode: true });
  source.on('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export const SUMMARY_COLUMNS = [
  'dimension',
  'value',
  'contacts',
  'responses',
  'response_rate',
  'promoters',
  'passives',
  'detractors',
  'nps',
  'nps_ci95_low',
  'nps_ci95_high',
  'low_sample',
  'impact',
  'impact_ci95_low',
  'impact_ci95_high',
  'value_at_risk',
  // Theme shares against the previous wave (dimension `theme_wave`).
  'previous_mentions',
  'share',
  'previous_share',
  'share_change_pp',
  'share_p_value',
  'share_significant',
] as const;

/** Label of the contacts that have no value for an attribute. */
export const NO_VALUE_LABEL = '(no value)';

/**
 * The aggregate table (`--summary`): the whole list, then every segment row, then the disposition
 * counts (in `contacts`), one tidy table an analyst can pivot.
 */
export function summaryCsv(report: NpsReport): string {
  const rows: unknown[][] = [];
  const npsRow = (dimension: string, value: string, r: Pick<SegmentRow, 'contacts' | 'responses' | 'promoters' | 'passives' | 'detractors' | 'nps' | 'npsCi95' | 'lowSample'>, eligible: number) => [
    dimension,
    value,
    r.contacts,
    r.responses,
    eligible === 0 ? '' : r.responses / eligible,
    r.promoters,
    r.passives,
    r.detractors,
    r.nps ?? '',
    r.npsCi95?.[0] ?? '',
    r.npsCi95?.[1] ?? '',
    r.lowSample,
    '',
    '',
    '',
    '',
  ];
  rows.push(npsRow('list', report.listName, report, report.responseRate.denominator));
  for (const [attribute, segment] of Object.entries(report.segments)) {
    for (const row of segment) rows.push(npsRow(attribute, row.value ?? NO_VALUE_LABEL, row, row.eligible));
  }
  for (const key of DISPOSITION_KEYS) rows.push(['disposition', key, report.dispositions[key], '', '', '', '', '', '', '', '', '', '', '', '', '']);
  // The why: one row per theme and per keypad reason (responses = respondents naming it).
  const reasonRow = (dimension: string, r: ReasonRow) => [
    dimension,
    r.key,
    '',
    r.mentions,
    '',
    r.promoters,
    r.passives,
    r.detractors,
    r.nps ?? '',
    '',
    '',
    '',
    r.impact,
    r.impactInterval?.low ?? '',
    r.impactInterval?.high ?? '',
    r.valueAtRisk ?? '',
  ];
  for (const r of report.why.themes) rows.push(reasonRow('theme', r));
  for (const r of report.why.keypadReasons) rows.push(reasonRow('keypad_reason', r));
  const risk = report.why.revenueAtRisk;
  if (risk) rows.push(['value', risk.valueColumn ?? '', risk.respondentsWithValue, '', '', '', '', '', risk.valueWeightedNps ?? '', '', '', '', '', '', '', risk.detractorValue]);
  // Against the previous wave: `responses` = mentions in this wave; shares of each wave's comments with words.
  for (const w of report.why.themeWaves?.rows ?? []) {
    rows.push(['theme_wave', w.key, '', w.after.mentions, '', '', '', '', '', '', '', '', '', '', '', '', w.before.mentions, w.after.share ?? '', w.before.share ?? '', w.change ?? '', w.pValue ?? '', w.significant]);
  }
  const width = SUMMARY_COLUMNS.length;
  return stringifySync(
    rows.map((row) => (row.length < width ? [...row, ...Array<string>(width - row.length).fill('')] : row)),
    { header: true, columns: [...SUMMARY_COLUMNS], ...CSV_OPTIONS },
  );
}

export const AGENT_COLUMNS = ['rank', 'agent', 'contacts', 'responses', 'promoters', 'passives', 'detractors', 'nps', 'nps_ci95_low', 'nps_ci95_high', 'low_sample', 'comments'] as const;

/** `report --by agent --format csv`: one row per agent, ranked ones first (spreadsheet-safe cells). */
export function agentsCsv(agents: AgentResults | null): string {
  const rows = (agents?.rows ?? []).map((r) => [
    r.rank ?? '',
    r.agent,
    r.contacts,
    r.responses,
    r.promoters,
    r.passives,
    r.detractors,
    r.nps ?? '',
    r.npsCi95?.[0] ?? '',
    r.npsCi95?.[1] ?? '',
    r.lowSample,
    r.comments,
  ]);
  return stringifySync([[...AGENT_COLUMNS], ...rows], CSV_OPTIONS);
}
