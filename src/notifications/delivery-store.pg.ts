import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { AttemptRecord, DeliveryRow, DeliveryStore, EnqueueDelivery, Receiver } from './delivery-store.js';

const DELIVERY_COLUMNS = `d.id, d.event, d.dedupe_key AS "dedupeKey", d.client_id AS "clientId", d.list_id AS "listId", d.response_id AS "responseId",
  d.payload, d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt", d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  d.delivered_at AS "deliveredAt", d.created_at AS "createdAt"`;

/**
 * The delivery worker's store on PostgreSQL, statement for statement as on SQLite. Workers on two
 * nodes may read the same due delivery; what they write is conditional on the attempt count they
 * read, and an attempt meets the other's on the (delivery, attempt) unique index, so one of them
 * records it and moves the delivery on.
 */
export class PostgresDeliveryStore implements DeliveryStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async enqueue(input: EnqueueDelivery): Promise<number | undefined> {
    const row = await one<{ id: number }>(
      this.#q,
      `INSERT INTO webhook_deliveries (event, dedupe_key, client_id, list_id, response_id, payload, status, attempts, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [input.event, input.dedupeKey, input.clientId, input.listId, input.responseId ?? null, input.payload ? JSON.stringify(input.payload) : null, input.dueAt, input.now],
    );
    return row?.id;
  }

  due(now: number, graceMs: number, limit: number): Promise<DeliveryRow[]> {
    return rows<DeliveryRow>(
      this.#q,
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
       LEFT JOIN responses r ON r.id = d.response_id
       LEFT JOIN calls k ON k.id = r.call_id
       WHERE d.status = 'pending' AND (
         d.next_attempt_at <= $1
         OR (d.attempts = 0 AND d.response_id IS NOT NULL AND r.comment_text_status <> 'pending' AND (
           r.comment_status IN ('downloaded', 'failed', 'deleted')
           OR (r.comment_status = 'none' AND k.state = 'ended' AND k.ended_at <= $1 - $2))))
       ORDER BY d.next_attempt_at, d.id LIMIT $3`,
      [now, graceMs, limit],
    );
  }

  neverTried(listId: number): Promise<DeliveryRow[]> {
    return rows<DeliveryRow>(this.#q, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.list_id = $1 AND d.status = 'pending' AND d.attempts = 0 ORDER BY d.id`, [listId]);
  }

  async nextDueAt(): Promise<number | null> {
    return (await one<{ at: number | null }>(this.#q, `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`))!.at;
  }

  receiver(clientId: number): Promise<Receiver | undefined> {
    return one<Receiver>(this.#q, 'SELECT alert_url AS "alertUrl", alert_secret AS secret, report_url AS "reportUrl" FROM clients WHERE id = $1', [clientId]);
  }

  async skip(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, reason: string): Promise<boolean> {
    return (await changes(this.#q, `UPDATE webhook_deliveries SET status = 'skipped', last_error = $1 WHERE id = $2 AND status = 'pending' AND attempts = $3`, [reason, delivery.id, delivery.attempts])) === 1;
  }

  async freezePayload(deliveryId: number, body: string): Promise<string> {
    // One statement where SQLite has two: a second worker's freeze waits for the first's row lock,
    // then keeps the body it finds, and returns that one.
    const row = await one<{ payload: string }>(this.#q, 'UPDATE webhook_deliveries SET payload = coalesce(payload, $1) WHERE id = $2 RETURNING payload', [body, deliveryId]);
    if (!row) throw new Error(`webhook delivery ${deliveryId} is gone: its body cannot be frozen`);
    return row.payload;
  }

  recordAttempt(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, attempt: AttemptRecord): Promise<boolean> {
    return transaction(this.#q, async (q) => {
      const inserted = await changes(
        q,
        `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, target, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (delivery_id, attempt) DO NOTHING`,
        [delivery.id, attempt.attempt, attempt.attemptedAt, attempt.target, attempt.statusCode, attempt.error, attempt.durationMs],
      );
      if (inserted === 0) return false;
      await q.query(
        `UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, last_status_code = $4, last_error = $5, delivered_at = $6
         WHERE id = $7 AND status = 'pending' AND attempts = $8`,
        [attempt.attempt, attempt.status, attempt.nextAttemptAt, attempt.statusCode, attempt.error, attempt.deliveredAt, delivery.id, delivery.attempts],
      );
      return true;
    });
  }
}
