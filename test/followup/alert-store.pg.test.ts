import { changes, one, transaction, type Queryable } from '../../src/db/postgres/index.js';
import { PostgresAlertStore } from '../../src/followup/index.js';
import type { CaseStore } from '../../src/followup/case-store.js';
import type { DeliveryStore } from '../../src/notifications/delivery-store.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { alertStoreConformance } from './alert-store-conformance.js';
import { postgresFollowUpScene } from './postgres-scene.js';

/**
 * The writes of the case and delivery ports the suite makes its alerts with: the SQLite adapters'
 * statements (SqliteCaseStore.open, enqueueDelivery, SqliteDeliveryStore.recordAttempt) in this
 * dialect, for as long as this branch has no PostgreSQL adapters of those ports.
 */
function followUpWrites(q: Queryable): { cases: Pick<CaseStore, 'open'>; deliveries: Pick<DeliveryStore, 'enqueue' | 'recordAttempt'> } {
  return {
    cases: {
      open: async (c) =>
        (
          await one<{ id: number }>(
            q,
            `INSERT INTO cases (response_id, client_id, list_id, contact_id, call_id, score, threshold, agent, owner, status, due_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11) ON CONFLICT (response_id) DO NOTHING RETURNING id`,
            [c.responseId, c.clientId, c.listId, c.contactId, c.callId, c.score, c.threshold, c.agent, c.owner, c.dueAt, c.at],
          )
        )?.id,
    },
    deliveries: {
      enqueue: async (input) =>
        (
          await one<{ id: number }>(
            q,
            `INSERT INTO webhook_deliveries (event, dedupe_key, client_id, list_id, response_id, payload, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
            [input.event, input.dedupeKey, input.clientId, input.listId, input.responseId ?? null, input.payload ? JSON.stringify(input.payload) : null, input.dueAt, input.now],
          )
        )?.id,
      recordAttempt: (delivery, attempt) =>
        transaction(q, async (tx) => {
          const inserted = await changes(
            tx,
            `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, target, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (delivery_id, attempt) DO NOTHING`,
            [delivery.id, attempt.attempt, attempt.attemptedAt, attempt.target, attempt.statusCode, attempt.error, attempt.durationMs],
          );
          if (inserted === 0) return false;
          await changes(
            tx,
            `UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, last_status_code = $4, last_error = $5, delivered_at = $6
             WHERE id = $7 AND status = 'pending' AND attempts = $8`,
            [attempt.attempt, attempt.status, attempt.nextAttemptAt, attempt.statusCode, attempt.error, attempt.deliveredAt, delivery.id, delivery.attempts],
          );
          return true;
        }),
    },
  };
}

/** The detractor alerts' read side on PostgreSQL, in a fresh migrated database per test. */
describeOnPostgres('the detractor alerts', () => {
  alertStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    return {
      ...postgresFollowUpScene(pool),
      ...followUpWrites(pool),
      store: new PostgresAlertStore(pool),
      close: () => fresh.close(),
    };
  });
});
