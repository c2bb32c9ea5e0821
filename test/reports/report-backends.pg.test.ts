import path from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { openDatabase, PostgresReader, sqliteReader, type SqlReader } from '../../src/db/index.js';
import { renderReport, type NpsReport, type ReportServiceDeps } from '../../src/reports/index.js';
import { tempDir } from '../support/factories.js';
import { describeOnPostgres, freshPostgres, type FreshPostgres } from '../support/postgres.js';
import { REPORT_TARIFF, START } from '../support/reports.js';

/** Runs one statement with `?` placeholders on either backend. */
type Exec = (sql: string, params: readonly unknown[]) => Promise<void>;

/** A deterministic sequence in [0, 1): the same data on both backends, different in every row. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;

/** Inserts rows of `columns` in statements of a few hundred rows (both drivers cap a statement's parameters). */
async function insertRows(exec: Exec, table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
  const perStatement = Math.floor(2_000 / columns.length);
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    await exec(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
  }
}

const STATUSES = ['responded', 'responded', 'responded', 'busy', 'unanswered', 'machine', 'failed', 'rejected', 'answered_no_score', 'opted_out', 'suppressed', 'capped', 'not_dialled', 'pending', 'dialing'] as const;
const THEMES = ['price', 'service', 'speed', 'quality', 'staff'] as const;
const REGIONS = ['North', 'South', 'East', 'West', 'Łódź', '=cmd'] as const;

/** The lists of the comparison: a first wave, its follow-up (the report's subject), and a list of triggered surveys whose contacts sit far apart. */
const WAVE_1 = 1;
const WAVE_2 = 2;
const TRIGGERED = 3;

/**
 * Writes the same client, lists, contacts, calls, responses (scores, comments in every state,
 * texts, themes, keypad reasons), billing lines and follow-up cases through `exec`, with explicit
 * ids, so both backends hold identical rows. The follow-up wave has 6,500 contacts: more than a
 * page of the report's pass and of the per-contact CSV.
 */
