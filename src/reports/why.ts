import type { SqlReader } from '../db/index.js';
import { categoryOf, type NpsCategory, type SurveyLanguage } from '../ivr/index.js';
import { themeLabel, type CompiledTaxonomy } from '../themes/index.js';
import type { ResponseCounts } from './aggregate.js';
import { normalCdf, Z_95, type NpsCounts } from './stats.js';

/** One reason (a theme, or a keypad choice) and what it costs the list's NPS. */
export interface ReasonRow {
  key: string;
  label: string;
  /** Respondents whose comment names it (or who chose it). */
  mentions: number;
  detractors: number;
  passives: number;
  promoters: number;
  /** Share of all detractors (passives, promoters) who name it, 0..1. */
  shareOfDetractors: number | null;
  shareOfPassives: number | null;
  shareOfPromoters: number | null;
  /** NPS of those who name it; null when nobody does. */
  nps: number | null;
  /**
   * NPS points the list would gain if the detractors naming it were passives: detractors naming
   * it / respondents × 100, with its 95% Wilson interval (null below 30 respondents).
   */
  impact: number;
  impactInterval: { low: number; high: number } | null;
  /** Value of the detractors naming it (the list's value column); null without one. */
  valueAtRisk: number | null;
}

export interface Verbatim {
  responseId: number;
  callId: number;
  score: number;
  category: NpsCategory;
  text: string;
  language: string | null;
  sentiment: string | null;
  themes: string[];
  /** The contact's attributes (region, agent, …): never the number or the name. */
  segment: Record<string, string>;
  /** Whether the comment's audio was kept (the HTML links it). */
  hasAudio: boolean;
}

export interface RevenueAtRisk {
  valueColumn: string | null;
  /** Respondents with a value, and the value they hold. */
  respondentsWithValue: number;
  totalValue: number;
  /** (value of promoters − value of detractors) / value of respondents × 100. */
  valueWeightedNps: number | null;
  detractorValue: number;
  detractorShare: number | null;
  /** Per segment value: attribute → value → value held by detractors and by all respondents. */
  bySegment: Record<string, { value: string; detractorValue: number; totalValue: number }[]>;
}

export interface WhyReport {
  /** Respondents whose comment has words (a transcript or a speech result). */
  commentsWithText: number;
  /** Comments whose recording held no words (not comments; their audio was deleted). */
  silentRecordings: number;
  /** Comments whose text is still awaited or could not be had. */
  textPending: number;
  textFailed: number;
  /** Themes ranked by impact (largest first). */
  themes: ReasonRow[];
  /** Keypad reasons ranked by impact; empty when the list did not ask. */
  keypadReasons: ReasonRow[];
  /** The two themes named most often per segment value. */
  topThemesBySegment: Record<string, { value: string; comments: number; themes: { key: string; mentions: number }[] }[]>;
  /** Up to VERBATIMS_PER_THEME per theme, detractors first. */
  verbatims: { theme: string; label: string; items: Verbatim[] }[];
  revenueAtRisk: RevenueAtRisk | null;
  /** Theme shares against the previous wave of the same client; null without one. */
  themeWaves: ThemeWaves | null;
}

/** A theme's share of the comments with words in two waves, and whether it moved. */
export interface ThemeWaveRow {
  key: string;
  label: string;
  /** Mentions and their share of the wave's comments with words, 0..1 (null without any). */
  before: { mentions: number; share: number | null };
  after: { mentions: number; share: number | null };
  /** after − before, in percentage points; null when a wave has no comments with words. */
  change: number | null;
  /** Two-proportion z-test (pooled), two-sided; null when either wave has too few comments. */
  pValue: number | null;
  /** p < 0.05; false when too few comments to say. */
  significant: boolean;
}

export interface ThemeWaves {
  previousListId: number;
  previousListName: string;
  /** Comments with words in the previous wave and in this one. */
  comments: { before: number; after: number };
  /** Both waves need at least this many comments with words for a test. */
  minimumComments: number;
  tooFew: boolean;
  /** Largest absolute change first. */
  rows: ThemeWaveRow[];
}

export const VERBATIMS_PER_THEME = 10;
/** Below this many respondents an impact has no interval (the normal approximation is poor). */
const MIN_RESPONDENTS_FOR_INTERVAL = 30;
/** Below this many comments with words in either wave, theme shares are shown but not tested. */
export const MIN_COMMENTS_FOR_WAVE_TEST = 30;

