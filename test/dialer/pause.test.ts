import { describe, expect, it } from '@jest/globals';
import { SqliteListStore } from '../../src/contacts/index.js';
import { pauseList, resumeList } from '../../src/dialer/index.js';
import { createList } from '../support/dialer.js';
import { rejectedAppError, testEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, runWithFake } from '../support/fake-telephony.js';

const PHONES = ['+48501000001', '+48501000002', '+48501000003'];

/** Resolves once the loop has gone round once more (the fake's create would have run by then). */
const turns = (n: number) => Array.from({ length: n }).reduce<Promise<void>>((p) => p.then(() => new Promise((r) => setImmediate(r))), Promise.resolve());

describe('pausing a list', () => {
  it('starts no call while the list is paused, and dials every contact once it is resumed', async () => {
    const env = testEnv();
    const dialer = dialerDeps(env);
    const deps = { lists: new SqliteListStore(env.database), clock: env.clock };
    const { listId } = createList(env.database, { policy: { cps: 200, maxAttempts: 1, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: PHONES.map((phone) => ({ phone })) });
    expect(await pauseList(deps, { listId })).toEqual({ listId, pausedAt: env.clock.now(), changed: true });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    // A paused list is not a finished one: the run waits for the resume (a long idle wait is no reason to stop).
    const running = runWithFake(dialer, fake, listId, { maxIdleWaitMs: 0 });
    await turns(50);
    expect(fake.created).toEqual([]);
    expect(await resumeList(deps, { listId })).toEqual({ listId, pausedAt: null, changed: true });
    dialer.signals.notifyChange();
    const result = await running;
    expect(result.kind).toBe('completed');
    expect(fake.dialled.sort()).toEqual(PHONES);
  });

  it('keeps the first pause time on a repeat, and names a missing list', async () => {
    const env = testEnv();
    const deps = { lists: new SqliteListStore(env.database), clock: env.clock };
    const { listId } = createList(env.database, { policy: {}, now: env.clock.now(), contacts: [{ phone: PHONES[0]! }] });
    const first = await pauseList(deps, { listId });
    env.clock.advance(60_000);
    expect(await pauseList(deps, { listId })).toEqual({ listId, pausedAt: first.pausedAt, changed: false });
    expect((await resumeList(deps, { listId })).changed).toBe(true);
    expect((await resumeList(deps, { listId })).changed).toBe(false);
    expect((await rejectedAppError(pauseList(deps, { listId: 999 }))).message).toBe('list 999 does not exist; see `nps-dialer lists`');
  });
});
