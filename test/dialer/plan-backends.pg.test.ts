import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ListNotLoadedError, ListSettingsBook } from '../../src/contacts/index.js';
import { openDatabase, PostgresReader, sqliteReader, type AppDatabase, type SqlReader } from '../../src/db/index.js';
import { numbered } from '../../src/db/reader.js';
import { describeListPace, dialerStatus, listLanguages, planList } from '../../src/dialer/index.js';
import { TARIFF } from '../support/dialer.js';
import { tempDir } from '../support/factories.js';
import { describeOnPostgres, freshPostgres, type FreshPostgres } from '../support/postgres.js';

// Monday 2026-01-05 10:00Z: 11:00 in Warsaw (PL preset: Mon–Sat 09:00–20:00), 02:00 in Los Angeles.
const START = Date.UTC(2026, 0, 5, 10, 0, 0);
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PLANNED = 2;
const CONFIG = { defaultTariff: TARIFF };

type Exec = (sql: string, params?: readonly unknown[]) => Promise<void>;

/**
 * The same rows on either engine, ids given so that both answer with the same ones: a list to plan
 * with a contact for every reason, the lists and calls its screening looks at, and what the
 * dialer's status reads (a live call, a pending comment, deliveries and their failures, a failed
 * scheduled run, a failed call, the lock's holder). Every time differs, so no order rests on a tie.
 */
