import { CANCELLED, type Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';

export interface TickLoopOptions {
  clock: Clock;
  logger: Logger;
  /** Names the loop in the log line of a failed tick. */
  name: string;
  /** The longest sleep between ticks, clock ms: work written by another process is seen within it. */
  pollIntervalMs: number;
  /** Does what is due now; returns when something is next due (clock ms), or null. */
  tick: () => number | null | Promise<number | null>;
}

/**
 * The poll loop shared by the runners of `serve`: tick, then sleep on the injected clock until the
 * next due time or the next poll, whichever is first. `poke` cuts the sleep short; a tick that
 * throws is logged and the loop goes on.
 */
export class TickLoop {
  readonly #o: TickLoopOptions;
  readonly #stopping = new AbortController();
  #wake = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: TickLoopOptions) {
    this.#o = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  get stopping(): boolean {
    return this.#stopping.signal.aborted;
  }

  /** Tick now instead of at the end of the sleep. */
  poke(): void {
    this.#wake.abort(CANCELLED);
  }

  /** No further ticks; the promise of the loop's end is `finished()`. */
  halt(): void {
    this.#stopping.abort(CANCELLED);
    this.#wake.abort(CANCELLED);
  }

  finished(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    const { clock, logger, pollIntervalMs, tick, name } = this.#o;
    while (!this.#stopping.signal.aborted) {
      let next: number | null = null;
      try {
        next = await tick();
      } catch (error) {
        logger.error(`${name} tick failed`, { error: (error as Error).message });
      }
      this.#wake = new AbortController();
      const sleepMs = next === null ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(0, next - clock.now()));
      await clock.sleep(sleepMs, this.#wake.signal).catch(() => undefined);
    }
  }
}
