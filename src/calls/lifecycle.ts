import { billIfPersonAnswered, voidBillingLine } from '../billing/index.js';
import { prepared } from '../db/index.js';
import { isSuppressed } from '../contacts/index.js';
import type { CallOutcome, CallState, ContactStatus } from '../db/schema/index.js';
import { decimalToMicros, parseProviderTime, parseSeconds, translateStatus } from '../telephony/index.js';
import { callStore, type CallRow } from './store.js';
import type { CallDeps } from './deps.js';

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

const STATE_ORDER: CallState[] = ['creating', 'started', 'ringing', 'answered', 'ended'];
const earlierThan = (state: CallState) => STATE_ORDER.slice(0, STATE_ORDER.indexOf(state));

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
 * Applies one status callback to its call. Idempotent and order-tolerant: state only moves
 * forward, the first terminal status ends the call, a duplicate changes nothing, and a `completed`
 * that follows a failure status only adds its facts. Returns whether this event ended the call.
 */
export function applyStatusEvent(deps: CallDeps, call: CallRow, payload: StatusPayload, receivedAt: number): boolean {
  const store = callStore(deps.database);
  const { sqlite } = deps.database;
  const meaning = translateStatus(payload.status);
  const at = parseProviderTime(payload.timestamp) ?? receivedAt;
  const ended = sqlite.transaction(() => {
    store.recordEvent(call.id, 'status', payload.status, at, receivedAt, payload);
    const uuid = payload.uuid ?? payload.call_uuid;
    if (uuid && !call.providerUuid) {
      prepared(deps.database, 'UPDATE calls SET provider_uuid = ? WHERE id = ? AND provider_uuid IS NULL').run(uuid, call.id);
    }
    switch (meaning.kind) {
      case 'progress':
        advanceState(deps, call.id, meaning.state, at);
        return false;
      case 'detection':
        applyDetection(deps, call.id, meaning.answeredBy, receivedAt);
        return false;
      case 'completed':
        return applyCompleted(deps, call.id, payload, at, receivedAt);
      case 'failed':
        return finalizeCall(deps, call.id, meaning.outcome, at, receivedAt);
      case 'unknown':
        deps.logger.warn('unknown call status kept', { callId: call.id, status: meaning.status });
        return false;
      default: {
        const unreachable: never = meaning;
        return unreachable;
      }
    }
  }).immediate();
  if (ended) deps.signals.notifyEnded(call.id);
  return ended;
}

/** Moves the call's state forward (never back); `answered` also records when. */
export function advanceState(deps: CallDeps, callId: number, state: 'started' | 'ringing' | 'answered', at: number): void {
  const earlier = earlierThan(state);
  prepared(deps.database, 
      `UPDATE calls SET state = ?, answered_at = CASE WHEN ? = 'answered' THEN coalesce(answered_at, ?) ELSE answered_at END
       WHERE id = ? AND state IN (${earlier.map(() => '?').join(', ')})`,
    )
    .run(state, state, at, callId, ...earlier);
  if (state === 'answered') {
    prepared(deps.database, 'UPDATE calls SET answered_at = coalesce(answered_at, ?) WHERE id = ?').run(at, callId);
  }
}

/**
 * Machine detection. A `machine` verdict is believed unless the callee already proved to be a
 * person (a score, an opt-out, or any key pressed); when it arrives after the call was settled as
 * person-answered, the billing line is voided and the contact is settled again as a machine.
 */
function applyDetection(deps: CallDeps, callId: number, answeredBy: 'human' | 'machine', now: number): void {
  if (answeredBy === 'human') {
    prepared(deps.database, `UPDATE calls SET answered_by = 'human' WHERE id = ? AND answered_by IS NULL`).run(callId);
    return;
  }
  if (provedHuman(deps, callId)) return;
  prepared(deps.database, `UPDATE calls SET answered_by = 'machine' WHERE id = ?`).run(callId);
  const reclassified = prepared(deps.database, `UPDATE calls SET outcome = 'machine' WHERE id = ? AND state = 'ended' AND outcome = 'human'`).run(callId).changes;
  if (reclassified === 1) {
    voidBillingLine(deps.database, callId);
    const call = callStore(deps.database).byId(callId)!;
    settleContact(deps, call, 'machine', now, 'answered_no_score');
  }
}

function provedHuman(deps: CallDeps, callId: number): boolean {
  return (
    prepared(deps.database, 
        `SELECT 1 FROM calls WHERE id = ? AND (opted_out = 1 OR EXISTS (SELECT 1 FROM responses WHERE call_id = calls.id)
           OR EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = calls.id AND e.kind = 'input'
                      AND coalesce(json_extract(e.payload, '$.dtmf.digits'), '') <> ''))`,
      )
      .get(callId) !== undefined
  );
}

