import { billingTotals } from '../billing/index.js';
import type { Clock } from '../clock/index.js';
import type { AppConfig } from '../config/index.js';
import type { SqlReader } from '../db/index.js';
import { CONTACT_STATUSES, type ContactStatus } from '../db/schema/index.js';
import type { ListSettings } from '../contacts/index.js';
import { AppError } from '../errors/index.js';
import { maskPhone } from '../logging/index.js';
import { categoryCodeSql, categoryOf, NPS_CATEGORIES, calleeLanguage, surveyTexts, type NpsCategory } from '../ivr/index.js';
import { EMAIL_VALUE, PHONE_VALUE, segmentVerdict, type ColumnValues } from '../contacts/index.js';
import { compiledTaxonomy } from '../comments/index.js';
import type { CompiledTaxonomy } from '../themes/index.js';
import { caseSummary } from '../followup/index.js';
import { addCounts, emptyCounts, runReportPass, scoreHistogram, type CellCounts, type PassResult } from './aggregate.js';
import { agentResults } from './agents.js';
import { buildWhy } from './why.js';
import {
  DISPOSITION_KEYS,
  LOW_SAMPLE_RESPONSES,
  MAX_SEGMENT_VALUES,
  REPORT_SCHEMA_VERSION,
  dispositionOf,
  type ChangeSummary,
  type CommentItem,
  type DispositionKey,
  type NpsReport,
  type ReportAudience,
  type Rate,
  type SegmentRow,
  type WaveComparison,
} from './model.js';
import { adjustedWaldInterval, countsFromScores, emptyMigration, pairedChange, waveDifference, type ChangeTest, type NpsCounts } from './stats.js';

export interface ReportDeps {
  /** What the report reads through, on SQLite (`sqliteReader`) or PostgreSQL. */
  reader: SqlReader;
  /**
   * The list's survey settings as the dialer reads them (`new ListSettingsBook(…).get`), for its
   * question and languages; read for each report, so a long-lived caller must not cache them.
   */
  listSettings: (listId: number) => ListSettings | Promise<ListSettings>;
  clock: Clock;
  config: Pick<AppConfig, 'defaultTariff' | 'recordingsDir'>;
}

export interface ListHeader {
  id: number;
  name: string;
  clientId: number | null;
  clientName: string | null;
  previousListId: number | null;
  valueColumn: string | null;
}

/** The list's own row; importing lists do not exist for reports. */
export async function loadListHeader(reader: SqlReader, listId: number): Promise<ListHeader> {
  const row = await reader.get<ListHeader>(
    `SELECT l.id, l.name, l.client_id AS "clientId", c.name AS "clientName", l.previous_list_id AS "previousListId", l.value_column AS "valueColumn"
     FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ? AND l.state = 'ready'`,
    [listId],
  );
  if (!row) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
  return row;
}

