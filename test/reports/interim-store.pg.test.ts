import { one, openPostgres, rows } from '../../src/db/postgres/index.js';
import { PostgresInterimReportStore } from '../../src/reports/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { interimReportStoreConformance, type InterimReportStoreFixture } from './interim-store-conformance.js';

/** The interim reports' store on PostgreSQL: a fresh migrated database per test, a second pool as the other node. */
describeOnPostgres('the interim reports', () => {
  interimReportStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 2 });
    // Connected before the test starts, so that the other node's statements race the first's rather than its connecting.
    await second.pool.query('SELECT 1');
    const { pool } = fresh.database;
    let made = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      store: new PostgresInterimReportStore(pool),
      otherNode: new PostgresInterimReportStore(second.pool),
      client: (urls) =>
        id(`INSERT INTO clients (name, alert_url, alert_secret, report_url, created_at) VALUES ($1, $2, 'whsec_test', $3, 0) RETURNING id`, [`client ${++made}`, urls.alertUrl, urls.reportUrl]),
      list: (clientId) => id(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, '{}', '{}', 'ready', 0) RETURNING id`, [`list ${++made}`, clientId]),
      reports: (listId) =>
        rows<Awaited<ReturnType<InterimReportStoreFixture['reports']>>[number]>(
          pool,
          'SELECT id, occurrence_at AS "occurrenceAt", json_file AS "jsonFile", html_file AS "htmlFile", created_at AS "createdAt" FROM interim_reports WHERE list_id = $1 ORDER BY id',
          [listId],
        ),
      deliveries: (listId) =>
        rows<Awaited<ReturnType<InterimReportStoreFixture['deliveries']>>[number]>(
          pool,
          'SELECT id, event, dedupe_key AS "dedupeKey", client_id AS "clientId", payload, next_attempt_at AS "nextAttemptAt" FROM webhook_deliveries WHERE list_id = $1 ORDER BY id',
          [listId],
        ),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
