import { prepared, type AppDatabase } from '../db/index.js';
import { enqueueDelivery } from '../notifications/index.js';
import { DEFAULT_ALERT_THRESHOLD, DEFAULT_CASE_DEADLINE_HOURS, ALERT_COMMENT_WAIT_MS, FollowUpSettings } from './settings.js';

export interface ScoredResponse {
  responseId: number;
  listId: number;
  contactId: number;
  callId: number;
  score: number;
  /** When the score was stored (epoch ms). */
  at: number;
}

export interface FollowUpOpened {
  caseId: number;
  alertId: number | undefined;
}

/**
 * Closes the loop on a low score: opens the follow-up case and queues the detractor alert, both
 * keyed by the response (unique indexes), so a duplicated input webhook opens nothing twice. Runs
 * inside the transaction that stores the score: a score is never kept without its case and alert,
 * and the alert survives any crash after that commit. Reads the list's settings afresh (one row by
 * primary key): `lists set` in another shell applies to the next score.
 */
export function openDetractorFollowUp(database: AppDatabase, response: ScoredResponse): FollowUpOpened | undefined {
  const list = prepared(
    database,
    `SELECT l.client_id AS clientId, l.follow_up AS followUp, c.case_owner AS clientOwner, k.attributes
     FROM lists l LEFT JOIN clients c ON c.id = l.client_id JOIN contacts k ON k.id = ? WHERE l.id = ?`,
  ).get(response.contactId, response.listId) as { clientId: number | null; followUp: string; clientOwner: string | null; attributes: string } | undefined;
  if (!list) return undefined;
  const settings = parseFollowUp(list.followUp);
  const threshold = settings.alertThreshold ?? DEFAULT_ALERT_THRESHOLD;
  if (response.score > threshold) return undefined;
  const dueAt = response.at + (settings.caseDeadlineHours ?? DEFAULT_CASE_DEADLINE_HOURS) * 3_600_000;
  const opened = prepared(
    database,
    `INSERT INTO cases (response_id, client_id, list_id, contact_id, call_id, score, threshold, agent, owner, status, due_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (response_id) DO NOTHING RETURNING id`,
  ).get(
    response.responseId,
    list.clientId,
    response.listId,
    response.contactId,
    response.callId,
    response.score,
    threshold,
    agentOf(list.attributes),
    settings.caseOwner ?? list.clientOwner ?? null,
    dueAt,
    response.at,
    response.at,
  ) as { id: number } | undefined;
  if (!opened) return undefined;
  const alertId = enqueueDelivery(database, {
    event: 'detractor.alert',
    dedupeKey: `alert:${response.responseId}`,
    clientId: list.clientId,
    listId: response.listId,
    responseId: response.responseId,
    dueAt: response.at + ALERT_COMMENT_WAIT_MS,
    now: response.at,
  });
  return { caseId: opened.id, alertId };
}

/** A list's stored follow-up settings; a damaged value falls back to the defaults rather than losing the score. */
export function parseFollowUp(text: string | null): FollowUpSettings {
  try {
    return FollowUpSettings.parse(JSON.parse(text ?? '{}'));
  } catch {
    return {};
  }
}

/**
 * A contact's attributes JSON as an object. We wrote the column; a damaged value loses the
 * attributes (in a case, an alert, the agent), never the case or the alert itself.
 */
export function contactAttributes(text: string | null): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '{}') as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The `agent` attribute of a contact's attributes JSON, or null. */
export function agentOf(attributes: string | null): string | null {
  const value = contactAttributes(attributes).agent;
  return value === undefined || value === null || value === '' ? null : String(value);
}
