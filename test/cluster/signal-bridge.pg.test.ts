import { expect, it } from '@jest/globals';
import { CallSignals } from '../../src/calls/index.js';
import { ManualClock } from '../../src/clock/index.js';
import { bridgeSignals, type SignalBridge } from '../../src/cluster/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { freshFixture } from '../support/conformance.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';

/** Waits for `promise` while real I/O (PostgreSQL's notifications) arrives; fails after many tries. */
async function eventually<T>(promise: Promise<T>, poke: () => void = () => undefined): Promise<T> {
  let done = false;
  const result = promise.finally(() => (done = true));
  for (let i = 0; i < 500 && !done; i++) {
    poke();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!done) throw new Error('the signal never arrived');
  return result;
}

describeOnPostgres('the signal bridge between nodes', () => {
  const open = freshFixture(async () => {
    const fresh = await freshPostgres();
    const clock = new ManualClock();
    const bridges: SignalBridge[] = [];
    const node = async () => {
      const signals = new CallSignals();
      bridges.push(await bridgeSignals({ database: fresh.database, signals, clock, logger: createSilentLogger(), reconnectMs: 1000 }));
      return signals;
    };
    return {
      fresh,
      clock,
      node,
      close: async () => {
        await Promise.all(bridges.map((b) => b.close()));
        await fresh.close();
      },
    };
  });

  it("frees the dialing node's wait for a call whose final webhook reached another node, and carries changes", async () => {
    const { node } = await open();
    const [dialer, other] = [await node(), await node()];
    let localEnds = 0;
    void dialer.whenEnded(7, new AbortController().signal).then(() => localEnds++);
    const ended = dialer.whenEnded(42, new AbortController().signal);
    const changed = dialer.whenChanged(new AbortController().signal);
    other.notifyEnded(42);
    await eventually(Promise.all([ended, changed]));
    expect(localEnds).toBe(0);
    const again = other.whenChanged(new AbortController().signal);
    dialer.notifyChange();
    await eventually(again);
  });

  it('connects again when its listening connection breaks, and wakes every waiter to read the database', async () => {
    const { node, fresh, clock } = await open();
    const [dialer, other] = [await node(), await node()];
    const waiting = dialer.whenEnded(9, new AbortController().signal);
    await fresh.database.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nps-dialer signals' AND datname = current_database()`);
    // The waiter is woken after the reconnection (the clock lets the bridge's pause pass).
    await eventually(waiting, () => clock.advance(1000));
    const after = dialer.whenEnded(10, new AbortController().signal);
    await eventually(
      after,
      () => other.notifyEnded(10),
    );
  });
});
