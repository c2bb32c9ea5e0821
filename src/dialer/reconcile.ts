import { CANCELLED } from '../clock/index.js';
import { translateStatus, type ProviderCall, type ProviderFailure, type Telephony } from '../telephony/index.js';
import type { CallDeps } from '../calls/index.js';
import type { DialerDeps, LeftCall } from './run-store.js';
import { applyStatusEventNow, finalizeCall, runCallUnit, type StatusPayload } from '../calls/index.js';
import type { EffectivePolicy } from '../contacts/index.js';

/*
 * Crash recovery: what a process killed mid-run (kill -9, a crash, a lost machine) left in flight,
 * settled by asking the provider instead of waiting. docs/architecture.md ("Crash safety") and
 * docs/reliability.md state the guarantees; test/dialer/reconcile.test.ts and the kill -9 run of
 * test/faults prove them.
 */

/**
 * How long the provider answers GET /v1/calls/:uuid for a call (Vonage: about two days, reference
 * §2). An older call we never heard the end of is lost without asking.
 */
export const PROVIDER_CALL_RETENTION_MS = 48 * 3600_000;

/**
 * The longest a call can live at the provider: the ringing and length timers we set on create, plus
 * a margin for setup and late webhooks. Past it, a call we know nothing more about has ended.
 */
export function maxCallLifeMs(policy: Pick<EffectivePolicy, 'ringingTimerSeconds' | 'lengthTimerSeconds'>): number {
  return (policy.ringingTimerSeconds + policy.lengthTimerSeconds + 120) * 1000;
}

/** How far the provider's clock may be from ours when a create is looked for by its time, in ms. */
const CLOCK_SKEW_MS = 15_000;
/**
 * The longest from writing an attempt row to the provider creating its call, in ms: the create
 * request's own timeout (10 s) with room for the turn it waited for. A create younger than this may
 * still be on its way to the provider, so not finding it in the call list rules nothing out yet.
 */
const CREATE_SETTLE_MS = 30_000;
/** How often a call the provider could not tell us about is asked about again, in clock ms. */
const RECHECK_MS = 15_000;
/** Calls per page of the provider's call list (its maximum). */
const PAGE_SIZE = 100;
/** Pages walked for one span of creates at most (10,000 calls); a longer list cannot rule anything out. */
const MAX_PAGES = 100;

/** A call an earlier process left unfinished that may still be live at the provider. */
export interface OpenCall {
  id: number;
  createdAt: number;
  /**
   * What the provider could not tell us yet: `create`, a create request the call list neither
   * showed nor ruled out (too recent, or the list did not answer); `status`, a call whose look-up
   * failed. Absent for a call the provider reported live.
   */
  unresolved?: 'create' | 'status' | undefined;
}


type CreateVerdict =
  /** The provider created it: this is its call. */
  | { kind: 'found'; call: ProviderCall }
  /** The call list, complete and consistent with what we know, does not have it: it was never created. */
  | { kind: 'absent' }
  | { kind: 'unknown'; why: string };

/**
 * Before dialing, settles what an earlier process left in flight for this list and returns the
 * calls that may still be live, which the caller must follow until they end (followLeftInFlight):
 * - a call with a provider uuid is asked about (GET /v1/calls/:uuid, all at once: the telephony
 *   paces them and retries a refusal): ended → its final status is applied (billing included,
 *   once: one line per call); 404, or older than the provider keeps calls → `lost`; live → returned;
 *   the provider not answering → returned as `status` unresolved;
 * - a call still `creating` without a uuid (the process died around the create request) is looked
 *   for in the provider's call list by number and time: found → it gets its uuid and is treated as
 *   above; ruled out → the attempt is undone (the contact is dialled again, the attempt not
 *   counted: nobody was called); neither → returned as `create` unresolved, or `lost` once it
 *   would have ended anyway;
 * - contacts left `dialing` without an unfinished call (claimed, never dialled) go back to pending
 *   with their attempt count unchanged.
 * A returned call keeps its contact in `dialing`, so it is never dialled twice.
 */
