import { setMaxListeners } from 'node:events';
/**
 * Every module takes time from a Clock so that tests can drive it. `now()` is wall time in epoch
 * milliseconds (calling hours, retry times, timestamps); `monotonicMs()` is for measuring spans and
 * pacing, where a wall-clock jump must not matter.
 */
export interface Clock {
  now(): number;
  monotonicMs(): number;
  /** Resolves after `ms` of this clock's time; rejects with an AbortError when the signal fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A timer that rejects with the signal's own reason when aborted. Node's promise timers build a new
 * AbortError (with a stack trace) for every cancelled wait, and the dialer cancels thousands.
 */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: realSleep,
};

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/** A clock that moves only when a test calls `advance` or `set`. */
export class ManualClock implements Clock {
  #now: number;
  #monotonic = 0;
  #sleepers: Sleeper[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 5, 10, 0, 0)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  monotonicMs(): number {
    return this.#monotonic;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? abortError());
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { wakeAt: this.#monotonic + Math.max(0, ms), resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          reject(signal.reason ?? abortError());
        },
        { once: true },
      );
      if (ms <= 0) this.#wake();
    });
  }

  /** Moves time forward and wakes every sleeper whose time has come, in order. */
  advance(ms: number): void {
    this.#now += ms;
    this.#monotonic += ms;
    this.#wake();
  }

  set(epochMs: number | Date): void {
    const target = typeof epochMs === 'number' ? epochMs : epochMs.getTime();
    this.advance(target - this.#now);
  }

  get pendingSleepers(): number {
    return this.#sleepers.length;
  }

  #wake(): void {
    const due = this.#sleepers.filter((s) => s.wakeAt <= this.#monotonic).sort((a, b) => a.wakeAt - b.wakeAt);
    this.#sleepers = this.#sleepers.filter((s) => s.wakeAt > this.#monotonic);
    for (const s of due) s.resolve();
  }
}

/**
 * Wall time that runs `factor` times faster than real time from `start`, for demo runs and
 * end-to-end tests where a four-hour retry delay should pass in seconds. Monotonic time stays real:
 * the provider's calls-per-second limit is counted in real seconds.
 */
export class ScaledClock implements Clock {
  readonly #startWall: number;
  readonly #startReal: number;
  readonly #factor: number;

  constructor(options: { start: number; factor: number }) {
    if (!(options.factor > 0)) throw new RangeError(`factor must be > 0, got ${options.factor}`);
    this.#startWall = options.start;
    this.#startReal = performance.now();
    this.#factor = options.factor;
  }

  now(): number {
    return Math.floor(this.#startWall + (performance.now() - this.#startReal) * this.#factor);
  }

  monotonicMs(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return realSleep(ms / this.#factor, signal);
  }
}

function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * The reason to abort internal waits with. `controller.abort()` without a reason makes Node build
 * a DOMException with a stack trace; with a sleep cancelled per loop turn and per webhook that was
 * ~10 % of the dialer's CPU (docs/performance.md).
 */
export const CANCELLED: Readonly<{ name: 'Cancelled' }> = Object.freeze({ name: 'Cancelled' });

const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` when `signal` aborts (at once if it has); returns the function that unregisters
 * it. All callbacks of a signal share one listener: EventTarget checks every listener for a
 * duplicate on each add, so hundreds of waiters with a listener each on one run's stop signal cost
 * quadratic time (docs/performance.md).
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => undefined;
  }
  let callbacks = abortCallbacks.get(signal);
  if (!callbacks) {
    const all = new Set<() => void>();
    callbacks = all;
    abortCallbacks.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        for (const each of [...all]) each();
        all.clear();
      },
      { once: true },
    );
  }
  const registered = callbacks;
  registered.add(callback);
  return () => registered.delete(callback);
}

/**
 * Background jobs keyed by what they work on (a response's download, say): one job per key at a
 * time, a count of those in flight, a bounded wait for all of them on the clock, and a stop signal
 * that `close` raises before waiting for them to let go.
 */
export class KeyedJobs<K> {
  readonly #clock: Clock;
  readonly #inFlight = new Map<K, Promise<void>>();
  readonly #closed = new AbortController();

  constructor(clock: Clock) {
    this.#clock = clock;
    // Every job in flight listens on this one signal (its download, its retry's sleep): hundreds at
    // 200 calls/s is the design, not a leak, so Node's warning past ten listeners is switched off.
    setMaxListeners(0, this.#closed.signal);
  }

  /** Raised by `close`: jobs stop retrying and waiting. */
  get signal(): AbortSignal {
    return this.#closed.signal;
  }

  get size(): number {
    return this.#inFlight.size;
  }

  /** Starts `job` for `key` unless one runs for it already (or the set is closed). */
  run(key: K, job: () => Promise<void>): void {
    if (this.#inFlight.has(key) || this.#closed.signal.aborted) return;
    const running = job().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, running);
  }

  /** Waits for the jobs in flight (and those they start), at most `timeoutMs` of clock time. */
  async drain(timeoutMs: number): Promise<boolean> {
    const timeout = new AbortController();
    const timer = this.#clock.sleep(timeoutMs, timeout.signal).then(
      () => false,
      () => false,
    );
    for (;;) {
      if (this.#inFlight.size === 0) {
        timeout.abort(CANCELLED);
        return true;
      }
      const next = await Promise.race([Promise.all([...this.#inFlight.values()]).then(() => true), timer]);
      if (!next) return this.#inFlight.size === 0;
    }
  }

  /** Stops the jobs and waits until none touches anything any more. */
  async close(): Promise<void> {
    this.#closed.abort();
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}
