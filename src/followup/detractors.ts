import type { DeliveryStore } from '../notifications/index.js';
import type { CaseStore } from './case-store.js';
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

/** The stores a detractor's follow-up is opened in: in the unit of work that stores its score. */
export interface FollowUpStores {
  cases: CaseStore;
  deliveries: Pick<DeliveryStore, 'enqueue'>;
}

/**
 * Closes the loop on a low score: opens the follow-up case and queues the detractor alert, both
 * keyed by the response (unique indexes), so a duplicated input webhook opens nothing twice. Runs
 * in the unit of work that stores the score: a score is never kept without its case and alert,
 * and the alert survives any crash after that commit. Reads the list's settings afresh (one row by
 * primary key): `lists set` in another shell applies to the next score.
 */
export async function openDetractorFollowUp(stores: FollowUpStores, response: ScoredResponse): Promise<FollowUpOpened | undefined> {
  const context = await stores.cases.contextOf(response.listId, response.contactId);
  if (!context) return undefined;
  const settings = parseFollowUp(context.followUp);
  const threshold = settings.alertThreshold ?? DEFAULT_ALERT_THRESHOLD;
  if (response.score > threshold) return undefined;
  const caseId = await stores.cases.open({
    responseId: response.responseId,
    clientId: context.clientId,
    listId: response.listId,
    contactId: response.contactId,
    callId: response.callId,
    score: response.score,
    threshold,
    agent: agentOf(context.attributes),
    owner: settings.caseOwner ?? context.clientOwner ?? null,
    dueAt: response.at + (settings.caseDeadlineHours ?? DEFAULT_CASE_DEADLINE_HOURS) * 3_600_000,
    at: response.at,
  });
  if (caseId === undefined) return undefined;
  const alertId = await stores.deliveries.enqueue({
    event: 'detractor.alert',
    dedupeKey: `alert:${response.responseId}`,
    clientId: context.clientId,
    listId: response.listId,
    responseId: response.responseId,
    dueAt: response.at + ALERT_COMMENT_WAIT_MS,
    now: response.at,
  });
  return { caseId, alertId };
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