export async function reconcileInFlight(deps: DialerDeps, telephony: Telephony, listId: number): Promise<OpenCall[]> {
  const { clock, logger } = deps;
  const startedAt = clock.now();
  const policy = (await deps.lists.load(listId)).policy;
  const left = await deps.runs.leftInFlight(listId);
  const tally = { ended: 0, live: 0, foundInList: 0, neverCreated: 0, unresolved: 0, lost: 0 };
  const open: OpenCall[] = [];
  const lose = (callId: number, why: string) => {
    tally.lost++;
    return loseCall(deps, callId, `marking a call left in flight lost: ${why}`);
  };
  const keep = (call: LeftCall, unresolved?: OpenCall['unresolved']) => {
    if (unresolved) tally.unresolved++;
    else tally.live++;
    open.push({ id: call.id, createdAt: call.createdAt, ...(unresolved ? { unresolved } : {}) });
  };

  const creates = left.filter((call) => call.uuid === null);
  const young = creates.filter((call) => startedAt - call.createdAt <= PROVIDER_CALL_RETENTION_MS);
  for (const call of creates) if (!young.includes(call)) await lose(call.id, 'older than the provider keeps calls');
  const verdicts = await findCreates(deps, telephony, young);
  // Creates the list showed join the calls with a uuid: the listed call is what a look-up returns.
  const known: { call: LeftCall; listed?: ProviderCall }[] = left.filter((call) => call.uuid !== null).map((call) => ({ call }));
  for (const call of young) {
    const verdict = verdicts.get(call.id)!;
    if (verdict.kind === 'found') {
      const uuid = await adoptUuid(deps, call.id, verdict.call);
      if (uuid === verdict.call.uuid) {
        tally.foundInList++;
        known.push({ call: { ...call, uuid }, listed: verdict.call });
      } else if (uuid) {
        // A webhook named it meanwhile, with another uuid: ask about that one.
        known.push({ call: { ...call, uuid } });
      } else {
        keep(call, 'create');
      }
    } else if (verdict.kind === 'absent' && (await undoUnsentAttempt(deps, call))) {
      tally.neverCreated++;
    } else if (startedAt - call.createdAt > maxCallLifeMs(policy)) {
      await lose(call.id, 'the provider never named it and it would have ended by now');
    } else {
      keep(call, 'create');
    }
  }

  await Promise.all(
    known.map(async ({ call, listed }) => {
      if (startedAt - call.createdAt > PROVIDER_CALL_RETENTION_MS) {
        await lose(call.id, 'older than the provider keeps calls');
        return;
      }
      const state = listed ? await applyProviderCall(deps, call.id, listed) : await reconcileCall(deps, telephony, call.id, call.uuid!);
      if (state === 'ended') tally.ended++;
      else keep(call, state === 'unknown' ? 'status' : undefined);
    }),
  );
  await deps.runs.releaseUnstarted(listId, deps.clock.now());
  if (left.length > 0) logger.info('reconciled the calls an earlier process left in flight', { listId, calls: left.length, ...tally, elapsedMs: clock.now() - startedAt });
  return open;
}

export interface ResumeOptions {
  telephony: Telephony;
  listId: number;
  /** Runs a task in one of the run's live-call slots. */
  track: (task: () => Promise<void>) => void;
  /**
   * Holds the slot until the call ended; if no final webhook came by the call's longest life, asks
   * the provider (or, without a uuid, counts it lost). The run's waitForEnd.
   */
  watch: (call: OpenCall) => Promise<void>;
}

/**
 * The start of a run: reconciles what an earlier process left in this list and follows each call
 * that may still be live in a live-call slot, like the run's own calls (their webhooks carry the
 * attempt's ref and reach this process). Logs once every one of them has ended.
 */
