import { describe, expect, it } from '@jest/globals';
import { CallSignals } from '../../src/calls/index.js';

describe('call signals', () => {
  it('wakes the waiter of a call when it ends, and forgets calls nobody waits for any more', async () => {
    const signals = new CallSignals();
    const ended = signals.whenEnded(1, new AbortController().signal);
    signals.notifyEnded(1);
    await ended;
    for (let id = 2; id < 1002; id++) {
      const waiter = new AbortController();
      const wait = signals.whenEnded(id, waiter.signal);
      waiter.abort();
      await wait;
    }
    expect(signals.waitedCalls).toBe(0);
  });

  it('wakes every change waiter once', async () => {
    const signals = new CallSignals();
    let woken = 0;
    const waits = [1, 2, 3].map(() => signals.whenChanged(new AbortController().signal).then(() => woken++));
    signals.notifyChange();
    await Promise.all(waits);
    expect(woken).toBe(3);
  });
});
