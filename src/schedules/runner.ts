import { CANCELLED, type Clock } from '../clock/index.js';
import type { CampaignResult } from '../dialer/index.js';
import type { Logger } from '../logging/index.js';
import { TickLoop } from './tick-loop.js';
import type { ScheduleRow, ScheduleStore } from './store.js';
import { latestOccurrence, nextOccurrence, windowEndsAt } from './window.js';

/**
 * Runs one list's campaign until the signal fires; `maxIdleWaitMs` is what is left of the window;
 * `maxSleepMs` bounds the dialer loop's sleep (triggered lists get contacts from other processes).
 */
export type RunListFn = (listId: number, options: { signal: AbortSignal; maxIdleWaitMs: number; maxSleepMs?: number }) => Promise<CampaignResult>;

export interface ScheduleRunnerOptions {
  schedules: ScheduleStore;
  clock: Clock;
  logger: Logger;
  runList: RunListFn;
  /**
   * How often the schedules are read again, in clock ms: `schedule add` in another process is
   * picked up within this time. A window still open when it is noticed starts at once.
   */
  pollIntervalMs?: number;
}

export const DEFAULT_SCHEDULE_POLL_MS = 30_000;

/** Why a list's run was stopped by the runner; anything else stopped it from outside. */
const WINDOW_CLOSED = 'the schedule window closed';
const SHUTDOWN = 'the daemon is stopping';

/**
 * The scheduler of `serve`. Each tick reads the active schedules; for each, the latest occurrence
 * whose window is still open starts (or extends) its list's run, once per occurrence. One run per
 * list at a time: a second schedule of the same list only moves the window's end. At the window's
 * end the run's signal fires: no new calls, live calls finish (runCampaign drains them). A run that
 * completes the list marks its schedules done; a paused one waits for the next occurrence.
 *
 * Time comes from the injected clock and croner is only asked for occurrences, so a test with a
 * ManualClock fires schedules by moving the clock. After a restart (even kill -9), the first tick
 * resumes every window that is still open: the run reconciles what the dead process left.
 */
export class ScheduleRunner {
  readonly #o: Required<ScheduleRunnerOptions>;
  readonly #workers = new Map<number, ListWorker>();
  /** The occurrence each schedule last fired for, so it starts once per occurrence. */
  readonly #fired = new Map<number, number>();
  readonly #loop: TickLoop;

  constructor(options: ScheduleRunnerOptions) {
    this.#o = { pollIntervalMs: DEFAULT_SCHEDULE_POLL_MS, ...options };
    const { clock, logger, pollIntervalMs } = this.#o;
    this.#loop = new TickLoop({ clock, logger, pollIntervalMs, name: 'schedule', tick: () => this.tick() });
  }

  start(): void {
    this.#loop.start();
  }

