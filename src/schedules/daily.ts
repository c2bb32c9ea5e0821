import { CANCELLED, type Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import { latestOccurrence, nextOccurrence, type ScheduleTiming } from './window.js';

export interface CronJobOptions {
  /** For the logs. */
  name: string;
  cron: string;
  timezone: string;
  clock: Clock;
  logger: Logger;
  /** Runs once per occurrence; must itself be idempotent per occurrence (it may run again after a restart). */
  run: (occurrenceAt: number) => void | Promise<void>;
  /**
   * At start, the latest occurrence is run when it is at most this long ago (clock ms; default
   * 12 h): a daemon restarted after the morning run catches up, one down for days does not send
   * stale mornings.
   */
  catchUpMs?: number;
  /** The longest single sleep, clock ms (default 60 s), so a clock that jumps is noticed soon. */
  maxSleepMs?: number;
}

/**
 * A job at the occurrences of a croner pattern (the daily interim reports of `serve`). Croner is
 * only asked for occurrences and the loop sleeps on the injected clock, like the ScheduleRunner, so
 * a test fires the job by moving a ManualClock.
 */
export class CronJob {
  readonly #o: Required<CronJobOptions>;
  readonly #timing: ScheduleTiming;
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #last: number | null = null;
  #running: Promise<void> = Promise.resolve();

  constructor(options: CronJobOptions) {
    this.#o = { catchUpMs: 12 * 3_600_000, maxSleepMs: 60_000, ...options };
    this.#timing = { cron: options.cron, timezone: options.timezone, untilMinute: null, durationMs: null };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** The next occurrence after now, or null when the pattern has no more. */
  get nextRunAt(): number | null {
    return nextOccurrence(this.#timing, this.#o.clock.now());
  }

  /** Resolves when the job run in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopping.abort(CANCELLED);
    await this.#loop;
    await this.#running;
  }

  async #run(): Promise<void> {
    const { clock } = this.#o;
    const latest = latestOccurrence(this.#timing, clock.now());
    if (latest !== null && clock.now() - latest <= this.#o.catchUpMs) await this.#fire(latest);
    else this.#last = latest;
    while (!this.#stopping.signal.aborted) {
      const now = clock.now();
      const due = latestOccurrence(this.#timing, now);
      if (due !== null && due !== this.#last) {
        await this.#fire(due);
        continue;
      }
      const next = nextOccurrence(this.#timing, now);
      const sleepMs = next === null ? this.#o.maxSleepMs : Math.min(this.#o.maxSleepMs, Math.max(0, next - now));
      await clock.sleep(sleepMs, this.#stopping.signal).catch(() => undefined);
    }
  }

  async #fire(occurrenceAt: number): Promise<void> {
    this.#last = occurrenceAt;
    const { logger, name } = this.#o;
    const run = (async () => {
      try {
        logger.info('scheduled job started', { job: name, occurrence: new Date(occurrenceAt).toISOString() });
        await this.#o.run(occurrenceAt);
      } catch (error) {
        logger.error('scheduled job failed', { job: name, occurrence: new Date(occurrenceAt).toISOString(), error: (error as Error).message });
      }
    })();
    this.#running = run;
    await run;
  }
}
