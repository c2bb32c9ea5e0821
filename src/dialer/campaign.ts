import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import { CANCELLED, type Clock } from '../clock/index.js';
import { prepared } from '../db/index.js';
import type { CallOutcome, ContactStatus } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import type { Telephony } from '../telephony/index.js';
import { callStore, type ContactRow } from '../calls/index.js';
import type { CallDeps } from '../calls/index.js';
import { finalizeCall, finalStatusAfter } from '../calls/index.js';
import { LocalPacer, type AccountPacer } from './call-creator.js';
import { maxCallLifeMs, reconcileCall, releaseUnstarted, resumeLeftInFlight } from './reconcile.js';
import { ContactScreen } from './screening.js';
import { replanWaiting } from './waiting.js';
import type { WebhookUrls } from '../calls/index.js';

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
export async function runCampaign(deps: CallDeps, options: CampaignOptions): Promise<CampaignResult> {
  const { database, clock, logger } = deps;
  // The list's rules: `lists set` may change them during the run (reloaded at each turn of the
  // loop); the pace and the live-call slots stay what the run started with.
  let settings = deps.lists.get(options.listId);
  let policy = settings.policy;
  const stop = new AbortController();
  // Every live-call task may wait on the limiter at once, each listening for the stop.
  setMaxListeners(policy.maxConcurrent + 16, stop.signal);
  const onStop = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) stop.abort(options.signal.reason);
  options.signal?.addEventListener('abort', onStop, { once: true });
  const queue = new PQueue({ concurrency: policy.maxConcurrent });
  const stats = { dialled: 0, rateLimited: 0 };
  let fatal: AppError | undefined;
  const sqlite = database.sqlite;

  const hasResponse = prepared(deps.database, 'SELECT 1 FROM responses WHERE contact_id = ?');
  const selectDue = prepared(deps.database, 
    `SELECT id, list_id AS listId, phone_e164 AS phoneE164, country, timezone, language, name, status, attempts FROM contacts
     WHERE list_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
  );
  const claim = prepared(deps.database, `UPDATE contacts SET status = 'dialing', updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`);
  const postpone = prepared(deps.database, `UPDATE contacts SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`);
  const close = prepared(deps.database, `UPDATE contacts SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending'`);
  const lastOutcome = prepared(deps.database, 'SELECT outcome FROM calls WHERE contact_id = ? ORDER BY attempt DESC LIMIT 1');
  let screen = new ContactScreen(deps.database, settings);
  const nextDue = prepared(deps.database, `SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = ? AND status = 'pending'`);
  const openCount = prepared(deps.database, `SELECT count(*) AS n, min(CASE WHEN status = 'pending' THEN next_attempt_at END) AS nextAt FROM contacts WHERE list_id = ? AND status IN ('pending', 'dialing')`);

  // Tasks the queue holds: the live-call slots, plus a second's worth of creates waiting for the limiter.
  const capacity = policy.maxConcurrent + Math.max(4, Math.ceil(policy.cps));
  // The loop refills in batches: each call's end frees one slot, and a look for one due contact per
  // freed slot cost a query and a commit each. The queued creates keep the limiter busy meanwhile.
  const refillBatch = Math.max(1, Math.min(Math.ceil(policy.cps / 10), Math.floor(policy.maxConcurrent / 10)));
  const reporter = progressReporter(deps, options, stats, () => queue.pending);
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  // Calls an earlier process left live at the provider keep their contact in `dialing` and get a
  // live-call slot here, like our own calls: their webhooks (which carry the attempt's ref) reach
  // this process, and if they stop coming the call is asked about at the end of its longest life.
  await resumeLeftInFlight(deps, { telephony: options.telephony, listId: options.listId, track, watch: (call) => waitForEnd(call.id, call.createdAt) });
  // Waiting contacts were parked under the rules of their time: they wait by today's.
  replanWaiting(deps, settings, clock.now());
  // The run's lane of the account's pace, opened only now: it is closed in the `finally` below.
  const ownPacer = options.pacer ? undefined : new LocalPacer({ telephony: options.telephony, clock: options.rateClock ?? clock, pace: { cps: policy.cps } });
  const creator = (options.pacer ?? ownPacer!).open({ listId: options.listId, cps: policy.cps }, stop.signal);

  try {
    for (;;) {
      if (fatal) throw fatal;
      if (stop.signal.aborted) break;
      // One row read per turn; a webhook's settling may have reloaded them first.
      deps.lists.reloadIfChanged(options.listId);
      if (deps.lists.get(options.listId) !== settings) {
        const wasPaused = settings.pausedAt !== null;
        settings = deps.lists.get(options.listId);
        if (wasPaused !== (settings.pausedAt !== null)) logger.info(settings.pausedAt === null ? 'the list was resumed; dialing again' : 'the list was paused; no new calls until it is resumed', { listId: options.listId });
        policy = settings.policy;
        screen = new ContactScreen(deps.database, settings);
        logger.info("the list's settings changed during the run; dialing under the new ones", { listId: options.listId });
        replanWaiting(deps, settings, clock.now());
      }
      const now = clock.now();
      // Keep a little work queued beyond the live-call slots so a freed slot is refilled at once,
      // without claiming (and so locking) more contacts than we are about to dial.
      const room = capacity - (queue.size + queue.pending);
      let examined = 0;
      // A paused list starts no call; its live calls finish, and the loop waits for the resume.
      const paused = settings.pausedAt !== null;
      if (room >= refillBatch && !paused) {
        // One transaction for the page: its claims, parkings and closings commit together.
        const claimed = sqlite.transaction(() => {
          const due = selectDue.all(options.listId, now, room) as ContactRow[];
          examined = due.length;
          return due.filter((contact) => take(contact, now));
        }).immediate();
        for (const contact of claimed) track(() => dialContact(contact));
      }
      reporter.maybeReport();
      // A full page may mean more due contacts behind it (parked or claimed ones are gone now).
      if (examined > 0 && examined === room) continue;

      const busy = queue.size + queue.pending > 0;
      // With calls in progress the loop only needs to know when the next parked contact is due
      // (an index lookup); the count of open contacts (a scan of the list) is needed only when idle.
      let nextAt: number | null;
      if (busy) {
        nextAt = (nextDue.get(options.listId) as { at: number | null }).at;
      } else {
        const open = openCount.get(options.listId) as { n: number; nextAt: number | null };
        if (open.n === 0) break;
        if (!paused && open.nextAt !== null && open.nextAt - clock.now() > (options.maxIdleWaitMs ?? 15 * 60_000)) break;
        nextAt = open.nextAt;
      }
      // Paused, a due contact is no reason to wake: the settings are read again after a sleep
      // (at most maxSleepMs) or a change signal (a pause or resume from this process).
      if (paused) nextAt = null;
      // Wait until the next contact is due, something changes (a call ended, a slot freed), or a stop.
      // With too few slots free to refill, a due contact cannot be taken before a task ends (a
      // change): waking for it would spin the loop (at once, on a manual clock, starving I/O).
      const full = capacity - (queue.size + queue.pending) < refillBatch;
      const wake = new AbortController();
      const maxSleepMs = options.maxSleepMs ?? 60_000;
      const untilDue = nextAt === null || full ? maxSleepMs : Math.max(0, nextAt - clock.now());
      await Promise.race([
        clock.sleep(Math.min(untilDue, maxSleepMs), wake.signal).catch(() => undefined),
        deps.signals.whenChanged(wake.signal),
        stopped,
      ]);
      wake.abort(CANCELLED);
    }
  } finally {
    options.signal?.removeEventListener('abort', onStop);
    // Queued (not yet started) contacts go back to pending; live calls get time to finish.
    queue.clear();
    await waitForIdle(queue, clock, options.drainTimeoutMs ?? 5 * 60_000);
    await creator.close();
    await ownPacer?.close();
    releaseUnstarted(deps, options.listId);
  }
  if (fatal) throw fatal;

  const progress = reporter.report();
  if (stop.signal.aborted) return { kind: 'stopped', progress, reason: String(stop.signal.reason ?? 'stopped') };
  const open = openCount.get(options.listId) as { n: number; nextAt: number | null };
  if (open.n === 0) return { kind: 'completed', progress };
  return {
    kind: 'paused',
    progress,
    nextAttemptAt: open.nextAt,
    waiting: open.n,
    reason: 'the remaining contacts are not due yet (retry delay or calling hours)',
  };

  /** Runs a task in a live-call slot; a failure stops the run, and a finished task wakes the loop. */
  function track(task: () => Promise<void>): void {
    void queue
      .add(task)
      .catch((error: unknown) => {
        fatal ??= error instanceof AppError ? error : new AppError('INTERNAL', (error as Error).message, { cause: error });
        stop.abort();
      })
      // A finished task frees a live-call slot: let the loop look for more work.
      .finally(() => deps.signals.notifyChange());
  }

  /**
   * The status of a contact the loop closes without dialling now: `fallback` when it was never
   * dialled in this list, else what its last attempt made it (as when attempts run out).
   */
  function closingStatus(contact: ContactRow, fallback: ContactStatus): ContactStatus {
    if (contact.attempts === 0) return fallback;
    const last = lastOutcome.get(contact.id) as { outcome: CallOutcome | null } | undefined;
    return last?.outcome ? finalStatusAfter(last.outcome) : fallback;
  }

  /**
   * Decides about one due contact inside the page's transaction: closes it (attempts used up,
   * already responded, suppressed, capped, undiallable), parks it until it may be called, or claims
   * it (pending → dialing, conditional) and returns true.
   */
  function take(contact: ContactRow, now: number): boolean {
    if (contact.attempts >= policy.maxAttempts) {
      // The limit was lowered after this retry was planned: the attempts made are all it gets.
      close.run(closingStatus(contact, 'not_dialled'), now, contact.id);
      return false;
    }
    // A score that arrived through a late webhook of an attempt given up on (a create that
    // timed out) still means the person answered: never call them again.
    if (hasResponse.get(contact.id)) {
      close.run('responded', now, contact.id);
      return false;
    }
    const verdict = screen.screen(contact, now);
    switch (verdict.kind) {
      case 'callable':
        return claim.run(now, contact.id, contact.attempts).changes === 1;
      case 'suppressed':
        close.run('suppressed', now, contact.id);
        return false;
      case 'recent_survey':
      case 'attempt_cap':
        logger.info('contact excluded by a frequency cap', { listId: contact.listId, contactId: contact.id, cap: verdict.kind });
        close.run(closingStatus(contact, 'capped'), now, contact.id);
        return false;
      case 'no_time_zone':
      case 'no_window':
        close.run(closingStatus(contact, 'not_dialled'), now, contact.id);
        return false;
      case 'outside_window':
        // Park the contact at its next opening, so it is not rescanned until then.
        postpone.run(verdict.nextAt, now, contact.id);
        return false;
      case 'live_elsewhere':
        postpone.run(verdict.recheckAt, now, contact.id);
        return false;
      default: {
        const unreachable: never = verdict;
        throw new Error(`unknown screening ${String(unreachable)}`);
      }
    }
  }

  async function dialContact(contact: ContactRow): Promise<void> {
    const attempt = contact.attempts + 1;
    for (let transient = 0; ; ) {
      if (stop.signal.aborted) {
        prepared(deps.database, `UPDATE contacts SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(clock.now(), contact.id, contact.attempts);
        return;
      }
      const turn = await creator.reserve();
      if (!turn) {
        prepared(deps.database, `UPDATE contacts SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(clock.now(), contact.id, contact.attempts);
        return;
      }
      // The attempt row exists before the request: `started` may arrive before the 201, and after a
      // crash the row tells the reconciler that this attempt may be live at the provider.
      const ref = randomBytes(16).toString('base64url');
      const callId = sqlite.transaction(() => {
        prepared(deps.database, 'UPDATE contacts SET attempts = ? WHERE id = ? AND attempts = ?').run(attempt, contact.id, contact.attempts);
        return (
          prepared(deps.database, `INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES (?, ?, ?, ?, 'creating', ?) RETURNING id`)
            .get(contact.id, contact.listId, attempt, ref, clock.now()) as { id: number }
        ).id;
      }).immediate();
      const result = await turn.send({
        toE164: contact.phoneE164,
        fromNumber: options.fromNumber,
        answerUrl: options.urls.answer(ref),
        answerMethod: 'POST',
        eventUrl: options.urls.event(ref),
        machineDetection: 'hangup',
        ringingTimerSeconds: policy.ringingTimerSeconds,
        lengthTimerSeconds: policy.lengthTimerSeconds,
      });
      if (result === undefined) {
        // Stopped while the request waited for its slot: it was never sent.
        undoAttempt(callId, contact, attempt);
        prepared(deps.database, `UPDATE contacts SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(clock.now(), contact.id, contact.attempts);
        return;
      }
      if (result.ok) {
        stats.dialled++;
        prepared(deps.database, 
            `UPDATE calls SET provider_uuid = coalesce(provider_uuid, ?), conversation_uuid = coalesce(conversation_uuid, ?),
               state = CASE WHEN state = 'creating' THEN 'started' ELSE state END WHERE id = ?`,
          )
          .run(result.uuid, result.conversationUuid ?? null, callId);
        logger.debug('call created', { listId: contact.listId, contactId: contact.id, callId, attempt });
        await waitForEnd(callId, clock.now());
        return;
      }
      const failure = result.failure;
      if (failure.kind === 'unauthorized') {
        undoAttempt(callId, contact, attempt);
        throw new AppError('PROVIDER_ERROR', `Vonage refused our credentials (${failure.message}); check VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY`);
      }
      if (failure.kind === 'network') {
        // Ambiguous: the request may have reached the provider before the connection failed or
        // timed out, and the call may be ringing now. The attempt row stays, so that call's
        // webhooks still find it; if one reveals the call, it is followed like any other. If none
        // comes within the grace period, the attempt ends as create_failed (counted), which can
        // never put a second call on top of a live one.
        if (await revealedByWebhook(callId)) {
          stats.dialled++;
          logger.warn('create call timed out but the call exists; following it', { listId: contact.listId, contactId: contact.id, callId });
          await waitForEnd(callId, clock.now());
          return;
        }
        logger.warn('create call failed without an answer; counting the attempt', { listId: contact.listId, contactId: contact.id, callId, detail: failure.message });
        sqlite.transaction(() => finalizeCall(deps, callId, 'create_failed', clock.now(), clock.now())).immediate();
        deps.signals.notifyEnded(callId);
        return;
      }
      if (failure.retryable && ++transient < MAX_TRANSIENT_FAILURES) {
        // 429 and 5xx mean the provider did not create the call: the same contact is retried
        // without counting an attempt.
        undoAttempt(callId, contact, attempt);
        if (failure.kind === 'rate_limited') {
          stats.rateLimited++;
          deps.gauges?.rateLimited();
        }
        const backoffMs = FIRST_BACKOFF_MS * 2 ** (transient - 1);
        if (failure.kind === 'rate_limited') creator.backoff(backoffMs);
        logger.warn('create call refused; retrying the same contact', { listId: contact.listId, contactId: contact.id, kind: failure.kind, backoffMs });
        await clock.sleep(backoffMs, stop.signal).catch(() => undefined);
        continue;
      }
      // A permanent refusal (an invalid number) or repeated transient ones: the attempt counts.
      const outcome = failure.kind === 'invalid_request' || failure.kind === 'not_found' ? 'rejected' : 'create_failed';
      logger.warn('create call failed', { listId: contact.listId, contactId: contact.id, callId, outcome, detail: failure.message });
      sqlite.transaction(() => finalizeCall(deps, callId, outcome, clock.now(), clock.now())).immediate();
      deps.signals.notifyEnded(callId);
      return;
    }
  }

  /** Polls (clock time) for a webhook of this attempt, which carries the provider's uuid. */
  async function revealedByWebhook(callId: number): Promise<boolean> {
    const store = callStore(database);
    for (let waited = 0; waited <= AMBIGUOUS_GRACE_MS; waited += 1000) {
      const call = store.byId(callId);
      if (!call || call.state === 'ended') return false;
      if (call.providerUuid) return true;
      await clock.sleep(1000, stop.signal).catch(() => undefined);
    }
    return false;
  }

  function undoAttempt(callId: number, contact: ContactRow, attempt: number): void {
    sqlite.transaction(() => {
      prepared(deps.database, `DELETE FROM calls WHERE id = ? AND state = 'creating' AND provider_uuid IS NULL`).run(callId);
      prepared(deps.database, 'UPDATE contacts SET attempts = ? WHERE id = ? AND attempts = ?').run(contact.attempts, contact.id, attempt);
    }).immediate();
  }

  /**
   * Holds the live-call slot until the call ended. If no final webhook comes within the call's
   * longest possible life (ringing + length timers + grace, counted from `createdAt`), asks the
   * provider and applies what it says; a call the provider does not know any more is `lost` (the
   * attempt counts, retry applies), and so is one whose uuid we never learnt: had the provider
   * created it, its webhooks would have named it, and it would have ended by now.
   */
  async function waitForEnd(callId: number, createdAt: number): Promise<void> {
    const store = callStore(database);
    const deadline = createdAt + maxCallLifeMs(policy);
    for (let checks = 0; ; checks++) {
      const waiter = new AbortController();
      const ended = deps.signals.whenEnded(callId, waiter.signal);
      if (store.byId(callId)?.state === 'ended') {
        waiter.abort(CANCELLED);
        return;
      }
      const waitMs = checks === 0 ? Math.max(0, deadline - clock.now()) : 60_000;
      const timedOut = await Promise.race([ended.then(() => false), clock.sleep(waitMs, waiter.signal).then(() => true, () => false)]);
      waiter.abort(CANCELLED);
      if (!timedOut) continue;
      const call = store.byId(callId)!;
      if (call.state === 'ended') return;
      if (!call.providerUuid) {
        sqlite.transaction(() => finalizeCall(deps, callId, 'lost', clock.now(), clock.now())).immediate();
        deps.signals.notifyEnded(callId);
        return;
      }
      const reconciled = await reconcileCall(deps, options.telephony, callId, call.providerUuid);
      if (reconciled === 'ended') return;
    }
  }
}

async function waitForIdle(queue: PQueue, clock: Clock, timeoutMs: number): Promise<void> {
  const timeout = new AbortController();
  await Promise.race([queue.onIdle(), clock.sleep(timeoutMs, timeout.signal).catch(() => undefined)]);
  timeout.abort(CANCELLED);
}

function progressReporter(deps: CallDeps, options: CampaignOptions, stats: { dialled: number; rateLimited: number }, live: () => number) {
  const byStatus = prepared(deps.database, 'SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status');
  const scores = prepared(deps.database, 
    `SELECT count(*) AS responses, sum(${promoterSql('score')}) AS promoters, sum(${detractorSql('score')}) AS detractors FROM responses WHERE list_id = ?`,
  );
  const calls = prepared(
    deps.database,
    `SELECT count(*) AS calls,
            coalesce(sum(outcome = 'human' OR (state <> 'ended' AND (answered_at IS NOT NULL OR ivr_stage IS NOT NULL) AND answered_by IS NOT 'machine')
                         OR EXISTS (SELECT 1 FROM responses r WHERE r.call_id = calls.id)), 0) AS answered
     FROM calls WHERE list_id = ?`,
  );
  let last = 0;
  const report = (): CampaignProgress => {
    const counts: Record<string, number> = {};
    let contacts = 0;
    for (const { status, n } of byStatus.all(options.listId) as { status: ContactStatus; n: number }[]) {
      counts[status] = n;
      contacts += n;
    }
    // Responses first, calls second: a score stored in between is then counted in both.
    const s = scores.get(options.listId) as { responses: number; promoters: number | null; detractors: number | null };
    const c = calls.get(options.listId) as { calls: number; answered: number };
    const progress: CampaignProgress = {
      listId: options.listId,
      contacts,
      byStatus: counts,
      dialled: stats.dialled,
      calls: c.calls,
      liveCalls: live(),
      answered: c.answered,
      responses: s.responses,
      promoters: s.promoters ?? 0,
      detractors: s.detractors ?? 0,
      nps: s.responses > 0 ? (100 * ((s.promoters ?? 0) - (s.detractors ?? 0))) / s.responses : null,
      rateLimited: stats.rateLimited,
    };
    options.onProgress?.(progress);
    return progress;
  };
  return {
    report,
    maybeReport() {
      const now = performance.now();
      if (options.onProgress && now - last >= (options.progressEveryMs ?? 1000)) {
        last = now;
        report();
      }
    },
  };
}
