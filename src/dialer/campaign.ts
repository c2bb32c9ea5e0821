import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import { CANCELLED, type Clock } from '../clock/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import type { Telephony } from '../telephony/index.js';
import { finalizeCall, finalStatusAfter, runCallUnit, type WebhookUrls } from '../calls/index.js';
import type { ContactRow } from '../contacts/index.js';
import type { ListSettings } from '../contacts/index.js';
import { LocalPacer, type AccountPacer, type CallCreator } from './call-creator.js';
import { maxCallLifeMs, reconcileCall, resumeLeftInFlight } from './reconcile.js';
import type { DialerDeps, DueDecision, RunStore, TakeDecision } from './run-store.js';
import { screenContact, screeningCaps } from './screening.js';
import { replanWaiting } from './waiting.js';

export interface CampaignProgress {
  listId: number;
  contacts: number;
  byStatus: Record<string, number>;
  /** Calls created so far in this run. */
  dialled: number;
  /** Calls of the list so far, every run included (the figure beside `answered` and `responses`). */
  calls: number;
  liveCalls: number;
  /**
   * Calls of the list a person answered, every run included: ended as person-answered, or still
   * live, answered and not found to be a machine. A scored call counts from its score on, so this
   * is never below `responses`.
   */
  answered: number;
  responses: number;
  promoters: number;
  detractors: number;
  /** NPS over the responses so far, or null before the first one. */
  nps: number | null;
  rateLimited: number;
}

export type CampaignResult =
  /** Every contact is in a final state. */
  | { kind: 'completed'; progress: CampaignProgress }
  /** Contacts wait for a later time (retry delay or calling hours); the run can continue then. */
  | { kind: 'paused'; progress: CampaignProgress; nextAttemptAt: number | null; waiting: number; reason: string }
  /** Stopped on request (SIGINT, a schedule window closing); live calls were allowed to finish. */
  | { kind: 'stopped'; progress: CampaignProgress; reason: string };

export interface CampaignOptions {
  listId: number;
  telephony: Telephony;
  urls: WebhookUrls;
  fromNumber: string;
  /** Stop starting calls when aborted; live calls then get `drainTimeoutMs` to finish. */
  signal?: AbortSignal | undefined;
  /** Keep waiting for contacts due within this much clock time; beyond it, pause. */
  maxIdleWaitMs?: number | undefined;
  /**
   * The longest the loop sleeps before it looks for due contacts again, in clock ms (default 60 s).
   * Contacts added by another process (a triggered survey from the CLI) wake nobody; a list that
   * takes them is looked at more often.
   */
  maxSleepMs?: number | undefined;
  /** How long live calls may take to finish after a stop, in clock ms. */
  drainTimeoutMs?: number | undefined;
  /**
   * Called once, after a stop, when the run will begin no attempt and send no create any more and
   * has given its unstarted contacts back — before its live calls end. A node handing over to a
   * successor may let it dial from then on (docs/deployment.md, "Graceful drain").
   */
  onStartsSettled?: (() => void) | undefined;
  onProgress?: ((progress: CampaignProgress) => void) | undefined;
  /** Wall-clock ms between progress reports. */
  progressEveryMs?: number | undefined;
  /**
   * The account's pace, which this run takes turns from with every other run of the process
   * (DialerRuntime.pacer: a worker thread). By default the run paces alone, through `telephony` in
   * this thread on `rateClock`, at the list's cps.
   */
  pacer?: AccountPacer | undefined;
  /** The default pacer's clock (real monotonic time; the provider counts real seconds). */
  rateClock?: Clock | undefined;
}

/** Consecutive 429/5xx/network failures of one contact's create request before it counts as an attempt. */
const MAX_TRANSIENT_FAILURES = 5;
const FIRST_BACKOFF_MS = 500;
/** How long (clock ms) a create request that failed without an answer waits for the call to show up. */
const AMBIGUOUS_GRACE_MS = 30_000;

/**
 * Dials every due contact of a list until all are final, or pauses when the next one is not due
 * within `maxIdleWaitMs`. Contacts move pending → dialing by conditional update, so two dialers
 * (or a restart) never take the same contact; each p-queue task holds a live-call slot until the
 * call ended, so at most `maxConcurrent` calls are live; a CallCreator paces create requests.
 */
