import { prepared, type AppDatabase } from '../db/index.js';
import type { CaseStatus, CommentStatus, CommentTextStatus, Sentiment } from '../db/schema/index.js';
import { DELIVERY_COLUMNS, deliveryAttempts, type DeliveryAttempt, type DeliveryRow } from '../notifications/index.js';

/** What a detractor alert's body is made of: the response, its contact, list and case. Times are epoch ms. */
export interface AlertSubject {
  response: {
    id: number;
    score: number;
    respondedAt: number;
    callId: number;
    comment: {
      status: CommentStatus;
      seconds: number | null;
      textStatus: CommentTextStatus;
      /** As stored, whatever the text status: the caller decides what is words. */
      text: string | null;
      language: string | null;
      /** Sorted. */
      themes: string[];
      sentiment: Sentiment | null;
    };
    reason: string | null;
  };
  /** The number unmasked (E.164) and the attributes as stored (JSON). */
  contact: { id: number; phone: string; attributes: string | null };
  /** The follow-up settings as stored (JSON). */
  list: { id: number; name: string; clientId: number | null; followUp: string | null };
  /** The triggered survey that created the contact, when it was one. */
  surveyId: number | null;
  /** The response's case, when one was opened; `threshold` is null in cases opened before it was kept. */
  case: { id: number; owner: string | null; status: CaseStatus; dueAt: number; agent: string | null; threshold: number | null } | null;
}

/** A detractor alert's delivery with its case and every attempt, oldest first. */
export interface StoredAlert extends DeliveryRow {
  caseId: number | null;
  score: number | null;
  agent: string | null;
  log: DeliveryAttempt[];
}

/**
 * The detractor alerts' read side (docs/adr/0013-store-ports.md): an alert is a delivery of the
 * outbox (notifications/, `DeliveryStore`) about a response and its case, so what it shows is read
 * across those aggregates, here, rather than bolted onto any one of their stores; it writes
 * nothing. The contract: test/followup/alert-store-conformance.ts.
 */
export interface AlertStore {
  /** What the alert of this response is made of; undefined when the response is gone (its person was erased). */
  subject(responseId: number): Promise<AlertSubject | undefined>;
  /** Detractor alerts, newest first, at most `limit`, of one list or of every list. */
  list(filter: { listId?: number | undefined; limit: number }): Promise<StoredAlert[]>;
}

/** A subject as both adapters read it: one row of the response joined to its contact, list and case. */
export interface SubjectRow {
  responseId: number;
  score: number;
  respondedAt: number;
  callId: number;
  commentStatus: CommentStatus;
  commentSeconds: number | null;
  textStatus: CommentTextStatus;
  text: string | null;
  language: string | null;
  sentiment: Sentiment | null;
  reason: string | null;
  themes: string | null;
  contactId: number;
  phone: string;
  attributes: string | null;
  listId: number;
  listName: string;
  clientId: number | null;
  followUp: string | null;
  surveyId: number | null;
  caseId: number | null;
  owner: string | null;
  caseStatus: CaseStatus | null;
  dueAt: number | null;
  agent: string | null;
  caseThreshold: number | null;
}

/** The subject of an alert from its row (themes sorted and joined by commas in SQL). */
export function alertSubject(row: SubjectRow): AlertSubject {
  return {
    response: {
      id: row.responseId,
      score: row.score,
      respondedAt: row.respondedAt,
      callId: row.callId,
      comment: {
        status: row.commentStatus,
        seconds: row.commentSeconds,
        textStatus: row.textStatus,
        text: row.text,
        language: row.language,
        themes: row.themes ? row.themes.split(',') : [],
        sentiment: row.sentiment,
      },
      reason: row.reason,
    },
    contact: { id: row.contactId, phone: row.phone, attributes: row.attributes },
    list: { id: row.listId, name: row.listName, clientId: row.clientId, followUp: row.followUp },
    surveyId: row.surveyId,
    case: row.caseId === null ? null : { id: row.caseId, owner: row.owner, status: row.caseStatus!, dueAt: row.dueAt!, agent: row.agent, threshold: row.caseThreshold },
  };
}

/** The alerts' read side on SQLite. */
export class SqliteAlertStore implements AlertStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async subject(responseId: number): Promise<AlertSubject | undefined> {
    const row = prepared(
      this.#db,
      `SELECT r.id AS responseId, r.score, r.created_at AS respondedAt, r.call_id AS callId, r.comment_status AS commentStatus, r.comment_seconds AS commentSeconds,
              r.comment_text_status AS textStatus, r.comment_text AS text, r.comment_language AS language, r.sentiment, r.reason,
              (SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = r.id ORDER BY theme)) AS themes,
              c.id AS contactId, c.phone_e164 AS phone, c.attributes, l.id AS listId, l.name AS listName, l.client_id AS clientId, l.follow_up AS followUp,
              (SELECT t.id FROM survey_triggers t WHERE t.contact_id = c.id) AS surveyId,
              k.id AS caseId, k.owner, k.status AS caseStatus, k.due_at AS dueAt, k.agent, k.threshold AS caseThreshold
       FROM responses r JOIN contacts c ON c.id = r.contact_id JOIN lists l ON l.id = r.list_id LEFT JOIN cases k ON k.response_id = r.id
       WHERE r.id = ?`,
    ).get(responseId) as SubjectRow | undefined;
    return row && alertSubject(row);
  }

  async list(filter: { listId?: number | undefined; limit: number }): Promise<StoredAlert[]> {
    const rows = prepared(
      this.#db,
      `SELECT ${DELIVERY_COLUMNS}, k.id AS caseId, k.score, k.agent FROM webhook_deliveries d LEFT JOIN cases k ON k.response_id = d.response_id
       WHERE d.event = 'detractor.alert' AND (@listId IS NULL OR d.list_id = @listId) ORDER BY d.id DESC LIMIT @limit`,
    ).all({ listId: filter.listId ?? null, limit: filter.limit }) as Omit<StoredAlert, 'log'>[];
    const attempts = deliveryAttempts(
      this.#db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, log: attempts.get(r.id) ?? [] }));
  }
}
