import { billIfPersonAnswered } from '../billing/index.js';
import type { CallOutcome, ContactStatus } from '../db/schema/index.js';
import { decimalToMicros, parseProviderTime, parseSeconds, translateStatus } from '../telephony/index.js';
import type { CallRow } from './store.js';
import type { CallDeps } from './deps.js';
import { runCallUnit, type CallTx } from './units.js';

/** A status callback as it arrives on the event URL (fields we read; the rest is kept verbatim). */
export interface StatusPayload {
  status: string;
  uuid?: string | undefined;
  call_uuid?: string | undefined;
  timestamp?: string | undefined;
  duration?: string | number | undefined;
  price?: string | number | undefined;
  rate?: string | number | null | undefined;
  start_time?: string | null | undefined;
  end_time?: string | null | undefined;
  network?: string | null | undefined;
  detail?: string | undefined;
  [key: string]: unknown;
}

/** The contact's final status when a call with this outcome was its last attempt. */
const FINAL_STATUS: Record<Exclude<CallOutcome, 'human'>, ContactStatus> = {
  machine: 'machine',
  // The callee picked up and heard nothing: for them, a call that failed.
  unserved: 'failed',
  busy: 'busy',
  unanswered: 'unanswered',
  timeout: 'unanswered',
  failed: 'failed',
  rejected: 'rejected',
  cancelled: 'failed',
  lost: 'failed',
  create_failed: 'failed',
};

/** The final status of a contact whose last attempt ended with `outcome` and who gets no more attempts. */
export function finalStatusAfter(outcome: CallOutcome): ContactStatus {
  return outcome === 'human' ? 'answered_no_score' : FINAL_STATUS[outcome];
}

/** Outcomes after which the contact is never called again. */
const NO_RETRY: ReadonlySet<CallOutcome> = new Set(['human', 'rejected']);

/**
 * Applies one status callback to its call, in the caller's unit of work. Idempotent and
 * order-tolerant: state only moves forward, the first terminal status ends the call, a duplicate
 * changes nothing, and a `completed` that follows a failure status only adds its facts. Returns
 * whether this event ended the call; the caller wakes the call's waiters once the unit committed.
 */
export async function applyStatusEvent(deps: CallDeps, tx: CallTx, call: CallRow, payload: StatusPayload, receivedAt: number): Promise<boolean> {
  const meaning = translateStatus(payload.status);
  const at = parseProviderTime(payload.timestamp) ?? receivedAt;
  await tx.calls.recordEvent({ callId: call.id, kind: 'status', status: payload.status, occurredAt: at, receivedAt, payload });
  const uuid = payload.uuid ?? payload.call_uuid;
  if (uuid && !call.providerUuid) await tx.calls.adoptProviderUuid(call.id, uuid);
  switch (meaning.kind) {
    case 'progress':
      await tx.calls.advanceState(call.id, meaning.state, at);
      return false;
    case 'detection':
      await applyDetection(deps, tx, call.id, meaning.answeredBy, receivedAt);
      return false;
    case 'completed':
      return applyCompleted(deps, tx, call.id, payload, at, receivedAt);
    case 'failed':
      return finalizeCall(deps, tx, call.id, meaning.outcome, at, receivedAt);
    case 'unknown':
      deps.logger.warn('unknown call status kept', { callId: call.id, status: meaning.status });
      return false;
    default: {
      const unreachable: never = meaning;
      return unreachable;
    }
  }
}

/**
 * Before the unit of a status callback (`call`: its ref, or its row): one that may settle the
 * contact (the call's end, a machine verdict) has the settings of the call's list read again, so
 * that the retry is planned under the rules in force even if `lists set` changed them a moment ago
 * in another process; the unit reads them synchronously, from the book. Others need nothing.
 */
