import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { RunListFn } from './runner.js';
import type { ScheduleStore } from './store.js';
import { TickLoop } from './tick-loop.js';

export interface TriggeredListsRunnerOptions {
  schedules: ScheduleStore;
  clock: Clock;
  logger: Logger;
  runList: RunListFn;
  /**
   * How often, in clock ms, lists that accept triggers are looked at for due contacts (default
   * 5,000). A trigger made through this process's API wakes the runner at once (`poke`); one made
   * by `surveys trigger` in another shell is seen within this time.
   */
  pollIntervalMs?: number;
  /** How long a run keeps waiting for contacts due later (retries) before it ends, in clock ms (default 10 min). */
  maxIdleWaitMs?: number;
  /** Lists another runner is dialling now (a schedule's run); they are left alone. */
  isBusy?: (listId: number) => boolean;
}

/** After a run failed, the list is not started again for this long (clock ms). */
const RETRY_AFTER_ERROR_MS = 60_000;

/**
 * The continuous dialer of `serve` for lists that accept triggered surveys: whenever such a list
 * has a due contact and no run, it starts one (the dialer loop with its pacing, live-call slots
 * and screening). The run ends when nothing is due within `maxIdleWaitMs`, and starts again at the
 * next due contact or trigger. One run per list; the dialer lock makes it one dialer per database.
 * Driven by the injected clock, like the ScheduleRunner.
 */
export class TriggeredListsRunner {
  readonly #o: Required<TriggeredListsRunnerOptions>;
  readonly #runs = new Map<number, { stop: AbortController; done: Promise<void> }>();
  readonly #errorUntil = new Map<number, number>();
  readonly #loop: TickLoop;

  constructor(options: TriggeredListsRunnerOptions) {
    this.#o = { pollIntervalMs: 5_000, maxIdleWaitMs: 10 * 60_000, isBusy: () => false, ...options };
    const { clock, logger, pollIntervalMs } = this.#o;
    this.#loop = new TickLoop({ clock, logger, pollIntervalMs, name: 'triggered lists', tick: () => this.tick() });
  }

  start(): void {
    this.#loop.start();
  }

  /** Look for due contacts now (a survey was just triggered). */
  poke(): void {
    this.#loop.poke();
  }

  get runningLists(): number[] {
    return [...this.#runs.keys()];
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.#runs.size > 0) await Promise.all([...this.#runs.values()].map((r) => r.done));
  }

  /** No new runs; running ones stop starting calls (live calls finish) and are waited for. */
  async stop(): Promise<void> {
    this.#loop.halt();
    for (const run of this.#runs.values()) run.stop.abort('the daemon is stopping');
    await this.idle();
    await this.#loop.finished();
  }

  /** Starts a run for every triggered list with a due contact; returns when the next contact is due. */
  async tick(): Promise<number | null> {
    const lists = await this.#o.schedules.triggeredLists();
    const now = this.#o.clock.now();
    let next: number | null = null;
    for (const { id, nextAt } of lists) {
      if (nextAt === null || this.#runs.has(id)) continue;
      const holdUntil = Math.max(nextAt, this.#errorUntil.get(id) ?? 0);
      if (holdUntil > now) {
        next = next === null ? holdUntil : Math.min(next, holdUntil);
        continue;
      }
      if (this.#o.isBusy(id)) continue;
      this.#startRun(id);
    }
    return next;
  }

  #startRun(listId: number): void {
    const { logger, clock } = this.#o;
    const stop = new AbortController();
    const run = { stop, done: Promise.resolve() };
    // Registered before the run starts, so that its end (even a synchronous failure) removes it.
    this.#runs.set(listId, run);
    run.done = (async () => {
      try {
        const result = await this.#o.runList(listId, { signal: stop.signal, maxIdleWaitMs: this.#o.maxIdleWaitMs, maxSleepMs: this.#o.pollIntervalMs });
        logger.debug('triggered list run ended', { listId, result: result.kind });
      } catch (error) {
        this.#errorUntil.set(listId, clock.now() + RETRY_AFTER_ERROR_MS);
        logger.error('triggered list run failed; trying again in a minute', { listId, error: (error as Error).message });
      } finally {
        this.#runs.delete(listId);
        // A trigger that came while the run was ending is picked up at once.
        if (!this.#loop.stopping) this.poke();
      }
    })();
    logger.info('dialing triggered surveys', { listId });
  }
}
