import type { CommentStatus, CommentTextStatus, DeliveryStatus, Sentiment } from '../db/schema/index.js';
import { maskPhone } from '../logging/index.js';
import type { DeliveryAttempt, DeliveryRow } from '../notifications/index.js';
import type { AlertStore } from './alert-store.js';
import { contactAttributes, parseFollowUp } from './detractors.js';
import { DEFAULT_ALERT_THRESHOLD } from './settings.js';

export interface AlertDeps {
  alerts: AlertStore;
}

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
export async function detractorAlertPayload(deps: AlertDeps, delivery: DeliveryRow, recordingLink: RecordingLinkFn): Promise<DetractorAlert> {
  const subject = delivery.responseId === null ? undefined : await deps.alerts.subject(delivery.responseId);
  // The response is gone only when the person was erased, and then the delivery went with it.
  if (!subject) throw new Error(`response ${delivery.responseId} of alert ${delivery.id} no longer exists`);
  const { response, contact, list } = subject;
  const comment = response.comment;
  // A pending download will be served by the link once it finishes; a deleted or failed one never.
  const link = comment.status === 'downloaded' || comment.status === 'pending' ? recordingLink({ listId: list.id, callId: response.callId }) : null;
  return {
    type: 'detractor.alert',
    alertId: delivery.id,
    createdAt: new Date(delivery.createdAt).toISOString(),
    score: response.score,
    // The threshold the score was judged by, even if the list's changed while the alert waited.
    threshold: subject.case?.threshold ?? parseFollowUp(list.followUp).alertThreshold ?? DEFAULT_ALERT_THRESHOLD,
    agent: subject.case?.agent ?? null,
    list: { id: list.id, name: list.name },
    clientId: list.clientId,
    surveyId: subject.surveyId,
    contact: { id: contact.id, phone: maskPhone(contact.phone), attributes: contactAttributes(contact.attributes) },
    respondedAt: new Date(response.respondedAt).toISOString(),
    callId: response.callId,
    comment: {
      status: comment.status,
      seconds: comment.seconds,
      recordingUrl: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
      textStatus: comment.textStatus,
      // The words only when they are words: an empty or failed transcript carries nothing.
      text: comment.textStatus === 'ready' ? comment.text : null,
      language: comment.textStatus === 'ready' ? comment.language : null,
      themes: comment.themes,
      sentiment: comment.sentiment,
    },
    reason: response.reason,
    case: subject.case === null ? null : { id: subject.case.id, owner: subject.case.owner, status: subject.case.status, dueAt: new Date(subject.case.dueAt).toISOString() },
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
export async function listAlerts(deps: AlertDeps, input: { listId?: number | undefined; limit?: number | undefined } = {}): Promise<AlertView[]> {
  const rows = await deps.alerts.list({ listId: input.listId, limit: input.limit ?? 100 });
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
    log: r.log,
  }));
}
