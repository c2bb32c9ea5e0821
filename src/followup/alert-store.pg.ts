import { one, rows, type Queryable } from '../db/postgres/index.js';
import type { DeliveryAttempt } from '../notifications/index.js';
import { alertSubject, type AlertStore, type AlertSubject, type StoredAlert, type SubjectRow } from './alert-store.js';

/** DELIVERY_COLUMNS with its aliases quoted: PostgreSQL folds unquoted ones to lower case. */
const DELIVERY_COLUMNS = `d.id, d.event, d.dedupe_key AS "dedupeKey", d.client_id AS "clientId", d.list_id AS "listId", d.response_id AS "responseId",
  d.payload, d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt", d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  d.delivered_at AS "deliveredAt", d.created_at AS "createdAt"`;

/** The alerts' read side on PostgreSQL: the SQLite one's reads in this dialect; it writes nothing, so no statement races another. */
export class PostgresAlertStore implements AlertStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async subject(responseId: number): Promise<AlertSubject | undefined> {
    const row = await one<SubjectRow>(
      this.#q,
      `SELECT r.id AS "responseId", r.score, r.created_at AS "respondedAt", r.call_id AS "callId", r.comment_status AS "commentStatus", r.comment_seconds AS "commentSeconds",
              r.comment_text_status AS "textStatus", r.comment_text AS text, r.comment_language AS language, r.sentiment, r.reason,
              (SELECT string_agg(t.theme, ',' ORDER BY t.theme) FROM response_themes t WHERE t.response_id = r.id) AS themes,
              c.id AS "contactId", c.phone_e164 AS phone, c.attributes, l.id AS "listId", l.name AS "listName", l.client_id AS "clientId", l.follow_up AS "followUp",
              (SELECT t.id FROM survey_triggers t WHERE t.contact_id = c.id ORDER BY t.id LIMIT 1) AS "surveyId",
              k.id AS "caseId", k.owner, k.status AS "caseStatus", k.due_at AS "dueAt", k.agent, k.threshold AS "caseThreshold"
       FROM responses r JOIN contacts c ON c.id = r.contact_id JOIN lists l ON l.id = r.list_id LEFT JOIN cases k ON k.response_id = r.id
       WHERE r.id = $1`,
      [responseId],
    );
    return row && alertSubject(row);
  }

  async list(filter: { listId?: number | undefined; limit: number }): Promise<StoredAlert[]> {
    const alerts = await rows<Omit<StoredAlert, 'log'>>(
      this.#q,
      `SELECT ${DELIVERY_COLUMNS}, k.id AS "caseId", k.score, k.agent FROM webhook_deliveries d LEFT JOIN cases k ON k.response_id = d.response_id
       WHERE d.event = 'detractor.alert' AND ($1::integer IS NULL OR d.list_id = $1) ORDER BY d.id DESC LIMIT $2`,
      [filter.listId ?? null, filter.limit],
    );
    // Every alert's attempts in one statement (webhook_attempts_delivery_attempt_uq), not one per alert.
    const log = new Map<number, DeliveryAttempt[]>();
    const attempts = await rows<DeliveryAttempt & { deliveryId: number }>(
      this.#q,
      `SELECT delivery_id AS "deliveryId", attempt, attempted_at AS "attemptedAt", target, status_code AS "statusCode", error, duration_ms AS "durationMs"
       FROM webhook_attempts WHERE delivery_id = ANY($1::integer[]) ORDER BY delivery_id, attempt`,
      [alerts.map((a) => a.id)],
    );
    for (const { deliveryId, ...attempt } of attempts) {
      const list = log.get(deliveryId);
      if (list) list.push(attempt);
      else log.set(deliveryId, [attempt]);
    }
    return alerts.map((a) => ({ ...a, log: log.get(a.id) ?? [] }));
  }
}