export async function followListSettings(deps: CallDeps, call: string | Pick<CallRow, 'listId'>, payload: StatusPayload): Promise<void> {
  const meaning = translateStatus(payload.status);
  if (meaning.kind !== 'completed' && meaning.kind !== 'failed' && !(meaning.kind === 'detection' && meaning.answeredBy === 'machine')) return;
  const row = typeof call === 'string' ? await deps.units.stores.calls.byRef(call) : call;
  if (row) await deps.lists.reloadIfChanged(row.listId);
}

/** Applies one status callback in a unit of its own, and wakes the call's waiters when it ended the call. */
export async function applyStatusEventNow(deps: CallDeps, call: CallRow, payload: StatusPayload, receivedAt: number): Promise<boolean> {
  await followListSettings(deps, call, payload);
  const ended = await runCallUnit(deps, (tx) => applyStatusEvent(deps, tx, call, payload, receivedAt));
  if (ended) deps.signals.notifyEnded(call.id);
  return ended;
}

/**
 * Machine detection. A `machine` verdict is believed unless the callee already proved to be a
 * person (a score, an opt-out, or any key pressed); when it arrives after the call was settled as
 * person-answered, the billing line is voided and the contact is settled again as a machine.
 */
async function applyDetection(deps: CallDeps, tx: CallTx, callId: number, answeredBy: 'human' | 'machine', now: number): Promise<void> {
  if (answeredBy === 'human') {
    await tx.calls.setAnsweredBy(callId, 'human', true);
    return;
  }
  if (await tx.calls.provedHuman(callId)) return;
  await tx.calls.setAnsweredBy(callId, 'machine', false);
  if (await tx.calls.reclassifyEnded(callId, 'machine', 'human')) {
    await tx.billing.voidLine(callId);
    const call = (await tx.calls.byId(callId))!;
    await settleContact(deps, tx, call, 'machine', now, 'answered_no_score');
  }
}

async function applyCompleted(deps: CallDeps, tx: CallTx, callId: number, payload: StatusPayload, at: number, now: number): Promise<boolean> {
  const duration = parseSeconds(payload.duration) ?? null;
  await tx.calls.recordCompletion(callId, {
    durationSeconds: duration,
    priceMicros: decimalToMicros(payload.price) ?? null,
    rateMicros: decimalToMicros(payload.rate) ?? null,
    network: payload.network ?? null,
    connectedAt: parseProviderTime(payload.start_time) ?? at,
  });
  const call = (await tx.calls.byId(callId))!;
  const answered = call.answeredAt !== null || (call.durationSeconds ?? 0) > 0 || call.ivrStage !== null;
  // Our answer webhook sets the IVR stage when it serves the survey. Answered without it, the
  // provider got no NCCO from us (the dialer was down or unreachable) and hung up on a callee who
  // heard nothing: not a survey, a failed attempt.
  const outcome: CallOutcome = call.answeredBy === 'machine' ? 'machine' : !answered ? 'unanswered' : call.ivrStage === null ? 'unserved' : 'human';
  const ended = await finalizeCall(deps, tx, callId, outcome, parseProviderTime(payload.end_time) ?? at, now);
  await bill(deps, tx, callId, now);
  return ended;
}

/** Bills the call by the billing rule (a person answered), with its list's client and tariff. */
async function bill(deps: CallDeps, tx: CallTx, callId: number, now: number): Promise<void> {
  const call = (await tx.calls.byId(callId))!;
  const settings = deps.lists.get(call.listId);
  await billIfPersonAnswered(tx.billing, call, settings.clientId, settings.tariff, now);
}

/**
 * Ends the call with `outcome` unless it has already ended, and settles its contact, in the
 * caller's unit of work. Returns whether this ended the call.
 */
export async function finalizeCall(deps: CallDeps, tx: CallTx, callId: number, outcome: CallOutcome, endedAt: number, now: number): Promise<boolean> {
  if (!(await tx.calls.end(callId, outcome, endedAt))) return false;
  const call = (await tx.calls.byId(callId))!;
  await settleContact(deps, tx, call, outcome, now, 'dialing');
  return true;
}

