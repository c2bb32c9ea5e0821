/**
 * A rolling-window counter in real milliseconds: at most `limit` accepted events in any window of
 * `windowMs`. Vonage's CPS limit is rolling, not per calendar second, so two bursts of 3 at
 * 0.9 s and 1.1 s collide here as they would there. Rejected events are not counted: a 429 does
 * not use up capacity.
 */
export class RollingWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  #accepted: number[] = [];

  constructor(limit: number, windowMs = 1000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  tryAcquire(nowMs: number): boolean {
    this.#evict(nowMs);
    if (this.#accepted.length >= this.#limit) return false;
    this.#accepted.push(nowMs);
    return true;
  }

  #evict(nowMs: number): void {
    // A request exactly windowMs after another is in a new window.
    let drop = 0;
    while (drop < this.#accepted.length && this.#accepted[drop]! <= nowMs - this.#windowMs) drop++;
    if (drop > 0) this.#accepted = this.#accepted.slice(drop);
  }
}

/**
 * Measures the most events seen in any rolling window. The maximum over all windows is reached by
 * a window that ends at an event, so checking at each arrival is exact.
 */
export class RollingWindowMeter {
  readonly #windowMs: number;
  #events: number[] = [];
  #max = 0;

  constructor(windowMs = 1000) {
    this.#windowMs = windowMs;
  }

  record(nowMs: number): void {
    this.#events.push(nowMs);
    let drop = 0;
    while (drop < this.#events.length && this.#events[drop]! <= nowMs - this.#windowMs) drop++;
    if (drop > 0) this.#events = this.#events.slice(drop);
    this.#max = Math.max(this.#max, this.#events.length);
  }

  get max(): number {
    return this.#max;
  }
}