export async function resumeLeftInFlight(deps: DialerDeps, options: ResumeOptions): Promise<void> {
  const startedAt = deps.clock.now();
  const open = await reconcileInFlight(deps, options.telephony, options.listId);
  let following = open.length;
  for (const call of open) {
    deps.logger.info('following a call left in flight by an earlier process', { listId: options.listId, callId: call.id, unresolved: call.unresolved ?? null });
    options.track(async () => {
      await followLeftInFlight(deps, options, call);
      if (--following === 0) {
        deps.logger.info('every call left in flight by an earlier process has ended', { listId: options.listId, calls: open.length, elapsedMs: deps.clock.now() - startedAt });
      }
    });
  }
}

/**
 * Follows one call reconcileInFlight returned. While the provider could not yet tell us about it,
 * asks again (a create once it is old enough to be ruled out, then every RECHECK_MS), until it
 * ended, is known live, or would have ended anyway; then watches it to its end.
 */
async function followLeftInFlight(deps: DialerDeps, options: ResumeOptions, open: OpenCall): Promise<void> {
  const store = deps.units.stores.calls;
  const deadline = open.createdAt + maxCallLifeMs((await deps.lists.load(options.listId)).policy);
  let unresolved = open.unresolved;
  // A create is looked for again once it is old enough to be ruled out; after that, and for a
  // failed look-up, every RECHECK_MS.
  let waitMs = unresolved === 'create' ? Math.max(open.createdAt + CREATE_SETTLE_MS - deps.clock.now(), 1000) : RECHECK_MS;
  while (unresolved && deps.clock.now() < deadline) {
    if (await endsWithin(deps, open.id, Math.min(waitMs, deadline - deps.clock.now()))) return;
    waitMs = RECHECK_MS;
    const row = await store.byId(open.id);
    if (!row || row.state === 'ended') return;
    if (unresolved === 'create' && row.providerUuid) {
      // A webhook named the call: it exists and its webhooks reach us.
      unresolved = undefined;
      break;
    }
    if (unresolved === 'create') {
      const call = await deps.runs.leftCall(open.id);
      if (!call) return;
      const verdict = (await findCreates(deps, options.telephony, [call])).get(call.id)!;
      if (verdict.kind === 'absent' && (await undoUnsentAttempt(deps, call))) return;
      if (verdict.kind === 'found' && (await adoptUuid(deps, call.id, verdict.call)) === verdict.call.uuid) {
        if ((await applyProviderCall(deps, call.id, verdict.call)) === 'ended') return;
        unresolved = undefined;
      }
    } else {
      const state = await reconcileCall(deps, options.telephony, open.id, row.providerUuid!);
      if (state === 'ended') return;
      if (state === 'live') unresolved = undefined;
    }
  }
  await options.watch(open);
}

/** Sleeps `ms` of clock time unless the call ends first; true when it ended. */
async function endsWithin(deps: CallDeps, callId: number, ms: number): Promise<boolean> {
  const waiter = new AbortController();
  const ended = deps.signals.whenEnded(callId, waiter.signal).then(() => true);
  if ((await deps.units.stores.calls.byId(callId))?.state === 'ended') {
    waiter.abort(CANCELLED);
    return true;
  }
  const slept = deps.clock.sleep(ms, waiter.signal).then(
    () => false,
    () => false,
  );
  const result = await Promise.race([ended, slept]);
  waiter.abort(CANCELLED);
  return result;
}

/** Applies what the provider says about a call we heard nothing final about. */
export async function reconcileCall(deps: CallDeps, telephony: Telephony, callId: number, uuid: string): Promise<'ended' | 'live' | 'unknown'> {
  const result = await telephony.getCall(uuid);
  const call = await deps.units.stores.calls.byId(callId);
  if (!call || call.state === 'ended') return 'ended';
  if (!result.ok) {
    if (result.failure.kind === 'not_found') {
      await loseCall(deps, callId, 'provider no longer knows the call; marking it lost');
      return 'ended';
    }
    // Not silently "still live": the caller asks again soon, and waits only while this lasts.
    deps.logger.warn('the provider could not tell us about a call; asking again later', { callId, kind: result.failure.kind, detail: result.failure.message });
    return 'unknown';
  }
  return applyProviderCall(deps, call.id, result.call);
}

