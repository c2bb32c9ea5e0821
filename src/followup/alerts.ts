import { prepared, type AppDatabase } from '../db/index.js';
import type { CommentStatus, CommentTextStatus, DeliveryStatus, Sentiment } from '../db/schema/index.js';
import { maskPhone } from '../logging/index.js';
import { DELIVERY_COLUMNS, deliveryAttempts, type DeliveryAttempt, type DeliveryRow } from '../notifications/index.js';
import { contactAttributes, parseFollowUp } from './detractors.js';
import { DEFAULT_ALERT_THRESHOLD } from './settings.js';

/** A signed, expiring link to one call's comment recording, or null when links are not enabled. */
export type RecordingLinkFn = (input: { listId: number; callId: number }) => { url: string; expiresAt: string } | null;

/** The JSON body of a `detractor.alert` webhook (docs/report-format.md, "Detractor alerts"). */
export interface DetractorAlert {
  type: 'detractor.alert';
  alertId: number;
  createdAt: string;
  score: number;
  threshold: number;
  agent: string | null;
  list: { id: number; name: string };
  clientId: number | null;
  surveyId: number | null;
  contact: { id: number; phone: string; attributes: Record<string, unknown> };
  respondedAt: string;
  callId: number;
  comment: {
    status: CommentStatus;
    seconds: number | null;
    recordingUrl: string | null;
    expiresAt: string | null;
    /** `ready` when `text` holds the callee's words; `pending` if the alert's bounded wait ran out first. */
    textStatus: CommentTextStatus;
    text: string | null;
    language: string | null;
    themes: string[];
    sentiment: Sentiment | null;
  };
  /** The keypad reason's choice key (e.g. "price"), when the list asked and the callee chose. */
  reason: string | null;
  case: { id: number; owner: string | null; status: string; dueAt: string } | null;
}

/**
 * Builds an alert's body when it is first sent: by then the comment recording has usually been
 * downloaded and its text judged (the delivery waits for both, bounded by ALERT_COMMENT_WAIT_MS),
 * so the body can link it and carry the words, themes and keypad reason. The link is a signed, expiring URL of that one recording
 * (not of the list's report); the number is masked.
 */
export function detractorAlertPayload(database: AppDatabase, delivery: DeliveryRow, recordingLink: RecordingLinkFn): DetractorAlert {
  const row = prepared(
    database,
    `SELECT r.id AS responseId, r.score, r.created_at AS respondedAt, r.call_id AS callId, r.comment_status AS commentStatus, r.comment_seconds AS commentSeconds,
            r.comment_text_status AS textStatus, r.comment_text AS text, r.comment_language AS language, r.sentiment, r.reason,
            (SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = r.id ORDER BY theme)) AS themes,
            c.id AS contactId, c.phone_e164 AS phone, c.attributes, l.id AS listId, l.name AS listName, l.client_id AS clientId, l.follow_up AS followUp,
            (SELECT t.id FROM survey_triggers t WHERE t.contact_id = c.id) AS surveyId,
            k.id AS caseId, k.owner, k.status AS caseStatus, k.due_at AS dueAt, k.agent, k.threshold AS caseThreshold
     FROM responses r JOIN contacts c ON c.id = r.contact_id JOIN lists l ON l.id = r.list_id LEFT JOIN cases k ON k.response_id = r.id
     WHERE r.id = ?`,
  ).get(delivery.responseId) as
    | {
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
        attributes: string;
        listId: number;
        listName: string;
        clientId: number | null;
        followUp: string;
        surveyId: number | null;
        caseId: number | null;
        owner: string | null;
        caseStatus: string | null;
        dueAt: number | null;
        agent: string | null;
        caseThreshold: number | null;
      }
    | undefined;
  // The response is gone only when the person was erased, and then the delivery went with it.
  if (!row) throw new Error(`response ${delivery.responseId} of alert ${delivery.id} no longer exists`);
  const attributes = contactAttributes(row.attributes);
  // A pending download will be served by the link once it finishes; a deleted or failed one never.
  const link = row.commentStatus === 'downloaded' || row.commentStatus === 'pending' ? recordingLink({ listId: row.listId, callId: row.callId }) : null;
  return {
    type: 'detractor.alert',
    alertId: delivery.id,
    createdAt: new Date(delivery.createdAt).toISOString(),
    score: row.score,
    // The threshold the score was judged by, even if the list's changed while the alert waited.
    threshold: row.caseThreshold ?? parseFollowUp(row.followUp).alertThreshold ?? DEFAULT_ALERT_THRESHOLD,
    agent: row.agent,
    list: { id: row.listId, name: row.listName },
    clientId: row.clientId,
    surveyId: row.surveyId,
    contact: { id: row.contactId, phone: maskPhone(row.phone), attributes },
    respondedAt: new Date(row.respondedAt).toISOString(),
    callId: row.callId,
    comment: {
      status: row.commentStatus,
      seconds: row.commentSeconds,
      recordingUrl: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
      textStatus: row.textStatus,
      // The words only when they are words: an empty or failed transcript carries nothing.
      text: row.textStatus === 'ready' ? row.text : null,
      language: row.textStatus === 'ready' ? row.language : null,
      themes: row.themes ? row.themes.split(',') : [],
      sentiment: row.sentiment,
    },
    reason: row.reason,
    case: row.caseId === null ? null : { id: row.caseId, owner: row.owner, status: row.caseStatus!, dueAt: new Date(row.dueAt!).toISOString() },
  };
}

export interface AlertView {
  id: number;
  listId: number;
  clientId: number | null;
  responseId: number | null;
  caseId: number | null;
  score: number | null;
  agent: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  log: DeliveryAttempt[];
}

/** Detractor alerts, newest first, with every delivery attempt (`alerts list`). */
export function listAlerts(database: AppDatabase, input: { listId?: number | undefined; limit?: number | undefined } = {}): AlertView[] {
  const rows = prepared(
    database,
    `SELECT ${DELIVERY_COLUMNS}, k.id AS caseId, k.score, k.agent FROM webhook_deliveries d LEFT JOIN cases k ON k.response_id = d.response_id
     WHERE d.event = 'detractor.alert' AND (@listId IS NULL OR d.list_id = @listId) ORDER BY d.id DESC LIMIT @limit`,
  ).all({ listId: input.listId ?? null, limit: input.limit ?? 100 }) as (DeliveryRow & { caseId: number | null; score: number | null; agent: string | null })[];
  const attempts = deliveryAttempts(
    database,
    rows.map((r) => r.id),
  );
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return rows.map((r) => ({
    id: r.id,
    listId: r.listId,
    clientId: r.clientId,
    responseId: r.responseId,
    caseId: r.caseId,
    score: r.score,
    agent: r.agent,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
    lastStatusCode: r.lastStatusCode,
    lastError: r.lastError,
    deliveredAt: iso(r.deliveredAt),
    createdAt: iso(r.createdAt)!,
    log: attempts.get(r.id) ?? [],
  }));
}
