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

/**
 * Lanes sharing one limiter with a manual clock: every lane has `requests` waiting from the start
 * (or from `opensAtMs`); each request takes `rttMs` before its response and reaches the provider
 * `arrivalFraction` of the way. Returns each lane's grant times and arrival times (monotonic ms)
 * after `durationMs`.
 */
async function simulateLanes(
  limit: number,
  lanes: { cps: number; requests: number; rttMs?: number; arrivalFraction?: number; opensAtMs?: number }[],
  durationMs: number,
) {
  const clock = new ManualClock();
  const limiter = new RollingWindowLimiter({ limit, windowMs: 1000, clock });
  const grants: number[][] = lanes.map(() => []);
  const arrivals: number[][] = lanes.map(() => []);
  const open = (index: number) => {
    const spec = lanes[index]!;
    const lane = limiter.lane(spec.cps);
    for (let i = 0; i < spec.requests; i++) {
      void lane.acquire().then(async (slot) => {
        grants[index]!.push(clock.monotonicMs());
        arrivals[index]!.push(clock.monotonicMs() + (spec.rttMs ?? 0) * (spec.arrivalFraction ?? 0));
        await clock.sleep(spec.rttMs ?? 0);
        slot.release();
      });
    }
  };
  lanes.forEach((spec, index) => {
    if (!spec.opensAtMs) open(index);
  });
  await settle();
  for (let t = 1; t <= durationMs; t++) {
    clock.advance(1);
    lanes.forEach((spec, index) => {
      if (spec.opensAtMs === t) open(index);
    });
    await settle();
  }
  return Object.assign(grants, { arrivals });
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

describe('lanes sharing one limiter (the account pace among lists)', () => {
  it('never lets all lanes together, nor any lane alone, exceed its rate in any rolling second, whatever the delays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({
            cps: fc.integer({ min: 1, max: 6 }),
            requests: fc.integer({ min: 0, max: 12 }),
            rttMs: fc.integer({ min: 0, max: 300 }),
            arrivalFraction: fc.double({ min: 0, max: 1, noNaN: true }),
            opensAtMs: fc.integer({ min: 0, max: 1500 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (limit, lanes) => {
          const { arrivals } = await simulateLanes(limit, lanes, 4000);
          expect(maxInWindow(arrivals.flat(), 1000)).toBeLessThanOrEqual(limit);
          arrivals.forEach((times, i) => expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(lanes[i]!.cps));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('shares the pace equally between two lists that both have calls waiting', async () => {
    const [a, b] = await simulateLanes(4, [{ cps: 4, requests: 100, rttMs: 5 }, { cps: 4, requests: 100, rttMs: 5 }], 10_000);
    // The first list's requests came first and took the free slots; from the next window on, the
    // turns alternate: about 4 per second together, half each.
    const after = (times: number[]) => times.filter((t) => t >= 1000).length;
    expect(after(a!) + after(b!)).toBeGreaterThanOrEqual(34);
    expect(Math.abs(after(a!) - after(b!))).toBeLessThanOrEqual(1);
  });

  it("gives a list whose own cps is below its share that cps, and the rest of the account's pace to the other (max-min fair)", async () => {
    const [slow, fast] = await simulateLanes(3, [{ cps: 1, requests: 100 }, { cps: 3, requests: 100 }], 9_999);
    // 3 per second in all over ten windows: the slow list its 1, the other the remaining 2, not 1.5 each.
    expect(slow).toHaveLength(10);
    expect(fast).toHaveLength(20);
  });

  it('lets a list alone use the whole pace, whatever other lists are open but idle', async () => {
    const [busy, idle] = await simulateLanes(3, [{ cps: 3, requests: 100 }, { cps: 3, requests: 0 }], 5_000);
    expect(busy!.length).toBeGreaterThanOrEqual(15);
    expect(idle).toEqual([]);
  });

  it('takes turns with a list that has a long backlog from the moment another list starts, instead of queueing behind it', async () => {
    const [backlog, late] = await simulateLanes(2, [{ cps: 2, requests: 200 }, { cps: 2, requests: 4, opensAtMs: 2500 }], 7_000);
    // From the late list's start the two alternate, one each per second: its 4 requests are out
    // in 4 seconds, not after the 100 seconds of the other's backlog.
    expect(late).toEqual([3000, 4000, 5000, 6000]);
    expect(backlog!.filter((t) => t >= 3000)).toEqual([3000, 4000, 5000, 6000, 7000, 7000]);
  });

  it('fails the waiting requests of a closed lane and keeps serving the others', async () => {
    const clock = new ManualClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000, clock });
    const closing = limiter.lane(1);
    const staying = limiter.lane(1);
    const held = await staying.acquire();
    const failed = closing.acquire();
    let granted = false;
    void staying.acquire().then(() => (granted = true));
    closing.close();
    await expect(failed).rejects.toThrow('the rate lane is closed');
    await expect(closing.acquire()).rejects.toThrow('the rate lane is closed');
    held.release();
    clock.advance(1000);
    await settle();
    expect(granted).toBe(true);
  });

  it('holds every lane back during a backoff after a 429 (the provider counts the account)', async () => {
    const clock = new ManualClock();
    const limiter = new RollingWindowLimiter({ limit: 5, windowMs: 1000, clock });
    const lanes = [limiter.lane(5), limiter.lane(5)];
    limiter.backoff(2000);
    const grantedAt: number[] = [];
    for (const lane of lanes) void lane.acquire().then(() => grantedAt.push(clock.monotonicMs()));
    clock.advance(1999);
    await settle();
    expect(grantedAt).toEqual([]);
    clock.advance(1);
    await settle();
    expect(grantedAt).toEqual([2000, 2000]);
  });
});