function applyCompleted(deps: CallDeps, callId: number, payload: StatusPayload, at: number, now: number): boolean {
  const duration = parseSeconds(payload.duration);
  const startedAt = parseProviderTime(payload.start_time);
  prepared(deps.database, 
      `UPDATE calls SET duration_seconds = coalesce(duration_seconds, ?), provider_price_micros = coalesce(provider_price_micros, ?),
         provider_rate_micros = coalesce(provider_rate_micros, ?), network = coalesce(network, ?),
         answered_at = coalesce(answered_at, CASE WHEN ? > 0 THEN ? END)
       WHERE id = ?`,
    )
    .run(duration ?? null, decimalToMicros(payload.price) ?? null, decimalToMicros(payload.rate) ?? null, payload.network ?? null, duration ?? 0, startedAt ?? at, callId);
  const call = callStore(deps.database).byId(callId)!;
  const answered = call.answeredAt !== null || (call.durationSeconds ?? 0) > 0 || call.ivrStage !== null;
  // Our answer webhook sets the IVR stage when it serves the survey. Answered without it, the
  // provider got no NCCO from us (the dialer was down or unreachable) and hung up on a callee who
  // heard nothing: not a survey, a failed attempt.
  const outcome: CallOutcome = call.answeredBy === 'machine' ? 'machine' : !answered ? 'unanswered' : call.ivrStage === null ? 'unserved' : 'human';
  const ended = finalizeCall(deps, callId, outcome, parseProviderTime(payload.end_time) ?? at, now);
  bill(deps, callId, now);
  return ended;
}

/** Bills the call by the billing rule (a person answered), with its list's client and tariff. */
function bill(deps: CallDeps, callId: number, now: number): void {
  const call = callStore(deps.database).byId(callId)!;
  const settings = deps.lists.get(call.listId);
  billIfPersonAnswered(deps.database, call, settings.clientId, settings.tariff, now);
}

/**
 * Ends the call with `outcome` unless it has already ended, and settles its contact. Must run
 * inside the caller's transaction. Returns whether this call ended the call.
 */
export function finalizeCall(deps: CallDeps, callId: number, outcome: CallOutcome, endedAt: number, now: number): boolean {
  const changed = prepared(deps.database, `UPDATE calls SET state = 'ended', outcome = ?, ended_at = ? WHERE id = ? AND state <> 'ended'`)
    .run(outcome, endedAt, callId).changes;
  if (changed === 0) return false;
  const call = callStore(deps.database).byId(callId)!;
  settleContact(deps, call, outcome, now, 'dialing');
  return true;
}

/**
 * Decides what happens to the contact after an attempt: final (a person answered, rejected,
 * attempts exhausted, suppressed meanwhile) or pending again at the next instant inside the
 * callee's calling hours after the retry delay. Guarded by the contact's status and attempt
 * number, so a stale event of an older attempt cannot move the contact.
 */
export function settleContact(deps: CallDeps, call: CallRow, outcome: CallOutcome, now: number, expected: ContactStatus): void {
  const store = callStore(deps.database);
  const contact = store.contact(call.contactId);
  if (!contact || contact.status !== expected || contact.attempts !== call.attempt) return;
  // The retry is planned under the rules in force, even if `lists set` changed them a moment ago.
  deps.lists.reloadIfChanged(call.listId);
  const settings = deps.lists.get(call.listId);
  let status: ContactStatus;
  let nextAttemptAt: number | null = null;
  if (hasResponse(deps, contact.id)) {
    // This attempt's score, or a late one of an earlier attempt (settleLateKeys): a respondent
    // whatever this attempt did, and never called again.
    status = 'responded';
  } else if (outcome === 'human') {
    status = call.optedOut ? 'opted_out' : 'answered_no_score';
  } else if (NO_RETRY.has(outcome)) {
    status = FINAL_STATUS[outcome as Exclude<CallOutcome, 'human'>];
  } else if (isSuppressed(deps.database, contact.phoneE164)) {
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
  prepared(deps.database, 'UPDATE contacts SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = ? AND attempts = ?')
    .run(status, nextAttemptAt, now, contact.id, expected, contact.attempts);
  deps.logger.debug('contact settled', { listId: call.listId, contactId: contact.id, callId: call.id, attempt: call.attempt, outcome, status });
}

function hasResponse(deps: CallDeps, contactId: number): boolean {
  return prepared(deps.database, 'SELECT 1 FROM responses WHERE contact_id = ?').get(contactId) !== undefined;
}

/**
 * Keys pressed on a call that had already ended: its input webhook came after the end was known
 * (held while the dialer was down, retried, or the end learnt from the provider first). Keys prove a
 * person answered, so the outcomes follow them as if they had come in time (docs/adr/0008): the call
 * becomes person-answered (a machine verdict overruled; billed once its duration is known, once),
 * and the contact, unless a later attempt is live (settleContact then puts the response first), is
 * settled again as the person's: responded with a response, opted out after a star, else answered
 * without a score. Must run inside the caller's transaction, after the input's own writes.
 */
export function settleLateKeys(deps: CallDeps, callId: number, now: number): void {
  const store = callStore(deps.database);
  const call = store.byId(callId);
  if (!call || call.state !== 'ended') return;
  if (call.outcome !== 'human') {
    prepared(deps.database, `UPDATE calls SET outcome = 'human' WHERE id = ? AND state = 'ended'`).run(callId);
    deps.logger.info('keys arrived after the call ended: it counts as answered by a person', { listId: call.listId, callId, attempt: call.attempt, was: call.outcome });
  }
  bill(deps, callId, now);
  const contact = store.contact(call.contactId);
  if (!contact || contact.status === 'dialing') return;
  // Never weaker than what the contact is: a response (this call's or an earlier one's) makes a
  // respondent, a star (now or before) an opt-out.
  const status: ContactStatus = hasResponse(deps, contact.id)
    ? 'responded'
    : call.optedOut || contact.status === 'opted_out'
      ? 'opted_out'
      : 'answered_no_score';
  if (contact.status === status) return;
  prepared(deps.database, 'UPDATE contacts SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status = ?').run(status, now, contact.id, contact.status);
  deps.logger.info('contact settled again after late keys', { listId: call.listId, contactId: contact.id, callId, from: contact.status, status });
}
