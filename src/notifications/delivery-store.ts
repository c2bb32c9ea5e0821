import { prepared, type AppDatabase } from '../db/index.js';
import type { DeliveryEvent, DeliveryStatus } from '../db/schema/index.js';

/** A queued webhook as the worker and the listings read it. */
export interface DeliveryRow {
  id: number;
  event: DeliveryEvent;
  dedupeKey: string;
  clientId: number | null;
  listId: number;
  responseId: number | null;
  payload: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
}

export const DELIVERY_COLUMNS = `d.id, d.event, d.dedupe_key AS dedupeKey, d.client_id AS clientId, d.list_id AS listId, d.response_id AS responseId,
  d.payload, d.status, d.attempts, d.next_attempt_at AS nextAttemptAt, d.last_status_code AS lastStatusCode, d.last_error AS lastError,
  d.delivered_at AS deliveredAt, d.created_at AS createdAt`;

/** Where a client's webhooks go, as configured (`clients set`). */
export interface Receiver {
  alertUrl: string | null;
  secret: string | null;
  reportUrl: string | null;
}

/** One attempt of a delivery, as stored (webhook_attempts). */
export interface DeliveryAttempt {
  attempt: number;
  attemptedAt: number;
  /** Scheme, host and path of the URL requested: never credentials or query. */
  target: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One attempt's outcome, and what it makes of the delivery. */
export interface AttemptRecord extends DeliveryAttempt {
  status: Exclude<DeliveryStatus, 'skipped'>;
  nextAttemptAt: number;
  deliveredAt: number | null;
}

/**
 * The delivery worker's store (docs/adr/0013-store-ports.md): the only code of the outbox worker
 * that speaks SQL, asynchronous so that PostgreSQL is a second adapter. Every change is
 * conditional on the attempt count the worker read, so a stray second worker cannot record an
 * attempt twice.
 */
export interface DeliveryStore {
  /**
   * Queues a webhook, in the unit of work that makes its event (a score), so that the event and its
   * notification are stored together or not at all. Returns the new delivery's id, or undefined
   * when the same event (dedupe key) was queued before.
   */
  enqueue(input: EnqueueDelivery): Promise<number | undefined>;
  /**
   * Deliveries to attempt now, oldest due first, at most `limit`: those whose next attempt is due,
   * and first attempts of a response's alert once its comment has settled (downloaded, failed or
   * deleted, and no text pending) or its call ended `graceMs` ago without one.
   */
  due(now: number, graceMs: number, limit: number): Promise<DeliveryRow[]>;
  /** A list's deliveries that were never tried, oldest first. */
  neverTried(listId: number): Promise<DeliveryRow[]>;
  /** When the next pending delivery is due; null when none is pending. */
  nextDueAt(): Promise<number | null>;
  /** The client's receiver settings; undefined for an unknown client. */
  receiver(clientId: number): Promise<Receiver | undefined>;
  /** Marks the delivery skipped (never sent, for `reason`) unless it changed since it was read; true when it did. */
  skip(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, reason: string): Promise<boolean>;
  /** Freezes the body at the first attempt (the first write wins) and returns the body to send. */
  freezePayload(deliveryId: number, body: string): Promise<string>;
  /** Records an attempt once per (delivery, attempt) and moves the delivery on; false when it was recorded before. */
  recordAttempt(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, attempt: AttemptRecord): Promise<boolean>;
}

export interface EnqueueDelivery {
  event: DeliveryEvent;
  /** The event's identity: a second enqueue with the same key is a no-op. */
  dedupeKey: string;
  clientId: number | null;
  listId: number;
  responseId?: number | null;
  /** The body, when it is known now; otherwise the event's builder makes it at the first attempt. */
  payload?: Record<string, unknown>;
  /** The first attempt is not made before this time (epoch ms). */
  dueAt: number;
  now: number;
}

/**
 * Queues a webhook on SQLite, synchronously: for another store's own transaction (the interim
 * report's row and its announcement, reports/interim-store.ts). Everything else queues through
 * `DeliveryStore.enqueue`. Returns the new delivery's id, or undefined when the same event was
 * queued before.
 */
export function enqueueDelivery(database: AppDatabase, input: EnqueueDelivery): number | undefined {
  const row = prepared(
    database,
    `INSERT INTO webhook_deliveries (event, dedupe_key, client_id, list_id, response_id, payload, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
  ).get(input.event, input.dedupeKey, input.clientId, input.listId, input.responseId ?? null, input.payload ? JSON.stringify(input.payload) : null, input.dueAt, input.now) as
    | { id: number }
    | undefined;
  return row?.id;
}

/** The delivery worker's store on SQLite. */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  enqueue(input: EnqueueDelivery): Promise<number | undefined> {
    return Promise.resolve(enqueueDelivery(this.#database, input));
  }

  due(now: number, graceMs: number, limit: number): Promise<DeliveryRow[]> {
    return Promise.resolve(
      prepared(
        this.#database,
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
         LEFT JOIN responses r ON r.id = d.response_id
         LEFT JOIN calls k ON k.id = r.call_id
         WHERE d.status = 'pending' AND (
           d.next_attempt_at <= @now
           OR (d.attempts = 0 AND d.response_id IS NOT NULL AND r.comment_text_status <> 'pending' AND (
             r.comment_status IN ('downloaded', 'failed', 'deleted')
             OR (r.comment_status = 'none' AND k.state = 'ended' AND k.ended_at <= @now - @grace))))
         ORDER BY d.next_attempt_at, d.id LIMIT @limit`,
      ).all({ now, grace: graceMs, limit }) as DeliveryRow[],
    );
  }

  neverTried(listId: number): Promise<DeliveryRow[]> {
    return Promise.resolve(
      prepared(this.#database, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.list_id = ? AND d.status = 'pending' AND d.attempts = 0 ORDER BY d.id`).all(listId) as DeliveryRow[],
    );
  }

  nextDueAt(): Promise<number | null> {
    return Promise.resolve((prepared(this.#database, `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`).get() as { at: number | null }).at);
  }

  receiver(clientId: number): Promise<Receiver | undefined> {
    return Promise.resolve(prepared(this.#database, 'SELECT alert_url AS alertUrl, alert_secret AS secret, report_url AS reportUrl FROM clients WHERE id = ?').get(clientId) as Receiver | undefined);
  }

  skip(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, reason: string): Promise<boolean> {
    const changes = prepared(this.#database, `UPDATE webhook_deliveries SET status = 'skipped', last_error = ? WHERE id = ? AND status = 'pending' AND attempts = ?`).run(
      reason,
      delivery.id,
      delivery.attempts,
    ).changes;
    return Promise.resolve(changes === 1);
  }

  freezePayload(deliveryId: number, body: string): Promise<string> {
    prepared(this.#database, 'UPDATE webhook_deliveries SET payload = ? WHERE id = ? AND payload IS NULL').run(body, deliveryId);
    return Promise.resolve((prepared(this.#database, 'SELECT payload FROM webhook_deliveries WHERE id = ?').get(deliveryId) as { payload: string }).payload);
  }

  recordAttempt(delivery: Pick<DeliveryRow, 'id' | 'attempts'>, attempt: AttemptRecord): Promise<boolean> {
    const database = this.#database;
    const recorded = database.sqlite
      .transaction(() => {
        const inserted = prepared(
          database,
          `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, target, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (delivery_id, attempt) DO NOTHING`,
        ).run(delivery.id, attempt.attempt, attempt.attemptedAt, attempt.target, attempt.statusCode, attempt.error, attempt.durationMs).changes;
        if (inserted === 0) return false;
        prepared(
          database,
          `UPDATE webhook_deliveries SET attempts = ?, status = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?
           WHERE id = ? AND status = 'pending' AND attempts = ?`,
        ).run(attempt.attempt, attempt.status, attempt.nextAttemptAt, attempt.statusCode, attempt.error, attempt.deliveredAt, delivery.id, delivery.attempts);
        return true;
      })
      .immediate();
    return Promise.resolve(recorded);
  }
}