export async function runCampaign(deps: DialerDeps, options: CampaignOptions): Promise<CampaignResult> {
  await deps.lists.load(options.listId);
  return new CampaignRun(deps, options).run();
}

/**
 * One run of one list, as steps: start (adopt calls an earlier process left live, re-plan the
 * waiting, open the run's lane of the pace) → turns of the loop (follow the list's settings, fill
 * the free live-call slots from the due contacts, sleep until something is due or changes) →
 * finish (let live calls end, give unstarted contacts back) → the result. Each dialled contact is
 * a task in a live-call slot: begin the attempt, send the create, follow the call to its end.
 */
class CampaignRun {
  readonly #deps: DialerDeps;
  readonly #options: CampaignOptions;
  readonly #store: RunStore;
  /** Stops the run: the caller's signal, or a fatal error of a task. */
  readonly #stop = new AbortController();
  readonly #stopped: Promise<void>;
  readonly #queue: PQueue;
  readonly #stats = { dialled: 0, rateLimited: 0 };
  /** Tasks the queue holds: the live-call slots, plus a second's worth of creates waiting for the limiter. */
  readonly #capacity: number;
  /**
   * The loop refills in batches: each call's end frees one slot, and a look for one due contact per
   * freed slot cost a query and a commit each. The queued creates keep the limiter busy meanwhile.
   */
  readonly #refillBatch: number;
  readonly #reporter: ReturnType<typeof progressReporter>;
  // The list's rules: `lists set` may change them during the run (reloaded at each turn of the
  // loop); the pace and the live-call slots stay what the run started with.
  #settings: ListSettings;
  #fatal: AppError | undefined;
  #creator: CallCreator | undefined;
  /** Tasks between taking a turn and the answer to their create: a create may still go out. */
  #starting = 0;
  #startsIdle: Array<() => void> = [];

  constructor(deps: DialerDeps, options: CampaignOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#store = deps.runs;
    this.#settings = deps.lists.get(options.listId);
    const policy = this.#settings.policy;
    // Every live-call task may wait on the limiter at once, each listening for the stop.
    setMaxListeners(policy.maxConcurrent + 16, this.#stop.signal);
    this.#stopped = new Promise<void>((resolve) => this.#stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.#queue = new PQueue({ concurrency: policy.maxConcurrent });
    this.#capacity = policy.maxConcurrent + Math.max(4, Math.ceil(policy.cps));
    this.#refillBatch = Math.max(1, Math.min(Math.ceil(policy.cps / 10), Math.floor(policy.maxConcurrent / 10)));
    this.#reporter = progressReporter(this.#store, options, this.#stats, () => this.#queue.pending);
  }

  get #policy() {
    return this.#settings.policy;
  }

