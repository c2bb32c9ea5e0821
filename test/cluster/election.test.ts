import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { Election, SqliteLeaseStore, type LeaseStore, type Term } from '../../src/cluster/index.js';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { tempDir } from '../support/factories.js';

/** Lets the stores' answers and the loops' continuations run (SQLite answers at once). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Moves the clock in steps, letting the loops run between them. */
async function pass(clock: ManualClock, ms: number, stepMs = 250): Promise<void> {
  for (let moved = 0; moved < ms; moved += stepMs) {
    clock.advance(Math.min(stepMs, ms - moved));
    await settle();
  }
}

describe('Election (one dialing node, chosen through a lease in the database)', () => {
  const opened: AppDatabase[] = [];
  const elections: Election[] = [];
  afterEach(async () => {
    await Promise.all(elections.splice(0).map((e) => e.stop()));
    opened.splice(0).forEach((d) => d.close());
  });

  function cluster() {
    const file = path.join(tempDir('nps-election-'), 'nps.db');
    const clock = new ManualClock();
    const node = (holder: string, leases?: (store: LeaseStore) => LeaseStore) => {
      const database = openDatabase({ path: file });
      opened.push(database);
      const store = new SqliteLeaseStore(database);
      const terms: Term[] = [];
      const election = new Election({ leases: leases ? leases(store) : store, clock, logger: createSilentLogger(), holder, address: `http://${holder}`, ttlMs: 15_000 });
      elections.push(election);
      election.start((term) => terms.push(term));
      return { election, terms, store, leading: () => election.status.leading };
    };
    return { clock, node };
  }

  it('elects one node; when it stops, it gives the lease up and another leads at its next try, under a greater fence', async () => {
    const { clock, node } = cluster();
    const a = node('a');
    await settle();
    const b = node('b');
    await pass(clock, 20_000);
    expect([a.leading(), b.leading()]).toEqual([true, false]);
    expect(a.terms).toHaveLength(1);
    expect(b.election.status.lease).toMatchObject({ holder: 'a', address: 'http://a' });

    await a.election.stop();
    expect(a.terms[0]!.signal.aborted).toBe(true);
    await pass(clock, 2_000);
    expect(b.leading()).toBe(true);
    expect(b.terms[0]!.fence).toBe(a.terms[0]!.fence + 1);
  });

  it('ends the term of a leader that cannot renew before its lease runs out for the others; a successor leads after it ran out', async () => {
    const { clock, node } = cluster();
    let down = false;
    // a loses its database: nothing it asks is answered.
    const refused = () => Promise.reject(new Error('connection refused'));
    const a = node('a', (store) => ({
      acquire: (r) => (down ? refused() : store.acquire(r)),
      renew: (...args) => (down ? refused() : store.renew(...args)),
      release: (...args) => store.release(...args),
      current: (name) => store.current(name),
    }));
    await settle();
    const b = node('b');
    await pass(clock, 6_000);
    expect(a.leading()).toBe(true);
    const renewedAt = (await a.store.current('dialer'))!.renewedAt;

    down = true;
    // The term ends at the last renewal + TTL − margin (15 s − 3 s), while the lease still runs for b.
    let endedAt: number | null = null;
    a.terms[0]!.signal.addEventListener('abort', () => (endedAt = clock.now()));
    await pass(clock, 12_500);
    expect(endedAt).not.toBeNull();
    expect(endedAt! - renewedAt).toBeLessThanOrEqual(12_000);
    expect(b.leading()).toBe(false);
    // Once the lease ran out (renewedAt + 15 s), b takes it at its next try.
    await pass(clock, 5_000);
    expect(b.leading()).toBe(true);
    expect(b.terms[0]!.fence).toBe(a.terms[0]!.fence + 1);
    expect(a.leading()).toBe(false);
  });

  it('deposes a leader that finds another node holding the lease (it was paused past its lease)', async () => {
    const { clock, node } = cluster();
    const a = node('a');
    await pass(clock, 1_000);
    expect(a.leading()).toBe(true);
    const fence = a.terms[0]!.fence;
    // Another node took the expired lease while a was paused (simulated: its lease is ended in the database).
    await a.store.release('dialer', 'a', fence, clock.now() - 1);
    const intruder = await a.store.acquire({ name: 'dialer', holder: 'z', address: null, now: clock.now(), ttlMs: 60_000 });
    expect(intruder).toMatchObject({ holder: 'z', fence: fence + 1 });
    await pass(clock, 6_000);
    expect(a.terms[0]!.signal.aborted).toBe(true);
    expect(a.leading()).toBe(false);
    expect(a.election.status.lease).toMatchObject({ holder: 'z' });
  });
});