async function seedReportData(exec: Exec): Promise<void> {
  const random = sequence(17);
  await exec('INSERT INTO clients (id, name, created_at, taxonomy) VALUES (?, ?, ?, ?)', [1, 'Acme', START, null]);
  const list = (id: number, name: string, previous: number | null, script: object, extra: { valueColumn?: string; acceptsTriggers?: number } = {}) =>
    exec(
      `INSERT INTO lists (id, client_id, name, previous_list_id, script, policy, state, value_column, accepts_triggers, default_country, created_at)
       VALUES (?, ?, ?, ?, ?, '{}', 'ready', ?, ?, 'PL', ?)`,
      [id, 1, name, previous, JSON.stringify(script), extra.valueColumn ?? null, extra.acceptsTriggers ?? 0, START],
    );
  await list(WAVE_1, 'Acme Q3', null, { company: 'Acme' });
  await list(WAVE_2, 'Acme Q4', WAVE_1, { company: 'Acme', language: 'pl-PL' }, { valueColumn: 'revenue' });
  await list(TRIGGERED, 'Acme after-call', null, { company: 'Acme' }, { acceptsTriggers: 1 });

  const contacts: unknown[][] = [];
  const calls: unknown[][] = [];
  const responses: unknown[][] = [];
  const themes: unknown[][] = [];
  const billing: unknown[][] = [];
  const cases: unknown[][] = [];
  let callId = 0;
  const addContact = (id: number, listId: number, row: number, phone: string) => {
    const status = pick(random, STATUSES);
    const attempts = status === 'not_dialled' || status === 'suppressed' || status === 'capped' ? 0 : status === 'pending' ? Math.floor(random() * 3) : 1 + Math.floor(random() * 2);
    const attributes: Record<string, unknown> = random() < 0.1 ? {} : { region: pick(random, REGIONS), agent: `Agent ${Math.floor(random() * 12)}` };
    if (random() < 0.3) attributes.tier = Math.floor(random() * 3);
    const value = random() < 0.4 ? Math.round(random() * 10_000) / 4 : null;
    contacts.push([id, listId, row, phone, random() < 0.9 ? 'PL' : 'DE', pick(random, [null, 'en-US', 'pl-PL']), JSON.stringify(attributes), status, attempts, status === 'pending' ? START : null, value, START]);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const last = attempt === attempts;
      const outcome = !last
        ? 'unanswered'
        : status === 'responded' || status === 'answered_no_score' || status === 'opted_out'
          ? 'human'
          : status === 'dialing'
            ? null
            : status === 'pending'
              ? pick(random, ['unanswered', 'unserved'])
              : status;
      const at = START + ++callId * 60_000;
      const human = outcome === 'human';
      calls.push([
        callId,
        id,
        listId,
        attempt,
        `ref-${callId}`,
        `uuid-${callId}`,
        outcome === null ? 'answered' : 'ended',
        outcome,
        human ? 'human' : outcome === 'machine' ? 'machine' : null,
        at,
        human || outcome === 'machine' ? at + 5_000 : null,
        outcome === null ? null : at + 50_000,
        human ? 30 + Math.floor(random() * 90) : 0,
        human ? 9_000 + Math.floor(random() * 3_000) : null,
      ]);
      if (human) billing.push([callId, listId, 1, 60, 12, 'EUR', 10_500, at]);
      if (last && status === 'responded') {
        const score = Math.floor(random() * 11);
        const comment = pick(random, ['none', 'none', 'none', 'downloaded', 'pending', 'failed', 'deleted']);
        const textStatus = comment === 'none' ? pick(random, ['none', 'none', 'ready', 'pending']) : pick(random, ['ready', 'ready', 'empty', 'pending', 'failed']);
        const words = textStatus === 'ready' ? (random() < 0.9 ? `Comment ${callId}: ${pick(random, ['too expensive', 'rude staff', 'slow', 'lovely', '-1 stars'])}` : null) : null;
        responses.push([
          callId,
          id,
          callId,
          listId,
          score,
          comment,
          comment === 'downloaded' ? `list-${listId}/call-${callId}.mp3` : null,
          comment === 'none' ? null : Math.floor(random() * 40),
          textStatus === 'none' ? null : comment === 'none' ? 'speech' : 'recording',
          textStatus,
          words,
          textStatus === 'ready' ? 'en-US' : null,
          textStatus === 'ready' ? pick(random, ['positive', 'neutral', 'negative']) : null,
          textStatus === 'ready' ? 'engine' : null,
          textStatus === 'ready' ? 'engine' : null,
          random() < 0.3 ? pick(random, ['price', 'service', 'other']) : null,
          at,
        ]);
        if (textStatus === 'ready') {
          for (const theme of THEMES) if (random() < 0.3) themes.push([callId, listId, theme]);
        }
        if (score <= 4) {
          const dueAt = at + 48 * 3_600_000;
          const caseStatus = pick(random, ['open', 'open', 'contacted', 'resolved']);
          const contactedAt = caseStatus === 'open' ? null : dueAt + Math.round((random() - 0.5) * 24 * 3_600_000);
          const resolvedAt = caseStatus === 'resolved' ? (contactedAt ?? dueAt) + 3_600_000 : null;
          cases.push([callId, callId, 1, listId, id, callId, score, String(attributes.agent ?? '') || null, caseStatus, dueAt, at, at, contactedAt, resolvedAt]);
        }
      }
    }
  };
  // The same 300 people in both waves (same numbers), and 6,200 new ones in the second.
  for (let i = 0; i < 400; i++) addContact(1 + i, WAVE_1, i + 2, `+48600${String(i).padStart(6, '0')}`);
  for (let i = 0; i < 6_500; i++) addContact(1_001 + i, WAVE_2, i + 2, `+48600${String(i + 100).padStart(6, '0')}`);
  // One contact in twelve ids: the list is read in one statement, not by id ranges.
  for (let i = 0; i < 60; i++) addContact(10_000 + 12 * i, TRIGGERED, i + 2, `+48700${String(i).padStart(6, '0')}`);

  await insertRows(exec, 'contacts', ['id', 'list_id', 'row_number', 'phone_e164', 'country', 'language', 'attributes', 'status', 'attempts', 'next_attempt_at', 'value', 'updated_at'], contacts);
  await insertRows(
    exec,
    'calls',
    ['id', 'contact_id', 'list_id', 'attempt', 'ref', 'provider_uuid', 'state', 'outcome', 'answered_by', 'created_at', 'answered_at', 'ended_at', 'duration_seconds', 'provider_price_micros'],
    calls,
  );
  await insertRows(
    exec,
    'responses',
    [
      'id',
      'contact_id',
      'call_id',
      'list_id',
      'score',
      'comment_status',
      'comment_file',
      'comment_seconds',
      'comment_mode',
      'comment_text_status',
      'comment_text',
      'comment_language',
      'sentiment',
      'sentiment_source',
      'themes_source',
      'reason',
      'created_at',
    ],
    responses,
  );
  await insertRows(exec, 'response_themes', ['response_id', 'list_id', 'theme'], themes);
  await insertRows(exec, 'billing_lines', ['call_id', 'list_id', 'client_id', 'billable_seconds', 'amount_minor', 'currency', 'provider_price_micros', 'created_at'], billing);
  await insertRows(
    exec,
    'cases',
    ['id', 'response_id', 'client_id', 'list_id', 'contact_id', 'call_id', 'score', 'agent', 'status', 'due_at', 'created_at', 'updated_at', 'contacted_at', 'resolved_at'],
    cases,
  );
}

interface Backend {
  deps: ReportServiceDeps;
  close(): Promise<void>;
}

const NOW = START + 5 * 86_400_000;

