import { CANCELLED, onAbort, type Clock } from '../clock/index.js';

export interface RateLimiterOptions {
  /** Requests allowed in any rolling window. */
  limit: number;
  /** Window length in ms (Vonage counts calls per rolling second: 1000). */
  windowMs: number;
  /** Extra spacing added to every slot's window, in ms, for clock granularity. Default 0. */
  marginMs?: number;
  clock: Clock;
}

interface Waiter {
  grant: (slot: RateSlot) => void;
  fail: (reason: unknown) => void;
}

export interface RateSlot {
  /** Call when the response to the request arrived (or the request failed). */
  release(): void;
}

/**
 * Limits requests to `limit` per rolling window, as the provider counts them.
 *
 * There are `limit` slots. A request takes a free slot and holds it while in flight; the slot is
 * free again `windowMs` after the request's *response* arrived. Because the provider receives a
 * request between our send and our receipt of its response, two requests that used the same slot
 * reach the provider at least `windowMs` apart, so no rolling window at the provider can ever see
 * more than `limit` of them, whatever the network delay or jitter. (p-queue's `interval` is a fixed
 * window and lets up to 2×limit through across a boundary, and spacing sends evenly still showed
 * limit+1 at a receiver; see docs/adr/0002-pacing.md.) The price is one round trip per window:
 * `limit / (windowMs + rtt)` requests per millisecond at best, 99.7 % of the limit at a 3 ms RTT.
 *
 * Time is the clock's monotonic time, so tests drive it with a ManualClock.
 */
export class RollingWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  /** Per slot: when it becomes free (monotonic ms); Infinity while its request is in flight. */
  readonly #freeAt: number[];
  #blockedUntil = 0;
  /** Waiting acquirers, first come first served. */
  #queue: Waiter[] = [];
  /** Cancels the one pending timer that wakes the queue when the next slot frees. */
  #timer: AbortController | undefined;

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`limit must be an integer ≥ 1, got ${options.limit}`);
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
    this.#limit = options.limit;
    this.#windowMs = options.windowMs + (options.marginMs ?? 0);
    this.#clock = options.clock;
    this.#freeAt = Array.from({ length: options.limit }, () => Number.NEGATIVE_INFINITY);
  }

  /** Waits for a free slot (and the end of any backoff), then takes it. */
  acquire(signal?: AbortSignal): Promise<RateSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RateSlot>((resolve, reject) => {
      // One listener for all waiters of a signal (see onAbort): a run's hundreds share its stop.
      const off = signal
        ? onAbort(signal, () => {
            this.#queue = this.#queue.filter((e) => e !== entry);
            reject(signal.reason);
          })
        : undefined;
      const entry: Waiter = {
        grant: (slot: RateSlot) => {
          off?.();
          resolve(slot);
        },
        fail: reject,
      };
      this.#queue.push(entry);
      this.#pump();
    });
  }

  /** After a 429: no request starts for `ms` (monotonic), whatever the slots say. */
  backoff(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#clock.monotonicMs() + ms);
    this.#pump();
  }

  /** Grants free slots to waiters in order; if someone still waits, arms one timer for the next free slot. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const now = this.#clock.monotonicMs();
      let best = 0;
      for (let i = 1; i < this.#limit; i++) if (this.#freeAt[i]! < this.#freeAt[best]!) best = i;
      const readyAt = Math.max(this.#freeAt[best]!, this.#blockedUntil);
      if (readyAt > now) {
        // Every slot is in flight (a release will pump) or frees at a known time (arm the timer).
        if (Number.isFinite(readyAt)) this.#arm(readyAt - now);
        return;
      }
      this.#freeAt[best] = Number.POSITIVE_INFINITY;
      this.#queue.shift()!.grant(this.#slot(best));
    }
  }

  #slot(index: number): RateSlot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#freeAt[index] = this.#clock.monotonicMs() + this.#windowMs;
        this.#pump();
      },
    };
  }

  #arm(ms: number): void {
    this.#timer?.abort(CANCELLED);
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(ms, timer.signal).then(
      () => {
        if (this.#timer === timer) this.#timer = undefined;
        this.#pump();
      },
      () => undefined,
    );
  }
}

/**
 * The limiter for a calls-per-second setting. Fractional rates (0.5 cps) become one call per
 * 2-second window; whole rates use a one-second window like the provider's.
 */
export function limiterForCps(cps: number, clock: Clock, marginMs = 0): RollingWindowLimiter {
  if (!(cps > 0)) throw new RangeError(`cps must be > 0, got ${cps}`);
  const limit = Math.max(1, Math.floor(cps));
  return new RollingWindowLimiter({ limit, windowMs: (1000 * limit) / cps, marginMs, clock });
}