  async run(): Promise<CampaignResult> {
    const deps = this.#deps;
    const options = this.#options;
    const onStop = () => this.#stop.abort(options.signal?.reason);
    if (options.signal?.aborted) this.#stop.abort(options.signal.reason);
    options.signal?.addEventListener('abort', onStop, { once: true });
    // Calls an earlier process left live at the provider keep their contact in `dialing` and get a
    // live-call slot here, like our own calls: their webhooks (which carry the attempt's ref) reach
    // this process, and if they stop coming the call is asked about at the end of its longest life.
    await resumeLeftInFlight(deps, {
      telephony: options.telephony,
      listId: options.listId,
      track: (task) => this.#track(task),
      watch: (call) => this.#waitForEnd(call.id, call.createdAt),
    });
    // Waiting contacts were parked under the rules of their time: they wait by today's.
    await replanWaiting(deps, this.#settings, deps.clock.now());
    // The run's lane of the account's pace, opened only now: it is closed in the `finally` below.
    const ownPacer = options.pacer ? undefined : new LocalPacer({ telephony: options.telephony, clock: options.rateClock ?? deps.clock, pace: { cps: this.#policy.cps } });
    this.#creator = (options.pacer ?? ownPacer!).open({ listId: options.listId, cps: this.#policy.cps }, this.#stop.signal);
    try {
      await this.#loop();
    } finally {
      options.signal?.removeEventListener('abort', onStop);
      // Queued (not yet started) contacts go back to pending once no task may still begin an
      // attempt; then live calls get time to finish. Giving them back before the calls end lets a
      // successor dial meanwhile without this run releasing the contacts it has claimed since.
      this.#queue.clear();
      await this.#startsSettled();
      await this.#store.releaseUnstarted(options.listId, deps.clock.now());
      options.onStartsSettled?.();
      await waitForIdle(this.#queue, deps.clock, options.drainTimeoutMs ?? 5 * 60_000);
      await this.#creator.close();
      await ownPacer?.close();
    }
    if (this.#fatal) throw this.#fatal;
    return this.#result();
  }

  /** Turns until every contact is final, the next one is not due soon enough, or a stop. */
  async #loop(): Promise<void> {
    const { clock } = this.#deps;
    const { listId } = this.#options;
    for (;;) {
      if (this.#fatal) throw this.#fatal;
      if (this.#stop.signal.aborted) return;
      await this.#followSettings();
      // A paused list starts no call; its live calls finish, and the loop waits for the resume.
      const paused = this.#settings.pausedAt !== null;
      const examined = paused ? { examined: 0, room: 0 } : await this.#fillSlots(clock.now());
      await this.#reporter.maybeReport();
      // A full page may mean more due contacts behind it (parked or claimed ones are gone now).
      if (examined.examined > 0 && examined.examined === examined.room) continue;

      const busy = this.#queue.size + this.#queue.pending > 0;
      // With calls in progress the loop only needs to know when the next parked contact is due
      // (an index lookup); the count of open contacts (a scan of the list) is needed only when idle.
      let nextAt: number | null;
      if (busy) {
        nextAt = await this.#store.nextDueAt(listId);
      } else {
        const open = await this.#store.openContacts(listId);
        if (open.n === 0) return;
        if (!paused && open.nextAt !== null && open.nextAt - clock.now() > (this.#options.maxIdleWaitMs ?? 15 * 60_000)) return;
        nextAt = open.nextAt;
      }
      // Paused, a due contact is no reason to wake: the settings are read again after a sleep
      // (at most maxSleepMs) or a change signal (a pause or resume from this process).
      await this.#sleepUntilWork(paused ? null : nextAt);
    }
  }

  /** One row read per turn; a webhook's settling may have reloaded the list's settings first. */
  async #followSettings(): Promise<void> {
    const deps = this.#deps;
    const options = this.#options;
    await deps.lists.reloadIfChanged(options.listId);
    if (deps.lists.get(options.listId) === this.#settings) return;
    const wasPaused = this.#settings.pausedAt !== null;
    this.#settings = deps.lists.get(options.listId);
    if (wasPaused !== (this.#settings.pausedAt !== null)) {
      deps.logger.info(this.#settings.pausedAt === null ? 'the list was resumed; dialing again' : 'the list was paused; no new calls until it is resumed', { listId: options.listId });
    }
    deps.logger.info("the list's settings changed during the run; dialing under the new ones", { listId: options.listId });
    await replanWaiting(deps, this.#settings, deps.clock.now());
  }

  /**
   * Keeps a little work queued beyond the live-call slots so a freed slot is refilled at once,
   * without claiming (and so locking) more contacts than we are about to dial.
   */
  async #fillSlots(now: number): Promise<{ examined: number; room: number }> {
    const room = this.#capacity - (this.#queue.size + this.#queue.pending);
    if (room < this.#refillBatch) return { examined: 0, room };
    const due = await this.#store.due(this.#options.listId, now, room);
    const decisions: DueDecision[] = [];
    for (const contact of due) decisions.push({ contact, decision: await this.#decide(contact, now) });
    // Each claim, closing and parking is conditional on the contact being as read: another run
    // (or node) that took it meanwhile wins, and this one moves on.
    const claimed = await this.#store.applyDecisions(decisions, now);
    for (const contact of claimed) this.#track(() => this.#dialContact(contact));
    return { examined: due.length, room };
  }

  /**
   * Waits until the next contact is due, something changes (a call ended, a slot freed), or a
   * stop. With too few slots free to refill, a due contact cannot be taken before a task ends (a
   * change): waking for it would spin the loop (at once, on a manual clock, starving I/O).
   */
  async #sleepUntilWork(nextAt: number | null): Promise<void> {
    const { clock, signals } = this.#deps;
    const full = this.#capacity - (this.#queue.size + this.#queue.pending) < this.#refillBatch;
    const wake = new AbortController();
    const maxSleepMs = this.#options.maxSleepMs ?? 60_000;
    const untilDue = nextAt === null || full ? maxSleepMs : Math.max(0, nextAt - clock.now());
    await Promise.race([clock.sleep(Math.min(untilDue, maxSleepMs), wake.signal).catch(() => undefined), signals.whenChanged(wake.signal), this.#stopped]);
    wake.abort(CANCELLED);
  }

  async #result(): Promise<CampaignResult> {
    const progress = await this.#reporter.report();
    if (this.#stop.signal.aborted) return { kind: 'stopped', progress, reason: String(this.#stop.signal.reason ?? 'stopped') };
    const open = await this.#store.openContacts(this.#options.listId);
    if (open.n === 0) return { kind: 'completed', progress };
    return { kind: 'paused', progress, nextAttemptAt: open.nextAt, waiting: open.n, reason: 'the remaining contacts are not due yet (retry delay or calling hours)' };
  }

  /** Runs a task in a live-call slot; a failure stops the run, and a finished task wakes the loop. */
  #track(task: () => Promise<void>): void {
    void this.#queue
      .add(task)
      .catch((error: unknown) => {
        this.#fatal ??= error instanceof AppError ? error : new AppError('INTERNAL', (error as Error).message, { cause: error });
        this.#stop.abort();
      })
      // A finished task frees a live-call slot: let the loop look for more work.
      .finally(() => this.#deps.signals.notifyChange());
  }

  /**
   * The status of a contact the loop closes without dialling now: `fallback` when it was never
   * dialled in this list, else what its last attempt made it (as when attempts run out).
   */
  async #closingStatus(contact: ContactRow, fallback: ContactStatus): Promise<ContactStatus> {
    if (contact.attempts === 0) return fallback;
    const last = await this.#store.lastOutcome(contact.id);
    return last ? finalStatusAfter(last) : fallback;
  }

  /**
   * Decides about one due contact: close it (attempts used up,
   * already responded, suppressed, capped, undiallable), park it until it may be called, or claim it.
   */
  async #decide(contact: ContactRow, now: number): Promise<TakeDecision> {
    if (contact.attempts >= this.#policy.maxAttempts) {
      // The limit was lowered after this retry was planned: the attempts made are all it gets.
      return { kind: 'close', status: await this.#closingStatus(contact, 'not_dialled') };
    }
    // A score that arrived through a late webhook of an attempt given up on (a create that
    // timed out) still means the person answered: never call them again.
    if (await this.#store.hasResponse(contact.id)) return { kind: 'close', status: 'responded' };
    const facts = await this.#store.screeningFacts(contact, screeningCaps(this.#settings), now);
    const verdict = screenContact(this.#settings, contact, facts, now);
    switch (verdict.kind) {
      case 'callable':
        return { kind: 'claim' };
      case 'suppressed':
        return { kind: 'close', status: 'suppressed' };
      case 'recent_survey':
      case 'attempt_cap':
        this.#deps.logger.info('contact excluded by a frequency cap', { listId: contact.listId, contactId: contact.id, cap: verdict.kind });
        return { kind: 'close', status: await this.#closingStatus(contact, 'capped') };
      case 'no_time_zone':
      case 'no_window':
        return { kind: 'close', status: await this.#closingStatus(contact, 'not_dialled') };
      case 'outside_window':
        // Park the contact at its next opening, so it is not rescanned until then.
        return { kind: 'park', until: verdict.nextAt };
      case 'live_elsewhere':
        return { kind: 'park', until: verdict.recheckAt };
      default: {
        const unreachable: never = verdict;
        throw new Error(`unknown screening ${String(unreachable)}`);
      }
    }
  }

  /** One claimed contact's task: create its call (retrying what the provider did not take) and follow it to its end. */
  async #dialContact(contact: ContactRow): Promise<void> {
    this.#starting++;
    let follow: number | null;
    try {
      follow = await this.#startCall(contact);
    } finally {
      if (--this.#starting === 0) for (const resolve of this.#startsIdle.splice(0)) resolve();
    }
    if (follow !== null) await this.#waitForEnd(follow, this.#deps.clock.now());
  }

  /** Resolves once the run is stopped and no task may send a create any more. */
  #startsSettled(): Promise<void> {
    return this.#starting === 0 ? Promise.resolve() : new Promise((resolve) => this.#startsIdle.push(resolve));
  }

  /**
   * Begins the attempt and sends its create, retrying what the provider did not take. Returns the
   * call to follow to its end, or null when there is none (given back, refused, failed).
   */
  async #startCall(contact: ContactRow): Promise<number | null> {
    const deps = this.#deps;
    const options = this.#options;
    const store = this.#store;
    const { clock, logger } = deps;
    const creator = this.#creator!;
    const attempt = contact.attempts + 1;
    for (let transient = 0; ; ) {
      const turn = this.#stop.signal.aborted ? undefined : await creator.reserve();
      if (!turn) {
        await store.release(contact, clock.now());
        return null;
      }
      // The attempt row exists before the request: `started` may arrive before the 201, and after a
      // crash the row tells the reconciler that this attempt may be live at the provider.
      const ref = randomBytes(16).toString('base64url');
      const callId = await store.beginAttempt(contact, attempt, ref, clock.now());
      const result = await turn.send({
        toE164: contact.phoneE164,
        fromNumber: options.fromNumber,
        answerUrl: options.urls.answer(ref),
        answerMethod: 'POST',
        eventUrl: options.urls.event(ref),
        machineDetection: 'hangup',
        ringingTimerSeconds: this.#policy.ringingTimerSeconds,
        lengthTimerSeconds: this.#policy.lengthTimerSeconds,
      });
      if (result === undefined) {
        // Stopped while the request waited for its slot: it was never sent.
        await store.undoAttempt(callId, contact, attempt);
        await store.release(contact, clock.now());
        return null;
      }
      if (result.ok) {
        this.#stats.dialled++;
        await store.markCreated(callId, result.uuid, result.conversationUuid ?? null);
        logger.debug('call created', { listId: contact.listId, contactId: contact.id, callId, attempt });
        return callId;
      }
      const failure = result.failure;
      if (failure.kind === 'unauthorized') {
        await store.undoAttempt(callId, contact, attempt);
        throw new AppError('PROVIDER_ERROR', `Vonage refused our credentials (${failure.message}); check VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY`);
      }
      if (failure.kind === 'network') {
        // Ambiguous: the request may have reached the provider before the connection failed or
        // timed out, and the call may be ringing now. The attempt row stays, so that call's
        // webhooks still find it; if one reveals the call, it is followed like any other. If none
        // comes within the grace period, the attempt ends as create_failed (counted), which can
        // never put a second call on top of a live one.
        if (await this.#revealedByWebhook(callId)) {
          this.#stats.dialled++;
          logger.warn('create call timed out but the call exists; following it', { listId: contact.listId, contactId: contact.id, callId });
          return callId;
        }
        logger.warn('create call failed without an answer; counting the attempt', { listId: contact.listId, contactId: contact.id, callId, detail: failure.message });
        await this.#endAttempt(callId, 'create_failed');
        return null;
      }
      if (failure.retryable && ++transient < MAX_TRANSIENT_FAILURES) {
        // 429 and 5xx mean the provider did not create the call: the same contact is retried
        // without counting an attempt.
        await store.undoAttempt(callId, contact, attempt);
        if (failure.kind === 'rate_limited') {
          this.#stats.rateLimited++;
          deps.gauges?.rateLimited();
        }
        const backoffMs = FIRST_BACKOFF_MS * 2 ** (transient - 1);
        if (failure.kind === 'rate_limited') creator.backoff(backoffMs);
        logger.warn('create call refused; retrying the same contact', { listId: contact.listId, contactId: contact.id, kind: failure.kind, backoffMs });
        await clock.sleep(backoffMs, this.#stop.signal).catch(() => undefined);
        continue;
      }
      // A permanent refusal (an invalid number) or repeated transient ones: the attempt counts.
      const outcome = failure.kind === 'invalid_request' || failure.kind === 'not_found' ? 'rejected' : 'create_failed';
      logger.warn('create call failed', { listId: contact.listId, contactId: contact.id, callId, outcome, detail: failure.message });
      await this.#endAttempt(callId, outcome);
      return null;
    }
  }

  /** Ends an attempt the provider has no call for (as the webhooks would end a real one), and says so. */
  async #endAttempt(callId: number, outcome: 'create_failed' | 'rejected' | 'lost'): Promise<void> {
    const deps = this.#deps;
    const now = deps.clock.now();
    await runCallUnit(deps, (tx) => finalizeCall(deps, tx, callId, outcome, now, now));
    deps.signals.notifyEnded(callId);
  }

  /** Polls (clock time) for a webhook of this attempt, which carries the provider's uuid. */
  async #revealedByWebhook(callId: number): Promise<boolean> {
    const calls = this.#deps.units.stores.calls;
    for (let waited = 0; waited <= AMBIGUOUS_GRACE_MS; waited += 1000) {
      const call = await calls.byId(callId);
      if (!call || call.state === 'ended') return false;
      if (call.providerUuid) return true;
      await this.#deps.clock.sleep(1000, this.#stop.signal).catch(() => undefined);
    }
    return false;
  }

  /**
   * Holds the live-call slot until the call ended. If no final webhook comes within the call's
   * longest possible life (ringing + length timers + grace, counted from `createdAt`), asks the
   * provider and applies what it says; a call the provider does not know any more is `lost` (the
   * attempt counts, retry applies), and so is one whose uuid we never learnt: had the provider
   * created it, its webhooks would have named it, and it would have ended by now.
   */
  async #waitForEnd(callId: number, createdAt: number): Promise<void> {
    const { clock, signals } = this.#deps;
    const calls = this.#deps.units.stores.calls;
    const deadline = createdAt + maxCallLifeMs(this.#policy);
    for (let checks = 0; ; checks++) {
      const waiter = new AbortController();
      const ended = signals.whenEnded(callId, waiter.signal);
      if ((await calls.byId(callId))?.state === 'ended') {
        waiter.abort(CANCELLED);
        return;
      }
      const waitMs = checks === 0 ? Math.max(0, deadline - clock.now()) : 60_000;
      const timedOut = await Promise.race([ended.then(() => false), clock.sleep(waitMs, waiter.signal).then(() => true, () => false)]);
      waiter.abort(CANCELLED);
      if (!timedOut) continue;
      const call = (await calls.byId(callId))!;
      if (call.state === 'ended') return;
      if (!call.providerUuid) {
        await this.#endAttempt(callId, 'lost');
        return;
      }
      const reconciled = await reconcileCall(this.#deps, this.#options.telephony, callId, call.providerUuid);
      if (reconciled === 'ended') return;
    }
  }
}

async function waitForIdle(queue: PQueue, clock: Clock, timeoutMs: number): Promise<void> {
  const timeout = new AbortController();
  await Promise.race([queue.onIdle(), clock.sleep(timeoutMs, timeout.signal).catch(() => undefined)]);
  timeout.abort(CANCELLED);
}

function progressReporter(store: RunStore, options: CampaignOptions, stats: { dialled: number; rateLimited: number }, live: () => number) {
  let last = 0;
  const report = async (): Promise<CampaignProgress> => {
    const counts = await store.progress(options.listId);
    const progress: CampaignProgress = {
      listId: options.listId,
      contacts: counts.contacts,
      byStatus: counts.byStatus,
      dialled: stats.dialled,
      calls: counts.calls,
      liveCalls: live(),
      answered: counts.answered,
      responses: counts.responses,
      promoters: counts.promoters,
      detractors: counts.detractors,
      nps: counts.responses > 0 ? (100 * (counts.promoters - counts.detractors)) / counts.responses : null,
      rateLimited: stats.rateLimited,
    };
    options.onProgress?.(progress);
    return progress;
  };
  return {
    report,
    async maybeReport(): Promise<void> {
      const now = performance.now();
      if (options.onProgress && now - last >= (options.progressEveryMs ?? 1000)) {
        last = now;
        await report();
      }
    },
  };
}