interface ResponseRow {
  id: number;
  callId: number;
  score: number;
  text: string | null;
  textStatus: string;
  commentStatus: string;
  language: string | null;
  sentiment: string | null;
  reason: string | null;
  attributes: string;
  value: number | null;
}

/** Wilson's 95% interval of a proportion k/n, in percentage points. */
function wilson(k: number, n: number): { low: number; high: number } {
  const p = k / n;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: round1(Math.max(0, centre - half) * 100), high: round1(Math.min(1, centre + half) * 100) };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/**
 * The "why" of a list: what its respondents' comments (and keypad reasons) are about, how many NPS
 * points each reason costs, and, where the list has a value column, the value at risk. The counts
 * over every response come from the report's pass (`counts`); only the responses that can matter
 * here are read: those with words, a keypad reason or a value. A list of a million respondents who
 * left none of them costs nothing here, and one that did holds those rows only (a list's commenting
 * respondents are thousands, not millions).
 */
export async function buildWhy(
  reader: SqlReader,
  input: {
    listId: number;
    taxonomy: CompiledTaxonomy;
    language: SurveyLanguage;
    valueColumn: string | null;
    previous?: { listId: number; listName: string } | null | undefined;
    counts: ResponseCounts & NpsCounts;
  },
): Promise<WhyReport> {
  const { counts } = input;
  const wanted = [
    ...(counts.textReady > 0 ? [`r.comment_text_status = 'ready'`] : []),
    ...(counts.withReason > 0 ? ['r.reason IS NOT NULL'] : []),
    ...(counts.withValue > 0 ? ['c.value IS NOT NULL'] : []),
  ];
  const rows =
    wanted.length === 0
      ? []
      : await reader.all<ResponseRow>(
          `SELECT r.id, r.call_id AS "callId", r.score, r.comment_text AS text, r.comment_text_status AS "textStatus", r.comment_status AS "commentStatus",
             r.comment_language AS language, r.sentiment, r.reason, c.attributes, c.value
           FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE r.list_id = ? AND (${wanted.join(' OR ')}) ORDER BY r.score, r.id`,
          [input.listId],
        );
  const themesOf = new Map<number, string[]>();
  if (counts.textReady > 0) {
    for (const t of await reader.all<{ id: number; theme: string }>('SELECT response_id AS id, theme FROM response_themes WHERE list_id = ?', [input.listId])) {
      const list = themesOf.get(t.id);
      if (list) list.push(t.theme);
      else themesOf.set(t.id, [t.theme]);
    }
    // Sorted here: PostgreSQL's ORDER BY follows the database's collation, SQLite's compares bytes.
    for (const themes of themesOf.values()) themes.sort(inBinaryOrder);
  }
  const categories = { detractor: counts.detractors, passive: counts.passives, promoter: counts.promoters };
  const respondents = counts.detractors + counts.passives + counts.promoters;
  const hasValue = counts.withValue > 0;
  const labels = new Map(input.taxonomy.taxonomy.themes.map((theme) => [theme.id, themeLabel(theme, input.language)]));

  // Themes count for every comment that had words; verbatims need the words still kept (retention).
  const judged = rows.filter((r) => r.textStatus === 'ready');
  const withText = judged.filter((r) => r.text);
  const themes = rank(reasonRows(judged, (r) => themesOf.get(r.id) ?? [], (key) => labels.get(key) ?? key, categories, respondents, hasValue));
  const keypadReasons = rank(reasonRows(rows, (r) => (r.reason ? [r.reason] : []), (key) => labels.get(key) ?? key, categories, respondents, hasValue));

  const verbatims = themes.map((theme) => ({
    theme: theme.key,
    label: theme.label,
    items: withText
      .filter((r) => (themesOf.get(r.id) ?? []).includes(theme.key))
      // Detractors first (rows are in score order), then passives, then promoters.
      .slice(0, VERBATIMS_PER_THEME)
      .map((r) => verbatim(r, themesOf.get(r.id) ?? [])),
  }));

  return {
    commentsWithText: judged.length,
    silentRecordings: counts.textEmpty,
    textPending: counts.textPending,
    textFailed: counts.textFailed,
    themes,
    keypadReasons,
    topThemesBySegment: topThemesBySegment(judged, themesOf),
    verbatims,
    revenueAtRisk: hasValue ? revenueAtRisk(rows, input.valueColumn) : null,
    themeWaves: input.previous ? await themeWaves(reader, input.previous, { comments: judged.length, themes: themeMentions(judged, themesOf) }, labels) : null,
  };
}

const inBinaryOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function themeMentions(judged: ResponseRow[], themesOf: Map<number, string[]>): Map<string, number> {
  const mentions = new Map<string, number>();
  for (const r of judged) for (const theme of themesOf.get(r.id) ?? []) mentions.set(theme, (mentions.get(theme) ?? 0) + 1);
  return mentions;
}

/**
 * Theme shares of the comments with words, this wave against the previous: a share moves
 * significantly when the pooled two-proportion z-test gives p < 0.05, tested only when both waves
 * have MIN_COMMENTS_FOR_WAVE_TEST comments with words.
 */
async function themeWaves(
  reader: SqlReader,
  previous: { listId: number; listName: string },
  after: { comments: number; themes: Map<string, number> },
  labels: Map<string, string>,
): Promise<ThemeWaves> {
  const before = {
    comments: (await reader.get<{ n: number }>(`SELECT count(*) AS n FROM responses WHERE list_id = ? AND comment_text_status = 'ready'`, [previous.listId]))!.n,
    themes: new Map(
      (
        await reader.all<{ theme: string; n: number }>(
          `SELECT t.theme, count(*) AS n FROM response_themes t JOIN responses r ON r.id = t.response_id WHERE t.list_id = ? AND r.comment_text_status = 'ready' GROUP BY t.theme`,
          [previous.listId],
        )
      ).map((t) => [t.theme, t.n]),
    ),
  };
  const tooFew = before.comments < MIN_COMMENTS_FOR_WAVE_TEST || after.comments < MIN_COMMENTS_FOR_WAVE_TEST;
  const keys = [...new Set([...before.themes.keys(), ...after.themes.keys()])];
  const rows = keys.map((key): ThemeWaveRow => {
    const k1 = before.themes.get(key) ?? 0;
    const k2 = after.themes.get(key) ?? 0;
    const p1 = ratio(k1, before.comments);
    const p2 = ratio(k2, after.comments);
    const pValue = tooFew ? null : twoProportionPValue(k1, before.comments, k2, after.comments);
    return {
      key,
      label: labels.get(key) ?? key,
      before: { mentions: k1, share: p1 },
      after: { mentions: k2, share: p2 },
      change: p1 === null || p2 === null ? null : round1((p2 - p1) * 100),
      pValue,
      significant: pValue !== null && pValue < 0.05,
    };
  });
  rows.sort((a, b) => Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0) || a.key.localeCompare(b.key));
  return { previousListId: previous.listId, previousListName: previous.listName, comments: { before: before.comments, after: after.comments }, minimumComments: MIN_COMMENTS_FOR_WAVE_TEST, tooFew, rows };
}

/** Two-sided p of the pooled two-proportion z-test; 1 when both shares are 0 or 1 (no variance). */
export function twoProportionPValue(k1: number, n1: number, k2: number, n2: number): number {
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  return 2 * (1 - normalCdf(Math.abs(k2 / n2 - k1 / n1) / se));
}

function reasonRows(
  rows: ResponseRow[],
  keysOf: (r: ResponseRow) => string[],
  labelOf: (key: string) => string,
  categories: { detractor: number; passive: number; promoter: number },
  respondents: number,
  hasValue: boolean,
): ReasonRow[] {
  const byKey = new Map<string, { detractor: number; passive: number; promoter: number; value: number }>();
  for (const r of rows) {
    const category = categoryOf(r.score);
    for (const key of keysOf(r)) {
      let counts = byKey.get(key);
      if (!counts) byKey.set(key, (counts = { detractor: 0, passive: 0, promoter: 0, value: 0 }));
      counts[category]++;
      if (category === 'detractor') counts.value += r.value ?? 0;
    }
  }
  return [...byKey].map(([key, c]) => {
    const mentions = c.detractor + c.passive + c.promoter;
    return {
      key,
      label: labelOf(key),
      mentions,
      detractors: c.detractor,
      passives: c.passive,
      promoters: c.promoter,
      shareOfDetractors: ratio(c.detractor, categories.detractor),
      shareOfPassives: ratio(c.passive, categories.passive),
      shareOfPromoters: ratio(c.promoter, categories.promoter),
      nps: mentions > 0 ? round1(((c.promoter - c.detractor) / mentions) * 100) : null,
      impact: respondents > 0 ? round1((c.detractor / respondents) * 100) : 0,
      impactInterval: respondents >= MIN_RESPONDENTS_FOR_INTERVAL ? wilson(c.detractor, respondents) : null,
      valueAtRisk: hasValue ? c.value : null,
    };
  });
}