  /** Lists with a run in progress. */
  get runningLists(): number[] {
    return [...this.#workers.keys()];
  }

  /** Resolves when no list is running (tests wait on it after moving the clock). */
  async idle(): Promise<void> {
    while (this.#workers.size > 0) await Promise.all([...this.#workers.values()].map((w) => w.done));
  }

  /** Re-reads the schedules now instead of at the next poll. */
  poke(): void {
    this.#loop.poke();
  }

  /** Stops firing, stops every run (live calls finish inside runCampaign) and waits for them. */
  async stop(): Promise<void> {
    this.#loop.halt();
    for (const worker of this.#workers.values()) worker.stop(SHUTDOWN);
    await this.idle();
    await this.#loop.finished();
  }

  /**
   * Fires what is due now and returns when the next occurrence of any active schedule is, so the
   * loop can sleep until then (or the next poll, whichever is first).
   */
  async tick(): Promise<number | null> {
    const active = await this.#o.schedules.active();
    const now = this.#o.clock.now();
    let next: number | null = null;
    for (const schedule of active) {
      const occurrence = latestOccurrence(schedule, now);
      if (occurrence !== null && this.#fired.get(schedule.id) !== occurrence) {
        this.#fired.set(schedule.id, occurrence);
        const endsAt = windowEndsAt(schedule, occurrence);
        if (endsAt > now) this.#fire(schedule, endsAt);
      }
      const upcoming = nextOccurrence(schedule, now);
      if (upcoming !== null && (next === null || upcoming < next)) next = upcoming;
    }
    return next;
  }


  #fire(schedule: ScheduleRow, endsAt: number): void {
    const existing = this.#workers.get(schedule.listId);
    if (existing) {
      existing.extend(endsAt, schedule.id);
      return;
    }
    const worker = new ListWorker(this.#o, schedule.listId, endsAt, schedule.id);
    this.#workers.set(schedule.listId, worker);
    this.#o.logger.info('schedule fired', { scheduleId: schedule.id, listId: schedule.listId, windowEndsAt: new Date(endsAt).toISOString() });
    void worker.done.finally(() => this.#workers.delete(schedule.listId));
  }
}

/** One list's runs while its window is open (extended when another occurrence fires meanwhile). */
class ListWorker {
  readonly #o: Required<ScheduleRunnerOptions>;
  readonly #listId: number;
  readonly #scheduleIds = new Set<number>();
  #endsAt: number;
  #run: AbortController | undefined;
  #timer = new AbortController();
  #stoppedFor: string | undefined;
  readonly done: Promise<void>;

  constructor(options: Required<ScheduleRunnerOptions>, listId: number, endsAt: number, scheduleId: number) {
    this.#o = options;
    this.#listId = listId;
    this.#endsAt = endsAt;
    this.#scheduleIds.add(scheduleId);
    this.done = this.#loop();
  }

  extend(endsAt: number, scheduleId: number): void {
    this.#scheduleIds.add(scheduleId);
    if (endsAt <= this.#endsAt) return;
    this.#endsAt = endsAt;
    // A run still dialing keeps going under the new end; one already told to stop (draining) is
    // followed by another run, because the loop sees the window open again.
    if (this.#run && !this.#run.signal.aborted) this.#armTimer();
  }

  stop(reason: string): void {
    this.#stoppedFor = reason;
    this.#timer.abort(CANCELLED);
    this.#run?.abort(reason);
  }

  #armTimer(): void {
    const { clock } = this.#o;
    this.#timer.abort(CANCELLED);
    const timer = new AbortController();
    this.#timer = timer;
    const run = this.#run!;
    clock.sleep(Math.max(0, this.#endsAt - clock.now()), timer.signal).then(
      () => run.abort(WINDOW_CLOSED),
      () => undefined,
    );
  }

  async #loop(): Promise<void> {
    const { schedules: store, clock, logger } = this.#o;
    const listId = this.#listId;
    while (this.#stoppedFor === undefined && this.#endsAt > clock.now()) {
      this.#run = new AbortController();
      this.#armTimer();
      const ids = [...this.#scheduleIds];
      await store.recordRunStarted(ids, clock.now());
      let summary: string;
      let again = false;
      try {
        const result = await this.#o.runList(listId, { signal: this.#run.signal, maxIdleWaitMs: Math.max(0, this.#endsAt - clock.now()) });
        switch (result.kind) {
          case 'completed':
            summary = 'completed: every contact is final';
            await store.markListDone(listId);
            break;
          case 'paused':
            summary = `paused: ${result.waiting} contact(s) wait; the next is due ${result.nextAttemptAt === null ? 'later' : `at ${new Date(result.nextAttemptAt).toISOString()}`}, after this window`;
            break;
          case 'stopped':
            summary = `stopped: ${result.reason}`;
            again = result.reason === WINDOW_CLOSED;
            break;
        }
        logger.info('scheduled run ended', { listId, result: result.kind });
      } catch (error) {
        summary = `error: ${(error as Error).message}`;
        logger.error('scheduled run failed; the next occurrence will try again', { listId, error: (error as Error).message });
      } finally {
        this.#timer.abort(CANCELLED);
      }
      await store.recordRunEnded(ids, clock.now(), summary);
      // Only a run that the window closed may continue, and only if the window was extended while
      // it drained; completion, a pause, an error or a shutdown end this occurrence.
      if (!again) return;
    }
  }
}
