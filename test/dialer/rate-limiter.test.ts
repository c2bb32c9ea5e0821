import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ManualClock } from '../../src/clock/index.js';
import { limiterForCps, RollingWindowLimiter } from '../../src/dialer/index.js';

/** The most starts found in any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Lets every pending promise callback run (the limiter wakes through promise chains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * Runs `requests` through the limiter with a manual clock. Each request reaches the "provider" at
 * a random point between its start and its response (the network delay), and `arrivals` records
 * that moment, as a provider counting a rolling window would.
 */
async function simulate(limit: number, requests: { rttMs: number; arrivalFraction: number; gapMs: number }[]) {
  const clock = new ManualClock();
  const limiter = new RollingWindowLimiter({ limit, windowMs: 1000, clock });
  const arrivals: number[] = [];
  const starts: number[] = [];
  let done = 0;
  const run = async (r: (typeof requests)[number]) => {
    const slot = await limiter.acquire();
    const start = clock.monotonicMs();
    starts.push(start);
    arrivals.push(start + r.rttMs * r.arrivalFraction);
    await clock.sleep(r.rttMs);
    slot.release();
    done++;
  };
  for (const r of requests) {
    void run(r);
    await settle();
    clock.advance(r.gapMs);
    await settle();
  }
  for (let guard = 0; done < requests.length && guard < 100_000; guard++) {
    clock.advance(1);
    await settle();
  }
  expect(done).toBe(requests.length);
  return { arrivals, starts, elapsed: clock.monotonicMs() };
}

describe('rolling-window rate limiter', () => {
  it('never lets more than N requests reach the provider in any rolling second, whatever the delays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ rttMs: fc.integer({ min: 0, max: 400 }), arrivalFraction: fc.double({ min: 0, max: 1, noNaN: true }), gapMs: fc.integer({ min: 0, max: 300 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        async (limit, requests) => {
          const { arrivals } = await simulate(limit, requests);
          expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is not the fixed window that lets 2N through across a boundary', async () => {
    // 3 requests at the end of one second and 3 more at the start of the next would pass a fixed
    // one-second window; a rolling window must hold the second three back for a whole second.
    const { starts } = await simulate(3, [
      { rttMs: 10, arrivalFraction: 1, gapMs: 0 },
      { rttMs: 10, arrivalFraction: 1, gapMs: 0 },
      { rttMs: 10, arrivalFraction: 1, gapMs: 5 },
      { rttMs: 10, arrivalFraction: 1, gapMs: 0 },
      { rttMs: 10, arrivalFraction: 1, gapMs: 0 },
      { rttMs: 10, arrivalFraction: 1, gapMs: 0 },
    ]);
    expect(starts.slice(3).every((t) => t >= 1010)).toBe(true);
  });

  it('reaches the configured rate when requests are quick', async () => {
    const requests = Array.from({ length: 90 }, () => ({ rttMs: 2, arrivalFraction: 0.5, gapMs: 0 }));
    const { starts } = await simulate(3, requests);
    // 90 requests at 3 per (1000 + 2) ms: the last starts 29 windows after the first.
    expect(starts[89]! - starts[0]!).toBeLessThanOrEqual(29 * 1002);
    expect(maxInWindow(starts, 1000)).toBe(3);
  });

  it('holds every request back during a backoff after a 429', async () => {
    const clock = new ManualClock();
    const limiter = new RollingWindowLimiter({ limit: 5, windowMs: 1000, clock });
    limiter.backoff(2000);
    let acquiredAt: number | undefined;
    void limiter.acquire().then((slot) => {
      acquiredAt = clock.monotonicMs();
      slot.release();
    });
    await settle();
    clock.advance(1999);
    await settle();
    expect(acquiredAt).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(acquiredAt).toBe(2000);
  });

  it('spreads fractional rates over a longer window', async () => {
    const clock = new ManualClock();
    const limiter = limiterForCps(0.5, clock);
    const first = await limiter.acquire();
    first.release();
    let second = false;
    void limiter.acquire().then(() => (second = true));
    clock.advance(1999);
    await settle();
    expect(second).toBe(false);
    clock.advance(1);
    await settle();
    expect(second).toBe(true);
  });

  it('fails every waiter of an aborted signal at once, with one listener for them all, and keeps the others queued', async () => {
    const clock = new ManualClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000, clock });
    const held = await limiter.acquire();
    const stop = new AbortController();
    const other = new AbortController();
    let listeners = 0;
    const add = stop.signal.addEventListener.bind(stop.signal);
    stop.signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => {
      listeners++;
      add(...args);
    }) as AbortSignal['addEventListener'];
    const outcomes: string[] = [];
    const waiters = Array.from({ length: 50 }, (_, i) =>
      limiter.acquire(stop.signal).then(
        () => outcomes.push(`granted ${i}`),
        (reason: unknown) => outcomes.push(`failed ${i}: ${String(reason)}`),
      ),
    );
    let survivor = false;
    void limiter.acquire(other.signal).then(() => (survivor = true));
    expect(listeners).toBe(1);

    stop.abort('run stopped');
    await Promise.all(waiters);
    expect(outcomes).toEqual(Array.from({ length: 50 }, (_, i) => `failed ${i}: run stopped`));
    // The aborted waiters left the queue: the next free slot goes to the other signal's waiter.
    held.release();
    clock.advance(1000);
    await settle();
    expect(survivor).toBe(true);
    await expect(limiter.acquire(stop.signal)).rejects.toBe('run stopped');
  });

  it('rejects a nonsensical configuration with a message naming the option', () => {
    const clock = new ManualClock();
    expect(() => new RollingWindowLimiter({ limit: 0, windowMs: 1000, clock })).toThrow(/limit must be an integer ≥ 1, got 0/);
    expect(() => limiterForCps(0, clock)).toThrow(/cps must be > 0, got 0/);
  });
});
