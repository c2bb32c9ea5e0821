import { one, openPostgres } from '../../src/db/postgres/index.js';
import { PostgresDeliveryStore } from '../../src/notifications/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { deliveryStoreConformance, type DeliveryStoreFixture } from './delivery-store-conformance.js';

/** The delivery worker's store on PostgreSQL: a fresh migrated database per test, a second pool as the other node. */
describeOnPostgres('the webhook deliveries', () => {
  deliveryStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 2 });
    // Connected before the test starts, so that the other node's statements race the first's rather than its connecting.
    await second.pool.query('SELECT 1');
    const { pool } = fresh.database;
    let rows = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      store: new PostgresDeliveryStore(pool),
      otherNode: new PostgresDeliveryStore(second.pool),
      client: (receiver) =>
        id('INSERT INTO clients (name, alert_url, alert_secret, report_url, created_at) VALUES ($1, $2, $3, $4, 0) RETURNING id', [
          `client ${++rows}`,
          receiver.alertUrl,
          receiver.secret,
          receiver.reportUrl,
        ]),
      list: (clientId) => id(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, '{}', '{}', 'ready', 0) RETURNING id`, [`list ${++rows}`, clientId]),
      response: async (listId, state) => {
        const row = ++rows;
        const contactId = await id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES ($1, $2, $3, 'responded', 1, 0) RETURNING id`, [
          listId,
          row + 1,
          `+48500${String(row).padStart(6, '0')}`,
        ]);
        const callId = await id(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ended_at, created_at) VALUES ($1, $2, 1, $3, $4, $5, 0) RETURNING id`, [
          contactId,
          listId,
          `ref-${row}`,
          state.callEndedAt === null ? 'answered' : 'ended',
          state.callEndedAt,
        ]);
        return id('INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_text_status, created_at) VALUES ($1, $2, $3, 3, $4, $5, 0) RETURNING id', [
          contactId,
          callId,
          listId,
          state.commentStatus,
          state.textStatus,
        ]);
      },
      enqueue: (input) =>
        id(
          `INSERT INTO webhook_deliveries (event, dedupe_key, client_id, list_id, response_id, payload, status, attempts, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, 0) RETURNING id`,
          [
            input.responseId === undefined ? 'report.interim' : 'detractor.alert',
            input.dedupeKey ?? `d-${++rows}`,
            input.clientId,
            input.listId,
            input.responseId ?? null,
            input.payload ?? null,
            input.dueAt,
          ],
        ),
      inspect: async (deliveryId) =>
        (await one<Awaited<ReturnType<DeliveryStoreFixture['inspect']>>>(
          pool,
          `SELECT status, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError", last_status_code AS "lastStatusCode", delivered_at AS "deliveredAt", payload,
             (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id) AS "attemptRows"
           FROM webhook_deliveries d WHERE id = $1`,
          [deliveryId],
        ))!,
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
