import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { PostgresReader } from '../../src/db/index.js';
import { one, openPostgres, rows, type Queryable } from '../../src/db/postgres/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { PostgresInterimReportStore, produceInterimReports, verifyReportLink } from '../../src/reports/index.js';
import { tempDir } from '../support/factories.js';
import { describeOnPostgres, freshPostgres, type FreshPostgres } from '../support/postgres.js';
import { REPORT_TARIFF, START } from '../support/reports.js';

const LINK_SECRET = 'interim-test-link-secret-0123456789abcdef';
// 08:00 in Warsaw on Tuesday 6 January 2026, and the job a few seconds after it.
const MORNING = Date.UTC(2026, 0, 6, 7, 0, 0);
const INPUT = { occurrenceAt: MORNING, timezone: 'Europe/Warsaw', baseUrl: 'https://dialer.example' };

/** A ready list of the client: `scores` answered, `waiting` dialled once and due for a retry, `fresh` never dialled. */
async function seedList(q: Queryable, clientId: number, name: string, contacts: { scores: number[]; waiting: number; fresh: number }): Promise<number> {
  const { id: listId } = (await one<{ id: number }>(q, `INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, '{"company":"Acme"}', '{}', 'ready', $3) RETURNING id`, [
    name,
    clientId,
    START,
  ]))!;
  let row = 0;
  const contact = async (status: string, attempts: number) =>
    (await one<{ id: number }>(q, `INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES ($1, $2, $3, 'PL', $4, $5, $6, $7) RETURNING id`, [
      listId,
      ++row + 1,
      `+48601${String(listId).padStart(3, '0')}${String(row).padStart(3, '0')}`,
      status,
      attempts,
      status === 'pending' ? START : null,
      START,
    ]))!.id;
  const call = async (contactId: number, outcome: 'human' | 'unanswered') => {
    const at = START + row * 60_000;
    return (await one<{ id: number }>(
      q,
      `INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, answered_by, created_at, answered_at, ended_at, duration_seconds) VALUES ($1, $2, 1, $3, 'ended', $4, $5, $6, $7, $8, $9) RETURNING id`,
      [contactId, listId, `ref-${listId}-${row}`, outcome, outcome === 'human' ? 'human' : null, at, outcome === 'human' ? at + 5_000 : null, at + 50_000, outcome === 'human' ? 45 : 0],
    ))!.id;
  };
  for (const score of contacts.scores) {
    const contactId = await contact('responded', 1);
    const callId = await call(contactId, 'human');
    await q.query('INSERT INTO responses (contact_id, call_id, list_id, score, created_at) VALUES ($1, $2, $3, $4, $5)', [contactId, callId, listId, score, START]);
  }
  for (let i = 0; i < contacts.waiting; i++) await call(await contact('pending', 1), 'unanswered');
  for (let i = 0; i < contacts.fresh; i++) await contact('pending', 0);
  return listId;
}

/** What `serve`'s interim job is given on one node: the backend's reader and store over `q`. */
function interimDeps(q: Queryable, reportsDir: string) {
  const config = { defaultTariff: REPORT_TARIFF, recordingsDir: tempDir('nps-interim-recordings-') };
  const reader = new PostgresReader(q);
  return {
    reader,
    listSettings: (listId: number) => new ListSettingsBook(reader, config).load(listId),
    interimReports: new PostgresInterimReportStore(q),
    clock: new ManualClock(MORNING + 5_000),
    config,
    linkSecret: LINK_SECRET,
    logger: createSilentLogger(),
    reportsDir,
  };
}

async function setup(fresh: FreshPostgres) {
  const { pool } = fresh.database;
  const { id: clientId } = (await one<{ id: number }>(pool, `INSERT INTO clients (name, report_url, alert_secret, created_at) VALUES ('Acme', 'https://crm.example/reports', 'whsec_interim-0123456789abcdef', $1) RETURNING id`, [
    START,
  ]))!;
  const running = await seedList(pool, clientId, 'Q1 wave', { scores: [10, 10, 10, 8, 3], waiting: 2, fresh: 0 });
  // Final, and never dialled: nothing to report every morning.
  await seedList(pool, clientId, 'Q4 wave', { scores: [10], waiting: 0, fresh: 0 });
  await seedList(pool, clientId, 'Q2 wave', { scores: [], waiting: 0, fresh: 3 });
  return { pool, clientId, running };
}

