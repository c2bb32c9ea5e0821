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

/** One stream of requests sharing a limiter with others (a list's run), under its own ceiling. */
export interface RateLane {
  /** Waits for this lane's turn, a free slot of the limiter and of the lane's ceiling, then takes both. */
  acquire(signal?: AbortSignal): Promise<RateSlot>;
  /** Leaves the limiter: requests still waiting fail; slots in flight still free when released. */
  close(): void;
}

/**
 * `limit` response-anchored slots: a slot is taken while its request is in flight and is free
 * again `windowMs` after its response arrived (see RollingWindowLimiter for why).
 */
class Slots {
  readonly #windowMs: number;
  /** Per slot: when it becomes free (monotonic ms); Infinity while its request is in flight. */
  readonly #freeAt: number[];

  constructor(limit: number, windowMs: number) {
    this.#windowMs = windowMs;
    this.#freeAt = Array.from({ length: limit }, () => Number.NEGATIVE_INFINITY);
  }

  /** When the first slot is free (monotonic ms): past or now, a known future time, or Infinity while all are in flight. */
  readyAt(): number {
    return this.#freeAt[this.#first()]!;
  }

  /** Takes the slot that freed first; call only when `readyAt()` has passed. */
  take(): number {
    const index = this.#first();
    this.#freeAt[index] = Number.POSITIVE_INFINITY;
    return index;
  }

  release(index: number, nowMs: number): void {
    this.#freeAt[index] = nowMs + this.#windowMs;
  }

  #first(): number {
    let best = 0;
    for (let i = 1; i < this.#freeAt.length; i++) if (this.#freeAt[i]! < this.#freeAt[best]!) best = i;
    return best;
  }
}

/** The slots of a calls-per-second rate: fractional rates (0.5) are one call per longer window (2 s). */
function slotsForCps(cps: number, marginMs: number): Slots {
  if (!(cps > 0)) throw new RangeError(`cps must be > 0, got ${cps}`);
  const limit = Math.max(1, Math.floor(cps));
  return new Slots(limit, (1000 * limit) / cps + marginMs);
}

/** What a lane tells its limiter: a request came (look for a free slot), or it left. */
interface LaneHooks {
  pump(): void;
  closed(lane: Lane): void;
}

class Lane implements RateLane {
  readonly #hooks: LaneHooks;
  /** The lane's own ceiling, or null when only the limiter's slots count. */
  readonly ceiling: Slots | null;
  queue: Waiter[] = [];
  #closed = false;

  constructor(ceiling: Slots | null, hooks: LaneHooks) {
    this.ceiling = ceiling;
    this.#hooks = hooks;
  }

  readyAt(): number {
    return this.ceiling ? this.ceiling.readyAt() : Number.NEGATIVE_INFINITY;
  }

  acquire(signal?: AbortSignal): Promise<RateSlot> {
    if (this.#closed) return Promise.reject(new Error('the rate lane is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RateSlot>((resolve, reject) => {
      // One listener for all waiters of a signal (see onAbort): a run's hundreds share its stop.
      const off = signal
        ? onAbort(signal, () => {
            this.queue = this.queue.filter((e) => e !== entry);
            reject(signal.reason);
          })
        : undefined;
      const entry: Waiter = {
        grant: (slot: RateSlot) => {
          off?.();
          resolve(slot);
        },
        fail: (reason) => {
          off?.();
          reject(reason);
        },
      };
      this.queue.push(entry);
      this.#hooks.pump();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiting = this.queue;
    this.queue = [];
    for (const waiter of waiting) waiter.fail(new Error('the rate lane is closed'));
    this.#hooks.closed(this);
  }
}

/**
 * Limits requests to `limit` per rolling window, as the provider counts them, and shares that
 * pace fairly among lanes.
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
 * Lanes (`lane(cps)`, one per list being dialled) take turns: when a slot is free, the next lane
 * in round-robin order that has a request waiting *and* a free slot of its own ceiling gets it
 * (its own rolling window at its cps, kept the same way). A lane that cannot use its turn is
 * skipped, so the shares are max-min fair: every waiting lane gets an equal part of the pace, a
 * lane whose ceiling is lower than that part gets its ceiling, and the rest goes to the others.
 * Every request holds a slot of the limiter, so the bound above holds for all lanes together.
 * `acquire()` is a lane without a ceiling of its own.
 *
 * Time is the clock's monotonic time, so tests drive it with a ManualClock.
 */
export class RollingWindowLimiter {
  readonly #clock: Clock;
  readonly #slots: Slots;
  readonly #marginMs: number;
  #blockedUntil = 0;
  /** Lanes in round-robin order; `#next` is the index of the one whose turn comes first. */
  #lanes: Lane[] = [];
  #next = 0;
  #defaultLane: Lane | undefined;
  readonly #hooks: LaneHooks = { pump: () => this.#pump(), closed: (lane) => this.#remove(lane) };
  /** Cancels the one pending timer that wakes the queue when the next slot frees. */
  #timer: AbortController | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`limit must be an integer ≥ 1, got ${options.limit}`);
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
    this.#clock = options.clock;
    this.#marginMs = options.marginMs ?? 0;
    this.#slots = new Slots(options.limit, options.windowMs + this.#marginMs);
  }