/** Applies the provider's view of a call (a look-up, or an item of its call list): ended or still live. */
async function applyProviderCall(deps: CallDeps, callId: number, provider: ProviderCall): Promise<'ended' | 'live'> {
  const call = await deps.units.stores.calls.byId(callId);
  if (!call || call.state === 'ended') return 'ended';
  const meaning = translateStatus(provider.status);
  if (meaning.kind === 'completed' || meaning.kind === 'failed') {
    deps.logger.info('call reconciled from the provider', { callId, status: provider.status });
    await applyStatusEventNow(deps, call, providerCallAsEvent(provider), deps.clock.now());
    return 'ended';
  }
  return 'live';
}

function providerCallAsEvent(call: ProviderCall): StatusPayload {
  return {
    status: call.status,
    uuid: call.uuid,
    ...(call.durationSeconds !== undefined ? { duration: String(call.durationSeconds) } : {}),
    ...(call.priceMicros !== undefined ? { price: (call.priceMicros / 1e6).toFixed(8) } : {}),
    ...(call.rateMicros !== undefined ? { rate: (call.rateMicros / 1e6).toFixed(8) } : {}),
    ...(call.startTimeMs !== undefined ? { start_time: new Date(call.startTimeMs).toISOString() } : {}),
    ...(call.endTimeMs !== undefined ? { end_time: new Date(call.endTimeMs).toISOString() } : {}),
    ...(call.network !== undefined ? { network: call.network } : {}),
    reconciled: true,
  };
}

async function loseCall(deps: CallDeps, callId: number, message: string): Promise<void> {
  const now = deps.clock.now();
  deps.logger.warn(message, { callId });
  if (await runCallUnit(deps, (tx) => finalizeCall(deps, tx, callId, 'lost', now, now))) deps.signals.notifyEnded(callId);
}

/**
 * Looks for creates without a uuid in the provider's call list (GET /v1/calls, reference §2):
 * the calls to the contact's number the provider dates from a little before the attempt row to
 * the longest a create takes after it (with room for clocks that disagree), one walk of the pages
 * per span of nearby creates. A
 * listed call no row of ours has claimed is the create's call (the nearest in time if several).
 *
 * Not finding a create rules it out only when it is old enough to have reached the provider, and
 * when the list shows every call of the list we know was created in the same span: a list that
 * misses those (another region, a clock far from ours) is no evidence of absence. All creates
 * given are of one list.
 */