/**
 * Decides what happens to the contact after an attempt: final (a person answered, rejected,
 * attempts exhausted, suppressed meanwhile) or pending again at the next instant inside the
 * callee's calling hours after the retry delay. Guarded by the contact's status and attempt
 * number, so a stale event of an older attempt cannot move the contact.
 */
async function settleContact(deps: CallDeps, tx: CallTx, call: CallRow, outcome: CallOutcome, now: number, expected: ContactStatus): Promise<void> {
  const contact = await tx.contacts.byId(call.contactId);
  if (!contact || contact.status !== expected || contact.attempts !== call.attempt) return;
  // The rules in force: read again just before the unit of a status callback that may settle
  // (followListSettings), and at every turn of the dialing loop.
  const settings = deps.lists.get(call.listId);
  let status: ContactStatus;
  let nextAttemptAt: number | null = null;
  if (await tx.responses.existsForContact(contact.id)) {
    // This attempt's score, or a late one of an earlier attempt (settleLateKeys): a respondent
    // whatever this attempt did, and never called again.
    status = 'responded';
  } else if (outcome === 'human') {
    status = call.optedOut ? 'opted_out' : 'answered_no_score';
  } else if (NO_RETRY.has(outcome)) {
    status = FINAL_STATUS[outcome as Exclude<CallOutcome, 'human'>];
  } else if (await tx.contacts.isSuppressed(contact.phoneE164)) {
    status = 'suppressed';
  } else {
    const next =
      contact.attempts < settings.policy.maxAttempts ? settings.windows.nextCallable(contact, now + settings.policy.retryDelayMs) : null;
    if (next !== null) {
      status = 'pending';
      nextAttemptAt = next;
    } else {
      status = FINAL_STATUS[outcome as Exclude<CallOutcome, 'human'>];
    }
  }
  await tx.contacts.settle({ id: contact.id, status: expected, attempts: contact.attempts }, status, nextAttemptAt, now);
  deps.logger.debug('contact settled', { listId: call.listId, contactId: contact.id, callId: call.id, attempt: call.attempt, outcome, status });
}

/**
 * Keys pressed on a call that had already ended: its input webhook came after the end was known
 * (held while the dialer was down, retried, or the end learnt from the provider first). Keys prove a
 * person answered, so the outcomes follow them as if they had come in time (docs/adr/0008): the call
 * becomes person-answered (a machine verdict overruled; billed once its duration is known, once),
 * and the contact, unless a later attempt is live (settleContact then puts the response first), is
 * settled again as the person's: responded with a response, opted out after a star, else answered
 * without a score. Runs in the caller's unit of work, after the input's own writes.
 */
export async function settleLateKeys(deps: CallDeps, tx: CallTx, callId: number, now: number): Promise<void> {
  const call = await tx.calls.byId(callId);
  if (!call || call.state !== 'ended') return;
  if (call.outcome !== 'human') {
    await tx.calls.reclassifyEnded(callId, 'human');
    deps.logger.info('keys arrived after the call ended: it counts as answered by a person', { listId: call.listId, callId, attempt: call.attempt, was: call.outcome });
  }
  await bill(deps, tx, callId, now);
  const contact = await tx.contacts.byId(call.contactId);
  if (!contact || contact.status === 'dialing') return;
  // Never weaker than what the contact is: a response (this call's or an earlier one's) makes a
  // respondent, a star (now or before) an opt-out.
  const status: ContactStatus = (await tx.responses.existsForContact(contact.id))
    ? 'responded'
    : call.optedOut || contact.status === 'opted_out'
      ? 'opted_out'
      : 'answered_no_score';
  if (contact.status === status) return;
  await tx.contacts.settle({ id: contact.id, status: contact.status }, status, null, now);
  deps.logger.info('contact settled again after late keys', { listId: call.listId, contactId: contact.id, callId, from: contact.status, status });
}