  /** Waits for a free slot (and the end of any backoff), then takes it; one lane without a ceiling. */
  acquire(signal?: AbortSignal): Promise<RateSlot> {
    this.#defaultLane ??= this.#open(null);
    return this.#defaultLane.acquire(signal);
  }

  /** A lane that takes turns with the others, never more than `cps` requests per rolling second. */
  lane(cps: number): RateLane {
    return this.#open(slotsForCps(cps, this.#marginMs));
  }

  /** After a 429: no request starts for `ms` (monotonic), whatever the slots say. */
  backoff(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#clock.monotonicMs() + ms);
    this.#pump();
  }

  #open(ceiling: Slots | null): Lane {
    const lane = new Lane(ceiling, this.#hooks);
    // A new lane's first turn comes after every lane already waiting has had one.
    this.#lanes.splice(this.#next, 0, lane);
    this.#next = (this.#next + 1) % this.#lanes.length;
    return lane;
  }

  /** A closed lane leaves the rotation. */
  #remove(lane: Lane): void {
    const index = this.#lanes.indexOf(lane);
    if (index < 0) return;
    this.#lanes.splice(index, 1);
    if (index < this.#next) this.#next--;
    if (this.#next >= this.#lanes.length) this.#next = 0;
    if (lane === this.#defaultLane) this.#defaultLane = undefined;
    this.#pump();
  }

  /**
   * Grants free slots to waiting lanes in turn; if someone still waits, arms one timer
   * for the moment the next grant can happen (a release pumps too).
   */
  #pump(): void {
    for (;;) {
      const now = this.#clock.monotonicMs();
      const readyAt = Math.max(this.#slots.readyAt(), this.#blockedUntil);
      let laneReadyAt = Number.POSITIVE_INFINITY;
      let chosen = -1;
      for (let k = 0; k < this.#lanes.length; k++) {
        const index = (this.#next + k) % this.#lanes.length;
        const lane = this.#lanes[index]!;
        if (lane.queue.length === 0) continue;
        const at = lane.readyAt();
        if (at <= now) {
          chosen = index;
          break;
        }
        laneReadyAt = Math.min(laneReadyAt, at);
      }
      if (chosen < 0 && laneReadyAt === Number.POSITIVE_INFINITY) return; // nobody waits, or every waiter's ceiling is in flight
      // Whatever frees later, the limiter's slot or the earliest waiting lane's, is when to look again.
      const wakeAt = Math.max(readyAt, chosen >= 0 ? now : laneReadyAt);
      if (wakeAt > now) {
        if (Number.isFinite(wakeAt)) this.#arm(wakeAt);
        return;
      }
      const lane = this.#lanes[chosen]!;
      this.#next = (chosen + 1) % this.#lanes.length;
      const slot = this.#slots.take();
      const own = lane.ceiling?.take();
      lane.queue.shift()!.grant(this.#slot(slot, lane.ceiling, own));
    }
  }

  #slot(index: number, ceiling: Slots | null, own: number | undefined): RateSlot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const now = this.#clock.monotonicMs();
        this.#slots.release(index, now);
        if (ceiling && own !== undefined) ceiling.release(own, now);
        this.#pump();
      },
    };
  }

  /** Wakes the queue at `atMs` (monotonic); one timer at a time, for the earliest moment asked. */
  #arm(atMs: number): void {
    if (this.#timer && this.#timerAt <= atMs) return;
    this.#timer?.abort(CANCELLED);
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = atMs;
    this.#clock.sleep(atMs - this.#clock.monotonicMs(), timer.signal).then(
      () => {
        if (this.#timer === timer) {
          this.#timer = undefined;
          this.#timerAt = Number.POSITIVE_INFINITY;
        }
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