async function findCreates(deps: DialerDeps, telephony: Telephony, creates: LeftCall[]): Promise<Map<number, CreateVerdict>> {
  const verdicts = new Map<number, CreateVerdict>();
  const claimed = new Set<string>();
  for (const span of spans(creates)) {
    const firstAt = span[0]!.createdAt;
    const lastAt = span.at(-1)!.createdAt;
    // Wide enough for a call we created up to CLOCK_SKEW_MS either side of the span (the witnesses
    // below), dated by a clock up to CLOCK_SKEW_MS off ours, up to CREATE_SETTLE_MS after its row.
    const listed = await walkCallList(telephony, firstAt - 2 * CLOCK_SKEW_MS, lastAt + CREATE_SETTLE_MS + 2 * CLOCK_SKEW_MS);
    if (!listed.ok) {
      deps.logger.warn('the provider could not list its calls; creates left in flight wait instead', { detail: listed.why });
      for (const call of span) verdicts.set(call.id, { kind: 'unknown', why: listed.why });
      continue;
    }
    const listedUuids = new Set(listed.calls.map((call) => call.uuid));
    // The list's own calls of the same moments (calls_list_idx): the dying run's other creates.
    const witnesses = await deps.runs.uuidsCreatedBetween(span[0]!.listId, firstAt - CLOCK_SKEW_MS, lastAt + CLOCK_SKEW_MS);
    const missing = witnesses.filter((uuid) => !listedUuids.has(uuid)).length;
    // Listed calls a row of ours already has: they are not the creates'.
    const ours = new Set<string>();
    for (const listedCall of listed.calls) if (await deps.units.stores.calls.byProviderUuid(listedCall.uuid)) ours.add(listedCall.uuid);
    const now = deps.clock.now();
    for (const call of span) {
      const number = call.phone.replace(/^\+/, '');
      const candidates = listed.calls.filter((listedCall) => listedCall.toNumber === number && !claimed.has(listedCall.uuid) && !ours.has(listedCall.uuid));
      const distance = (listedCall: ProviderCall) => Math.abs((listedCall.startTimeMs ?? call.createdAt) - call.createdAt);
      const match = candidates.sort((a, b) => distance(a) - distance(b))[0];
      if (match) {
        claimed.add(match.uuid);
        verdicts.set(call.id, { kind: 'found', call: match });
      } else if (now - call.createdAt < CREATE_SETTLE_MS) {
        verdicts.set(call.id, { kind: 'unknown', why: 'too recent to rule out' });
      } else if (missing > 0) {
        verdicts.set(call.id, { kind: 'unknown', why: `the call list misses ${missing} call(s) we know from the same time` });
      } else {
        verdicts.set(call.id, { kind: 'absent' });
      }
    }
  }
  return verdicts;
}

/** Creates (sorted by time) grouped so that each group's list windows overlap: one walk each. */
function spans(creates: LeftCall[]): LeftCall[][] {
  const groups: LeftCall[][] = [];
  for (const call of [...creates].sort((a, b) => a.createdAt - b.createdAt)) {
    const last = groups.at(-1);
    if (last && call.createdAt - last.at(-1)!.createdAt <= CREATE_SETTLE_MS + 4 * CLOCK_SKEW_MS) last.push(call);
    else groups.push([call]);
  }
  return groups;
}

async function walkCallList(telephony: Telephony, fromMs: number, toMs: number): Promise<{ ok: true; calls: ProviderCall[] } | { ok: false; why: string }> {
  const calls: ProviderCall[] = [];
  let recordIndex: number | undefined = 0;
  for (let pages = 0; recordIndex !== undefined; pages++) {
    if (pages === MAX_PAGES) return { ok: false, why: `more than ${MAX_PAGES * PAGE_SIZE} calls in the span` };
    const result = await telephony.listCalls({ fromMs, toMs, recordIndex, pageSize: PAGE_SIZE });
    if (!result.ok) return { ok: false, why: describe(result.failure) };
    calls.push(...result.page.calls);
    recordIndex = result.page.nextRecordIndex;
  }
  return { ok: true, calls };
}

function describe(failure: ProviderFailure): string {
  return `${failure.kind}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.message}`;
}

/** Gives a create row the uuid of the call the list showed for it (RunStore.adoptListedUuid); the uuid the row has now. */
function adoptUuid(deps: DialerDeps, callId: number, listed: ProviderCall): Promise<string | null> {
  return deps.runs.adoptListedUuid(callId, listed.uuid);
}

/**
 * A create the provider never received: nobody was called, so the attempt row goes and the contact
 * is due again with its attempt count as before (as after a 429). Only while nothing has named the
 * call (no uuid, no event) and the contact still waits on this attempt. Returns whether it did.
 */
async function undoUnsentAttempt(deps: DialerDeps, call: LeftCall): Promise<boolean> {
  const undone = await deps.runs.undoUnsentAttempt(call, deps.clock.now());
  if (undone) {
    deps.logger.info('a create left in flight never reached the provider (not in its call list); the contact is dialled again, the attempt not counted', {
      callId: call.id,
      contactId: call.contactId,
      attempt: call.attempt,
    });
    deps.signals.notifyChange();
  }
  return undone;
}
