import { one, openPostgres } from '../../src/db/postgres/index.js';
import { PostgresRunStore } from '../../src/dialer/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { runStoreConformance } from './run-store-conformance.js';

/** The outbound side's store on PostgreSQL: a fresh migrated database per test, a second pool as a second node. */
describeOnPostgres('the outbound side', () => {
  runStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    // Connected before the test starts, so that the second node's statements race the first's rather than its connecting.
    await second.pool.query('SELECT 1');
    const { pool } = fresh.database;
    let rows = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      runs: new PostgresRunStore(pool),
      second: new PostgresRunStore(second.pool),
      list: async (scene = {}) => {
        const clientId = scene.client ? await id('INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [`client ${++rows}`]) : (scene.clientId ?? null);
        const listId = await id(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, '{}', '{}', 'ready', 0) RETURNING id`, [`list ${++rows}`, clientId]);
        return { listId, clientId };
      },
      contact: (listId, c) =>
        id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id`, [
          listId,
          ++rows,
          c.phone,
          c.status ?? 'pending',
          c.attempts ?? 0,
          c.nextAttemptAt === undefined ? 0 : c.nextAttemptAt,
        ]),
      call: (contactId, c = {}) =>
        id(
          `INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, outcome, ivr_stage, answered_at, answered_by, ended_at, created_at)
           SELECT id, list_id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM contacts WHERE id = $11 RETURNING id`,
          [
            c.attempt ?? 1,
            `ref-${++rows}`,
            c.uuid ?? null,
            c.state ?? 'started',
            c.outcome ?? null,
            c.ivrStage ?? null,
            c.answeredAt ?? null,
            c.answeredBy ?? null,
            c.endedAt ?? null,
            c.createdAt ?? 0,
            contactId,
          ],
        ),
      response: async (callId, score) => {
        await pool.query('INSERT INTO responses (contact_id, call_id, list_id, score, created_at) SELECT contact_id, id, list_id, $1, 0 FROM calls WHERE id = $2', [score, callId]);
      },
      suppress: async (phone) => {
        await pool.query(`INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES ($1, 'operator', NULL, 0)`, [phone]);
      },
      event: async (callId) => {
        await pool.query(`INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES ($1, 'status', 'started', 0, 0, '{}')`, [callId]);
      },
      contactRow: (contactId) =>
        one<{ status: string; attempts: number; nextAttemptAt: number | null }>(pool, 'SELECT status, attempts, next_attempt_at AS "nextAttemptAt" FROM contacts WHERE id = $1', [contactId]),
      callRow: (callId) =>
        one<{ state: string; uuid: string | null; conversationUuid: string | null; attempt: number; ref: string }>(
          pool,
          'SELECT state, provider_uuid AS uuid, conversation_uuid AS "conversationUuid", attempt, ref FROM calls WHERE id = $1',
          [callId],
        ),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