const rank = (rows: ReasonRow[]) => rows.sort((a, b) => b.impact - a.impact || b.mentions - a.mentions || a.key.localeCompare(b.key));

/** A contact's attributes as text: a triggered survey's may be numbers or booleans (`{"tier": 2}`), which the segments compare as text. */
function parseAttributes(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== null && value !== undefined) attributes[key] = String(value);
  return attributes;
}

function verbatim(r: ResponseRow, themes: string[]): Verbatim {
  return {
    responseId: r.id,
    callId: r.callId,
    score: r.score,
    category: categoryOf(r.score),
    text: r.text!,
    language: r.language,
    sentiment: r.sentiment,
    themes,
    segment: parseAttributes(r.attributes),
    hasAudio: r.commentStatus === 'downloaded',
  };
}

function topThemesBySegment(rows: ResponseRow[], themesOf: Map<number, string[]>): WhyReport['topThemesBySegment'] {
  const bySegment = new Map<string, Map<string, { comments: number; themes: Map<string, number> }>>();
  for (const r of rows) {
    for (const [attribute, value] of Object.entries(parseAttributes(r.attributes))) {
      let values = bySegment.get(attribute);
      if (!values) bySegment.set(attribute, (values = new Map()));
      let cell = values.get(value);
      if (!cell) values.set(value, (cell = { comments: 0, themes: new Map() }));
      cell.comments++;
      for (const theme of themesOf.get(r.id) ?? []) cell.themes.set(theme, (cell.themes.get(theme) ?? 0) + 1);
    }
  }
  const result: WhyReport['topThemesBySegment'] = {};
  for (const [attribute, values] of [...bySegment].sort((a, b) => a[0].localeCompare(b[0]))) {
    // A segment of mostly single people is no segment (the report's breakdown rule, roughly).
    if (values.size * 2 > rows.length) continue;
    result[attribute] = [...values]
      .sort((a, b) => b[1].comments - a[1].comments || a[0].localeCompare(b[0]))
      .map(([value, cell]) => ({
        value,
        comments: cell.comments,
        themes: [...cell.themes]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, 2)
          .map(([key, mentions]) => ({ key, mentions })),
      }));
  }
  return result;
}

function revenueAtRisk(rows: ResponseRow[], valueColumn: string | null): RevenueAtRisk {
  let totalValue = 0;
  let promoterValue = 0;
  let detractorValue = 0;
  let withValue = 0;
  const segments = new Map<string, Map<string, { detractorValue: number; totalValue: number }>>();
  for (const r of rows) {
    if (r.value === null) continue;
    withValue++;
    totalValue += r.value;
    const category = categoryOf(r.score);
    if (category === 'promoter') promoterValue += r.value;
    if (category === 'detractor') detractorValue += r.value;
    for (const [attribute, value] of Object.entries(parseAttributes(r.attributes))) {
      let values = segments.get(attribute);
      if (!values) segments.set(attribute, (values = new Map()));
      const cell = values.get(value) ?? { detractorValue: 0, totalValue: 0 };
      cell.totalValue += r.value;
      if (category === 'detractor') cell.detractorValue += r.value;
      values.set(value, cell);
    }
  }
  const bySegment: RevenueAtRisk['bySegment'] = {};
  for (const [attribute, values] of [...segments].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (values.size * 2 > withValue) continue;
    bySegment[attribute] = [...values].sort((a, b) => b[1].detractorValue - a[1].detractorValue || a[0].localeCompare(b[0])).map(([value, cell]) => ({ value, ...cell }));
  }
  return {
    valueColumn,
    respondentsWithValue: withValue,
    totalValue,
    valueWeightedNps: totalValue > 0 ? round1(((promoterValue - detractorValue) / totalValue) * 100) : null,
    detractorValue,
    detractorShare: ratio(detractorValue, totalValue),
    bySegment,
  };
}