async function withPostgres(test: (fresh: FreshPostgres) => Promise<void>): Promise<void> {
  const fresh = await freshPostgres();
  try {
    await test(fresh);
  } finally {
    await fresh.close();
  }
}

describeOnPostgres('daily interim reports on PostgreSQL', () => {
  it("writes the running list's report and queues its announcement with signed links, once per occurrence", async () => {
    await withPostgres(async (fresh) => {
      const { pool, clientId, running } = await setup(fresh);
      const reportsDir = tempDir('nps-interim-pg-');
      const deps = interimDeps(pool, reportsDir);
      const [written, ...more] = await produceInterimReports(deps, INPUT);
      expect(more).toEqual([]);
      expect(written).toEqual({ listId: running, jsonFile: `list-${running}/interim-2026-01-06.json`, htmlFile: `list-${running}/interim-2026-01-06.html`, deliveryId: expect.any(Number) });
      const json = JSON.parse(readFileSync(path.join(reportsDir, written!.jsonFile), 'utf8')) as { final: boolean; responses: number; billing: object };
      expect(json).toMatchObject({ final: false, responses: 5, nps: 40, audience: 'client' });
      expect(json.billing).not.toHaveProperty('providerCost');
      expect(readFileSync(path.join(reportsDir, written!.htmlFile), 'utf8')).toContain('Interim: calls still in progress');

      const reports = await rows<{ id: number; listId: number; at: number }>(pool, 'SELECT id, list_id AS "listId", occurrence_at AS at FROM interim_reports');
      expect(reports).toEqual([{ id: expect.any(Number), listId: running, at: MORNING }]);
      const deliveries = await rows<{ id: number; event: string; dedupeKey: string; clientId: number; payload: string }>(
        pool,
        'SELECT id, event, dedupe_key AS "dedupeKey", client_id AS "clientId", payload FROM webhook_deliveries',
      );
      expect(deliveries).toEqual([{ id: written!.deliveryId, event: 'report.interim', dedupeKey: `report:${running}:${MORNING}`, clientId, payload: expect.any(String) }]);
      const body = JSON.parse(deliveries[0]!.payload) as { reportId: number; links: { html: string; json: string } };
      expect(body).toMatchObject({ type: 'report.interim', reportId: reports[0]!.id, listId: running, listName: 'Q1 wave', date: '2026-01-06', responses: 5, nps: 40 });
      expect(verifyReportLink(LINK_SECRET, body.links.html.split('/').pop()!, MORNING)).toMatchObject({ listId: running, format: 'html' });

      // The same occurrence again (a restart that morning): nothing produced, nothing queued.
      await expect(produceInterimReports(deps, INPUT)).resolves.toEqual([]);
      expect(await one(pool, 'SELECT count(*) AS n FROM webhook_deliveries')).toEqual({ n: 1 });
    });
  });

  it('announces an occurrence once when two nodes make it at the same time', async () => {
    await withPostgres(async (fresh) => {
      const { pool, running } = await setup(fresh);
      const other = await openPostgres({ url: fresh.url, migrate: false, poolSize: 2 });
      try {
        const reportsDir = tempDir('nps-interim-pg-');
        const made = await Promise.all([produceInterimReports(interimDeps(pool, reportsDir), INPUT), produceInterimReports(interimDeps(other.pool, reportsDir), INPUT)]);
        // Both may have written the files (the same ones); only one recorded and announced them.
        expect(made.flat().filter((r) => r.deliveryId !== null)).toHaveLength(1);
        expect(await rows(pool, 'SELECT list_id AS "listId" FROM interim_reports')).toEqual([{ listId: running }]);
        expect(await one(pool, 'SELECT count(*) AS n FROM webhook_deliveries')).toEqual({ n: 1 });
      } finally {
        await other.close();
      }
    });
  });
});