async function seed(exec: Exec): Promise<void> {
  await exec('INSERT INTO clients (id, name, created_at) VALUES (1, ?, ?)', ['Acme', START - 30 * DAY]);
  const list = (id: number, clientId: number | null, name: string, extra: { script?: object; policy?: object; country?: string; pausedAt?: number } = {}) =>
    exec('INSERT INTO lists (id, client_id, name, script, policy, default_country, paused_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      clientId,
      name,
      JSON.stringify(extra.script ?? {}),
      JSON.stringify(extra.policy ?? {}),
      extra.country ?? null,
      extra.pausedAt ?? null,
      START - 20 * DAY + id,
    ]);
  const contact = (id: number, listId: number, phone: string, fields: { country?: string; timezone?: string; language?: string; status?: string; attempts?: number; nextAt?: number } = {}) =>
    exec('INSERT INTO contacts (id, list_id, row_number, phone_e164, country, timezone, language, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      listId,
      id + 1,
      phone,
      fields.country ?? 'PL',
      fields.timezone ?? null,
      fields.language ?? null,
      fields.status ?? 'pending',
      fields.attempts ?? 0,
      fields.nextAt ?? START - HOUR,
      START - DAY,
    ]);
  const call = (id: number, contactId: number, listId: number, attempt: number, fields: { state?: string; outcome?: string; createdAt: number; endedAt?: number; status?: string; detail?: string }) =>
    exec('INSERT INTO calls (id, contact_id, list_id, attempt, ref, state, outcome, provider_status, provider_detail, created_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      contactId,
      listId,
      attempt,
      `ref-${id}`,
      fields.state ?? 'ended',
      fields.outcome ?? null,
      fields.status ?? null,
      fields.detail ?? null,
      fields.createdAt,
      fields.endedAt ?? null,
    ]);

  // An earlier wave of the same client: a person answered there yesterday (the frequency cap), and
  // another number was tried four times this month (the attempt cap).
  await list(1, 1, 'Acme Q4', { country: 'PL' });
  await contact(100, 1, '+48501000004', { status: 'responded', attempts: 1 });
  await call(1000, 100, 1, 1, { outcome: 'human', createdAt: START - DAY - 60_000, endedAt: START - DAY });
  await contact(101, 1, '+48501000011', { status: 'busy', attempts: 4 });
  for (let attempt = 1; attempt <= 4; attempt++) await call(1000 + attempt, 101, 1, attempt, { outcome: 'busy', createdAt: START - (10 - attempt) * DAY, endedAt: START - (10 - attempt) * DAY + 30_000 });

  // The list planned, in Polish for PL numbers unless a contact says otherwise.
  await list(PLANNED, 1, 'Acme Q1', { script: { company: 'Acme', question: 'How likely?' }, policy: { maxAttempts: 3, cps: 5 }, country: 'PL' });
  await contact(1, PLANNED, '+48501000001');
  await contact(2, PLANNED, '+12135550102', { country: 'US', timezone: 'America/Los_Angeles', language: 'ru-RU' });
  await contact(3, PLANNED, '+48501000003');
  await exec(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES (?, 'operator', ?)`, ['+48501000003', START - 2 * DAY]);
  await contact(4, PLANNED, '+48501000004');
  await contact(5, PLANNED, '+88216000005', { country: 'XX' });
  await contact(6, PLANNED, '+48501000006', { status: 'responded', attempts: 1 });
  await call(2006, 6, PLANNED, 1, { outcome: 'human', createdAt: START - 3 * HOUR, endedAt: START - 3 * HOUR + 90_000 });
  await exec(`INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, created_at) VALUES (6, 2006, ?, 9, 'pending', ?)`, [PLANNED, START - 3 * HOUR + 60_000]);
  // Busy an hour ago: its retry waits for the default two hours' delay.
  await contact(7, PLANNED, '+48501000007', { attempts: 1, nextAt: START + HOUR });
  await call(2007, 7, PLANNED, 1, { outcome: 'busy', createdAt: START - HOUR - 30_000, endedAt: START - HOUR });
  await contact(8, PLANNED, '+48501000008', { attempts: 3 });
  await contact(9, PLANNED, '+48501000009', { status: 'dialing', attempts: 1 });
  await call(2009, 9, PLANNED, 1, { state: 'answered', createdAt: START - 20_000 });
  await contact(10, PLANNED, '+48501000010');
  await contact(11, PLANNED, '+48501000011');
  await contact(12, PLANNED, '+48501000012', { status: 'failed', attempts: 1 });
  await call(2012, 12, PLANNED, 1, { outcome: 'failed', status: 'failed', detail: 'invalid number', createdAt: START - 50 * 60_000, endedAt: START - 49 * 60_000 });

  // A paused list without a client, on a call to contact 10's number now.
  await list(3, null, 'Other', { pausedAt: START - 5 * HOUR });
  await contact(300, 3, '+48501000010', { status: 'dialing', attempts: 1 });
  await call(3000, 300, 3, 1, { state: 'ringing', createdAt: START - 10_000 });

  // Deliveries to clients: one waiting, two failed for good (an HTTP error, a network error).
  const delivery = (id: number, clientId: number | null, status: string) =>
    exec(`INSERT INTO webhook_deliveries (id, event, dedupe_key, client_id, list_id, status, attempts, next_attempt_at, created_at) VALUES (?, 'detractor.alert', ?, ?, ?, ?, 1, ?, ?)`, [
      id,
      `key-${id}`,
      clientId,
      PLANNED,
      status,
      START + id,
      START - 4 * HOUR,
    ]);
  const attempt = (deliveryId: number, at: number, statusCode: number | null, error: string | null) =>
    exec(`INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, target, status_code, error, duration_ms) VALUES (?, 1, ?, 'https://hooks.example/nps', ?, ?, 120)`, [deliveryId, at, statusCode, error]);
  await delivery(1, 1, 'pending');
  await delivery(2, 1, 'failed');
  await attempt(2, START - 40 * 60_000, 500, null);
  await delivery(3, null, 'failed');
  await attempt(3, START - 30 * 60_000, null, 'connect ECONNREFUSED');
  await exec(`INSERT INTO schedules (list_id, cron, timezone, status, last_started_at, last_ended_at, last_result, created_at) VALUES (1, '0 20 * * *', 'Europe/Warsaw', 'active', ?, ?, 'error: the provider refused the credentials', ?)`, [
    START - 2 * HOUR,
    START - 2 * HOUR + 5_000,
    START - 7 * DAY,
  ]);
  await exec(`INSERT INTO dialer_lock (id, token, pid, host, command, acquired_at, heartbeat_at) VALUES (1, 'token', 4242, 'dialer-1', 'serve', ?, ?)`, [START - 6 * HOUR, START - 7_000]);
}

interface Backend {
  reader: SqlReader;
  exec: Exec;
  close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const database: AppDatabase = openDatabase({ path: path.join(tempDir('nps-plan-'), 'nps.db') });
  return {
    // A file database: the reader has a read-only connection of its own, as in production.
    reader: sqliteReader(database),
    exec: (sql, params = []) => {
      database.sqlite.prepare(sql).run(...params);
      return Promise.resolve();
    },
    close: () => {
      database.close();
      return Promise.resolve();
    },
  };
}

async function postgresBackend(): Promise<Backend & { fresh: FreshPostgres }> {
  const fresh = await freshPostgres();
  const { pool } = fresh.database;
  return {
    fresh,
    reader: new PostgresReader(pool),
    exec: async (sql, params = []) => {
      await pool.query(numbered(sql), [...params]);
    },
    close: () => fresh.close(),
  };
}

describeOnPostgres('the dialer read models on SQLite and PostgreSQL', () => {
  let sqlite: Backend;
  let postgres: Backend;
  const both = () => [sqlite, postgres] as const;

  beforeAll(async () => {
    [sqlite, postgres] = await Promise.all([sqliteBackend(), postgresBackend()]);
    for (const backend of both()) await seed(backend.exec);
  });
  afterAll(async () => {
    await Promise.all([sqlite?.close(), postgres?.close()]);
  });

  describe('lists plan', () => {
    it('plans every contact alike, with the reason for each', async () => {
      const [onSqlite, onPostgres] = await Promise.all(both().map((b) => planList({ reader: b.reader, lists: new ListSettingsBook(b.reader, CONFIG), listId: PLANNED, now: START })));
      expect(onPostgres).toEqual(onSqlite);
      expect(onSqlite!.rows.map((r) => [r.contactId, r.verdict, r.reason, r.language])).toEqual([
        [1, 'call', 'due_now', 'pl-PL'],
        [2, 'call', 'outside_window', 'ru-RU'],
        [3, 'excluded', 'suppressed', 'pl-PL'],
        [4, 'excluded', 'recent_survey', 'pl-PL'],
        [5, 'excluded', 'no_time_zone', 'pl-PL'],
        [6, 'final', 'final', 'pl-PL'],
        [7, 'call', 'retry_later', 'pl-PL'],
        [8, 'excluded', 'attempts_used', 'pl-PL'],
        [9, 'in_call', 'in_call', 'pl-PL'],
        [10, 'call', 'live_elsewhere', 'pl-PL'],
        [11, 'excluded', 'attempt_cap', 'pl-PL'],
        [12, 'final', 'final', 'pl-PL'],
      ]);
      expect(onSqlite!.rows[3]!.detail).toBe('answered in list 1 on 2026-01-04');
      expect(onSqlite!.rows[6]!.nextCallAt).toBe(START + HOUR);
    });

    it("counts the languages and shares the account's pace alike", async () => {
      const [languages, pace] = await Promise.all([
        Promise.all(both().map((b) => listLanguages({ reader: b.reader, lists: new ListSettingsBook(b.reader, CONFIG), listId: PLANNED }))),
        Promise.all(both().map((b) => describeListPace({ reader: b.reader, lists: new ListSettingsBook(b.reader, CONFIG), accountCps: 6, listId: PLANNED }))),
      ]);
      expect(languages[1]).toEqual(languages[0]);
      expect(languages[0]).toEqual([
        { language: 'pl-PL', contacts: 11 },
        { language: 'ru-RU', contacts: 1 },
      ]);
      expect(pace[1]).toEqual(pace[0]);
      expect(pace[0]!.openLists.map((l) => [l.listId, l.sharedCps])).toEqual([
        [PLANNED, 3],
        [3, 3],
      ]);
    });
  });

  it("shows the dialer's state alike", async () => {
    const [onSqlite, onPostgres] = await Promise.all(both().map((b) => dialerStatus(b.reader, { now: START, accountCps: 10 })));
    expect(onPostgres).toEqual(onSqlite);
    expect(onSqlite).toEqual({
      at: START,
      holder: { pid: 4242, host: 'dialer-1', command: 'serve', acquiredAt: START - 6 * HOUR, heartbeatAt: START - 7_000, heartbeatAgeMs: 7_000 },
      liveCalls: [
        { listId: PLANNED, calls: 1 },
        { listId: 3, calls: 1 },
      ],
      liveCallsTotal: 2,
      createsPerSecond: 2 / 60,
      accountCps: 10,
      recordingsPending: 1,
      deliveriesPending: 1,
      deliveriesFailed: 2,
      pausedLists: [3],
      lastErrors: [
        { at: START - 30 * 60_000, what: 'webhook to client - (detractor.alert)', detail: 'connect ECONNREFUSED' },
        { at: START - 40 * 60_000, what: 'webhook to client 1 (detractor.alert)', detail: 'HTTP 500' },
        { at: START - 49 * 60_000, what: `call 2012 of list ${PLANNED}`, detail: 'failed: invalid number' },
        { at: START - 2 * HOUR + 5_000, what: 'schedule 1 of list 1', detail: 'error: the provider refused the credentials' },
      ],
    });
  });

  describe("a list's settings", () => {
    it('are read alike, numbers as numbers', async () => {
      const [onSqlite, onPostgres] = await Promise.all(both().map((b) => new ListSettingsBook(b.reader, CONFIG).load(3)));
      expect(onPostgres).toEqual(onSqlite);
      expect(onSqlite).toMatchObject({ listId: 3, listName: 'Other', clientId: null, company: 'Other', pausedAt: START - 5 * HOUR, policy: { cps: 3, maxAttempts: 3 } });
      const planned = await Promise.all(both().map((b) => new ListSettingsBook(b.reader, CONFIG).load(PLANNED)));
      expect(planned[1]).toEqual(planned[0]);
      expect(planned[0]).toMatchObject({ clientId: 1, company: 'Acme', question: 'How likely?', language: 'pl-PL', pausedAt: null, policy: { cps: 5, maxAttempts: 3 } });
    });

    it('are answered synchronously only once loaded, and follow a change when asked to', async () => {
      for (const backend of both()) {
        const book = new ListSettingsBook(backend.reader, CONFIG);
        expect(() => book.get(1)).toThrow(ListNotLoadedError);
        const loaded = await book.load(1);
        expect(book.get(1)).toBe(loaded);
        await backend.exec('UPDATE lists SET policy = ? WHERE id = 1', [JSON.stringify({ cps: 7 })]);
        // Kept as loaded until read again: a unit of work never waits for the database here.
        expect(book.get(1).policy.cps).toBe(3);
        expect(await book.reloadIfChanged(1)).toBe(true);
        expect(book.get(1).policy.cps).toBe(7);
        expect(await book.reloadIfChanged(1)).toBe(false);
        book.invalidate(1);
        expect(() => book.get(1)).toThrow(ListNotLoadedError);
        await backend.exec(`UPDATE lists SET policy = '{}' WHERE id = 1`);
        await expect(book.find(99)).resolves.toBeUndefined();
      }
    });
  });
});