/** SQL: how many rows meet `condition` (0 when none), alike on both dialects (PostgreSQL's comparisons are booleans). */
const countWhen = (condition: string) => `coalesce(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const rate = (numerator: number, denominator: number): Rate => ({ value: denominator === 0 ? null : numerator / denominator, numerator, denominator });

function segmentRow(value: string | null, acc: CellCounts): SegmentRow {
  const counts: NpsCounts = { promoters: acc.promoters, passives: acc.responses - acc.promoters - acc.detractors, detractors: acc.detractors };
  const interval = adjustedWaldInterval(counts, { population: Math.max(acc.eligible, acc.responses) });
  return {
    value,
    contacts: acc.contacts,
    eligible: acc.eligible,
    responses: acc.responses,
    ...counts,
    nps: interval?.nps ?? null,
    npsCi95: interval?.ci ?? null,
    lowSample: acc.responses < LOW_SAMPLE_RESPONSES,
  };
}

/** The built-in segment: the language the survey was held in, as the dialer chose it per callee. */
const LANGUAGE_SEGMENT = 'language';

function sortedRows(values: Iterable<[string, CellCounts]>, total: CellCounts): SegmentRow[] {
  const withValue = emptyCounts();
  const rows: SegmentRow[] = [];
  for (const [value, counts] of values) {
    addCounts(withValue, counts);
    rows.push(segmentRow(value, counts));
  }
  rows.sort((a, b) => b.responses - a.responses || b.contacts - a.contacts || String(a.value).localeCompare(String(b.value)));
  // Contacts without a value for the attribute form their own group, so each breakdown adds up.
  const missing: CellCounts = {
    contacts: total.contacts - withValue.contacts,
    eligible: total.eligible - withValue.eligible,
    responses: total.responses - withValue.responses,
    promoters: total.promoters - withValue.promoters,
    detractors: total.detractors - withValue.detractors,
    comments: total.comments - withValue.comments,
  };
  if (missing.contacts > 0) rows.push(segmentRow(null, missing));
  return rows;
}

/** Breakdowns by every attribute present, and by the survey language each callee heard. */
function segmentBreakdown(pass: PassResult, list: { explicitLanguage: string | undefined; defaultCountry: string | null }) {
  const languages = new Map<string, CellCounts>();
  for (const [raw, counts] of pass.languages) {
    const [contactLanguage, contactCountry] = raw.split('/');
    const language = calleeLanguage({ contactLanguage, contactCountry, listLanguage: list.explicitLanguage, listCountry: list.defaultCountry });
    let into = languages.get(language);
    if (!into) languages.set(language, (into = emptyCounts()));
    addCounts(into, counts);
  }
  const segments: Record<string, SegmentRow[]> = {};
  const omitted: { attribute: string; reason: string }[] = [];
  const byName = new Map(pass.attributes);
  for (const attribute of [...new Set([...byName.keys(), LANGUAGE_SEGMENT])].sort()) {
    if (attribute === LANGUAGE_SEGMENT) {
      if (byName.has(LANGUAGE_SEGMENT)) omitted.push({ attribute, reason: 'the name is taken by the survey-language breakdown' });
      segments[attribute] = sortedRows(languages, pass.total);
      continue;
    }
    const values = byName.get(attribute);
    if (!values) {
      omitted.push({ attribute, reason: `more than ${MAX_SEGMENT_VALUES} distinct values` });
      continue;
    }
    const verdict = segmentVerdict(columnValues(values));
    if (!verdict.segment) {
      omitted.push({ attribute, reason: verdict.reason });
      continue;
    }
    segments[attribute] = sortedRows(values, pass.total);
  }
  return { segments, omitted };
}

/** The shape of an attribute's values, as the segment rule reads it. */
function columnValues(values: readonly [string, CellCounts][]): ColumnValues {
  let contacts = 0;
  let emails = 0;
  let phones = 0;
  for (const [value, counts] of values) {
    contacts += counts.contacts;
    if (EMAIL_VALUE.test(value)) emails += counts.contacts;
    else if (PHONE_VALUE.test(value)) phones += counts.contacts;
  }
  return { contacts, distinct: values.length, emails, phones };
}

/** The compiled taxonomy of the client that owns the list (the default one when it has none): the labels of the why section. */
async function taxonomyOfList(reader: SqlReader, listId: number): Promise<CompiledTaxonomy> {
  const row = await reader.get<{ taxonomy: string | null }>('SELECT c.taxonomy AS taxonomy FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ?', [listId]);
  return compiledTaxonomy(row?.taxonomy ? JSON.parse(row.taxonomy) : null);
}

const countOf = async (reader: SqlReader, sql: string, params: readonly unknown[]) => (await reader.get<{ n: number }>(sql, params))!.n;

async function contactDispositions(reader: SqlReader, listId: number): Promise<{ byStatus: Record<ContactStatus, number>; neverDialledPending: number }> {
  const byStatus = Object.fromEntries(CONTACT_STATUSES.map((s) => [s, 0])) as Record<ContactStatus, number>;
  const rows = await reader.all<{ status: ContactStatus; n: number }>('SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status', [listId]);
  for (const { status, n } of rows) byStatus[status] = n;
  // Only the pending rows are visited (contacts_due_idx), so a final list pays nothing for this.
  const neverDialledPending = byStatus.pending === 0 ? 0 : await countOf(reader, `SELECT count(*) AS n FROM contacts WHERE list_id = ? AND status = 'pending' AND attempts = 0`, [listId]);
  return { byStatus, neverDialledPending };
}

function toChange(test: ChangeTest, method: ChangeSummary['method'], degreesOfFreedom: number | null): ChangeSummary {
  return {
    nps: test.difference,
    estimate: test.estimate,
    ci95: test.ci,
    standardError: test.standardError,
    statistic: test.statistic,
    degreesOfFreedom,
    pValue: test.pValue,
    significant: test.pValue < 0.05,
    method,
  };
}

const CODE_CATEGORY: readonly NpsCategory[] = NPS_CATEGORIES;

/**
 * The comparison with the wave this list follows up. Only a list of the same client is compared:
 * the API must not disclose another client's figures through a mistaken `--previous`.
 */
async function waveComparison(reader: SqlReader, list: ListHeader, current: NpsCounts): Promise<WaveComparison | null> {
  if (list.previousListId === null) return null;
  const previous = await reader.get<{ id: number; name: string; clientId: number | null }>(`SELECT id, name, client_id AS "clientId" FROM lists WHERE id = ? AND state = 'ready'`, [
    list.previousListId,
  ]);
  if (!previous || previous.clientId !== list.clientId) return null;
  const counts = countsFromScores(await scoreHistogram(reader, previous.id));
  const contacts = await countOf(reader, 'SELECT count(*) AS n FROM contacts WHERE list_id = ?', [previous.id]);
  const suppressed = await countOf(reader, `SELECT count(*) AS n FROM contacts WHERE list_id = ? AND status IN ('suppressed', 'capped')`, [previous.id]);
  const interval = adjustedWaldInterval(counts, { population: Math.max(contacts - suppressed, counts.promoters + counts.passives + counts.detractors) });
  // The same person in both waves is the same number (contacts_phone_list_uq serves the lookup).
  // Walking this list's contacts and probing the other wave measured twice as fast as starting
  // from the responses; grouping by small integer codes keeps the sort cheap.
  const migration = emptyMigration();
  const cells = await reader.all<{ before: number; after: number; n: number }>(
    `SELECT ${categoryCodeSql('r1.score')} AS "before", ${categoryCodeSql('r2.score')} AS "after", count(*) AS n
     FROM contacts c2 JOIN contacts c1 ON c1.phone_e164 = c2.phone_e164 AND c1.list_id = ?
     JOIN responses r1 ON r1.contact_id = c1.id JOIN responses r2 ON r2.contact_id = c2.id
     WHERE c2.list_id = ? GROUP BY 1, 2`,
    [previous.id, list.id],
  );
  let matched = 0;
  for (const { before, after, n } of cells) {
    migration[CODE_CATEGORY[before]!][CODE_CATEGORY[after]!] = n;
    matched += n;
  }
  const independent = waveDifference(counts, current);
  const paired = pairedChange(migration);
  return {
    previous: {
      listId: previous.id,
      listName: previous.name,
      contacts,
      responses: counts.promoters + counts.passives + counts.detractors,
      ...counts,
      nps: interval?.nps ?? null,
      npsCi95: interval?.ci ?? null,
    },
    change: independent ? toChange(independent, 'adjusted-wald-independent', null) : null,
    panel: { matched, migration, change: paired ? toChange(paired, 'paired-t', paired.statistic === null ? null : matched - 1) : null },
  };
}

/**
 * Builds the report of one list from aggregate queries only: its cost grows with the list, its
 * memory does not (docs/report-format.md; scripts/bench/report.ts measures 1,000,000 contacts).
 * Runs its reads on one snapshot so that a dialer writing beside it cannot make the parts
 * disagree.
 */
export function buildReport(deps: ReportDeps, input: { listId: number; audience?: ReportAudience | undefined }): Promise<NpsReport> {
  // The client's report unless the operator's is asked for: the safe side of a forgotten argument.
  return deps.reader.snapshot((reader) => buildInSnapshot({ ...deps, reader }, input.listId, input.audience ?? 'client'));
}

async function buildInSnapshot(deps: ReportDeps, listId: number, audience: ReportAudience): Promise<NpsReport> {
  const { reader } = deps;
  const list = await loadListHeader(reader, listId);
  const settings = await deps.listSettings(listId);
  const { byStatus, neverDialledPending } = await contactDispositions(reader, listId);
  const contacts = CONTACT_STATUSES.reduce((sum, s) => sum + byStatus[s], 0);
  const dispositions = Object.fromEntries(DISPOSITION_KEYS.map((k) => [k, 0])) as Record<DispositionKey, number>;
  for (const status of CONTACT_STATUSES) {
    // Attempts only matter for pending contacts, which are split by the count above.
    if (status !== 'pending') dispositions[dispositionOf(status, 1)] += byStatus[status];
  }
  dispositions.notDialled += neverDialledPending;
  dispositions.inProgress += byStatus.pending - neverDialledPending;

  const pass = await runReportPass(reader, listId);
  const scores = pass.scores;
  const counts = countsFromScores(scores);
  const comments = pass.comments;
  const responses = counts.promoters + counts.passives + counts.detractors;
  // Suppressed and capped contacts were never in the frame: nobody was allowed to call them.
  const eligible = contacts - dispositions.suppressed - dispositions.capped;
  const population = Math.max(eligible, responses);
  const interval = adjustedWaldInterval(counts, { population });
  const scoreSum = scores.reduce((sum, n, score) => sum + n * score, 0);

  const calls = (await reader.get<{ total: number; human: number; machine: number; unserved: number; firstAt: number | null; lastAt: number | null; priceMicros: number; priced: number }>(
    `SELECT count(*) AS total, ${countWhen(`outcome = 'human'`)} AS human, ${countWhen(`outcome = 'machine'`)} AS machine, ${countWhen(`outcome = 'unserved'`)} AS unserved,
            min(created_at) AS "firstAt", max(coalesce(ended_at, answered_at, created_at)) AS "lastAt",
            coalesce(sum(provider_price_micros), 0) AS "priceMicros", count(provider_price_micros) AS priced
     FROM calls WHERE list_id = ?`,
    [listId],
  ))!;
  const billing = await billingTotals(reader, listId);
  const { segments, omitted } = segmentBreakdown(pass, settings);

  const reached = dispositions.responded + dispositions.answeredNoScore + dispositions.optedOut;
  const dialled = eligible - dispositions.notDialled;
  const share = (n: number) => (responses === 0 ? null : (100 * n) / responses);
  const wave = await waveComparison(reader, list, counts);
  // A spoken comment whose audio the provider did not keep is a comment all the same: its words count.
  const spokenWithoutAudio = pass.responses.spokenWithoutAudio;
  const agents = await agentResults(reader, listId, pass);
  // Overdue is a matter of time: the injected clock's, like generatedAt.
  const followUp = await caseSummary(reader, listId, deps.clock.now());
  const why = await buildWhy(reader, {
    listId,
    taxonomy: await taxonomyOfList(reader, listId),
    language: settings.language,
    valueColumn: list.valueColumn,
    previous: wave ? { listId: wave.previous.listId, listName: wave.previous.listName } : null,
    counts: { ...pass.responses, ...counts },
  });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    audience,
    listId: list.id,
    listName: list.name,
    client: list.clientId === null ? null : { id: list.clientId, name: list.clientName ?? '' },
    previousListId: list.previousListId,
    final: contacts > 0 && byStatus.pending + byStatus.dialing === 0,
    generatedAt: new Date(deps.clock.now()).toISOString(),
    fieldwork: { firstCallAt: iso(calls.firstAt), lastCallAt: iso(calls.lastAt) },
    mode: 'outbound-ivr-dtmf',
    question: surveyTexts({ company: settings.company, language: settings.language, question: settings.question }).fullQuestion,
    language: settings.language,
    contacts,
    dispositions,
    funnel: { contacts, eligible, dialled, reached, responded: responses, commented: comments.recorded + spokenWithoutAudio },
    calls: { total: calls.total, answeredByPerson: calls.human, answeredByMachine: calls.machine, answeredUnserved: calls.unserved },
    responses,
    responseRate: rate(responses, eligible),
    contactRate: rate(reached, eligible),
    cooperationRate: rate(responses, reached),
    scores: Object.fromEntries(scores.map((n, score) => [String(score), n])),
    ...counts,
    shares: { promoters: share(counts.promoters), passives: share(counts.passives), detractors: share(counts.detractors) },
    nps: interval?.nps ?? null,
    npsCi95: interval?.ci ?? null,
    npsMethod: {
      interval: 'adjusted-wald',
      confidence: 0.95,
      adjustedNps: interval?.adjustedNps ?? null,
      standardError: interval?.standardError ?? null,
      finitePopulationCorrection: interval?.finitePopulationCorrection ?? false,
      population,
    },
    lowSample: responses < LOW_SAMPLE_RESPONSES,
    meanScore: responses === 0 ? null : scoreSum / responses,
    comments,
    segments,
    segmentsOmitted: omitted,
    wave,
    agents,
    followUp,
    why,
    billing: {
      billableCalls: billing.billableCalls,
      billableSeconds: billing.billableSeconds,
      amountMinor: billing.amountMinor,
      currency: billing.currency,
      ...(audience === 'operator' ? { providerCost: { amountMicros: calls.priceMicros, pricedCalls: calls.priced } } : {}),
    },
  };
}

/** Comments with a downloaded recording, detractors first (they need a call back), for the HTML. */
export async function listComments(reader: SqlReader, listId: number, limit: number): Promise<{ items: CommentItem[]; total: number }> {
  const total = await countOf(reader, `SELECT count(*) AS n FROM responses WHERE list_id = ? AND comment_status = 'downloaded'`, [listId]);
  const rows = await reader.all<{ callId: number; contactId: number; rowNumber: number; phone: string; score: number; seconds: number | null; file: string }>(
    `SELECT r.call_id AS "callId", r.contact_id AS "contactId", c.row_number AS "rowNumber", c.phone_e164 AS phone, r.score, r.comment_seconds AS seconds, r.comment_file AS file
     FROM responses r JOIN contacts c ON c.id = r.contact_id
     WHERE r.list_id = ? AND r.comment_status = 'downloaded' AND r.comment_file IS NOT NULL
     ORDER BY r.score, r.id LIMIT ?`,
    [listId, limit],
  );
  return { items: rows.map(({ phone, ...row }) => ({ ...row, maskedPhone: maskPhone(phone), category: categoryOf(row.score) })), total };
}