/** The report's deps over `reader`: the lists' settings are read through it too. */
function depsOver(reader: SqlReader): ReportServiceDeps {
  const config = { defaultTariff: REPORT_TARIFF, recordingsDir: tempDir('nps-backends-') };
  return { reader, listSettings: (listId) => new ListSettingsBook(reader, config).load(listId), clock: new ManualClock(NOW), config, linkSecret: undefined };
}

/** The same data in a SQLite file and in a fresh PostgreSQL database. */
async function bothBackends(): Promise<{ sqlite: Backend; postgres: Backend }> {
  const database = openDatabase({ path: path.join(tempDir('nps-backends-'), 'nps.db') });
  await seedReportData(async (sql, params) => {
    database.sqlite.prepare(sql).run(...params);
  });
  let fresh: FreshPostgres | undefined;
  try {
    fresh = await freshPostgres();
    const { pool } = fresh.database;
    await seedReportData(async (sql, params) => {
      let n = 0;
      await pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      );
    });
  } catch (error) {
    database.close();
    await fresh?.close();
    throw error;
  }
  const postgres = fresh;
  return {
    sqlite: { deps: depsOver(sqliteReader(database)), close: async () => database.close() },
    postgres: { deps: depsOver(new PostgresReader(postgres.database.pool)), close: () => postgres.close() },
  };
}

async function withBoth(test: (backends: { sqlite: Backend; postgres: Backend }) => Promise<void>): Promise<void> {
  const backends = await bothBackends();
  try {
    await test(backends);
  } finally {
    await backends.postgres.close();
    await backends.sqlite.close();
  }
}

async function body(deps: ReportServiceDeps, input: Parameters<typeof renderReport>[1]): Promise<string> {
  const rendered = await renderReport(deps, input);
  return typeof rendered.body === 'string' ? rendered.body : text(rendered.body as Readable);
}

async function jsonReport(deps: ReportServiceDeps, listId: number): Promise<Omit<NpsReport, 'generatedAt'>> {
  const { generatedAt: _generatedAt, ...report } = JSON.parse(await body(deps, { listId, format: 'json', audience: 'operator' })) as NpsReport;
  return report;
}

describeOnPostgres('the report on SQLite and on PostgreSQL', () => {
  describe('the same list, row for row, on both backends', () => {
    it('builds the same JSON report: dispositions, segments, agents, the wave and its panel, the why, follow-up and billing', async () => {
      await withBoth(async ({ sqlite, postgres }) => {
        const onSqlite = await jsonReport(sqlite.deps, WAVE_2);
        // The data exercises what it should: several pages, a wave with matched people, themes, keypad reasons, values, overdue cases.
        expect(onSqlite.contacts).toBe(6_500);
        expect(onSqlite.wave!.panel.matched).toBeGreaterThan(5);
        expect(onSqlite.why.themes.length).toBeGreaterThan(3);
        expect(onSqlite.why.keypadReasons.length).toBe(3);
        expect(onSqlite.why.revenueAtRisk).not.toBeNull();
        expect(onSqlite.why.themeWaves!.rows.length).toBeGreaterThan(0);
        expect(onSqlite.followUp.overdue).toBeGreaterThan(0);
        expect(Object.keys(onSqlite.segments)).toEqual(['agent', 'language', 'region', 'tier']);
        expect(await jsonReport(postgres.deps, WAVE_2)).toEqual(onSqlite);
      });
    });

    it('writes the same summary CSV, per-contact CSV (several pages) and HTML page', async () => {
      await withBoth(async ({ sqlite, postgres }) => {
        const summary = await body(sqlite.deps, { listId: WAVE_2, format: 'csv', summary: true });
        expect(await body(postgres.deps, { listId: WAVE_2, format: 'csv', summary: true })).toBe(summary);
        const perContact = await body(sqlite.deps, { listId: WAVE_2, format: 'csv', full: true });
        expect(perContact.trim().split('\n')).toHaveLength(6_501);
        expect(await body(postgres.deps, { listId: WAVE_2, format: 'csv', full: true })).toBe(perContact);
        const html = await body(sqlite.deps, { listId: WAVE_2, format: 'html' });
        expect(await body(postgres.deps, { listId: WAVE_2, format: 'html' })).toBe(html);
      });
    });

    it('reads a list whose contacts sit far apart among the ids the same way on both', async () => {
      await withBoth(async ({ sqlite, postgres }) => {
        const onSqlite = await jsonReport(sqlite.deps, TRIGGERED);
        expect(onSqlite.contacts).toBe(60);
        expect(await jsonReport(postgres.deps, TRIGGERED)).toEqual(onSqlite);
        expect(await body(postgres.deps, { listId: TRIGGERED, format: 'csv' })).toBe(await body(sqlite.deps, { listId: TRIGGERED, format: 'csv' }));
      });
    });
  });
});
