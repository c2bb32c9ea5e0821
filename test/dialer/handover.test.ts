import { expect, it } from '@jest/globals';
import { createList } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, runWithFake } from '../support/fake-telephony.js';

const MONDAY_10 = Date.UTC(2026, 0, 5, 10, 0, 0);
const HOUR = 3_600_000;
const [A, B, C] = ['+48501000031', '+48501000032', '+48501000033'];

const statuses = (env: TestEnv, listId: number) =>
  env.database.sqlite.prepare('SELECT phone_e164 AS phone, status FROM contacts WHERE list_id = ? ORDER BY phone_e164').all(listId) as { phone: string; status: string }[];

/**
 * A stopped run hands over before its live calls end (docs/deployment.md, "Graceful drain"): once
 * no task can send a create, the contacts it claimed for later slots are pending again and it says
 * so, so that a successor may dial them while this run's calls finish — and no release of this run
 * comes after the successor's claims.
 */
it('gives its unstarted contacts back and says its starts settled while its live call is still live', async () => {
  const env = testEnv(MONDAY_10);
  const deps = dialerDeps(env);
  const policy = { cps: 50, maxConcurrent: 1, maxAttempts: 2, callingHours: '00:00-24:00' };
  const { listId } = createList(env.database, { policy, now: env.clock.now(), contacts: [{ phone: A }, { phone: B }, { phone: C }] });
  const fake = new FakeTelephony(() => 'live');
  const stop = new AbortController();
  let atSettle: { phone: string; status: string }[] | undefined;
  let ended = false;
  const run = runWithFake(deps, fake, listId, { signal: stop.signal, drainTimeoutMs: HOUR, onStartsSettled: () => (atSettle = statuses(env, listId)) });
  void run.then(() => (ended = true));
  while (fake.created.length === 0) await new Promise((resolve) => setImmediate(resolve));
  // One live-call slot: A is on the line, B and C are claimed for the next slots.
  expect(statuses(env, listId).map((c) => c.status)).toEqual(['dialing', 'dialing', 'dialing']);

  stop.abort();
  while (atSettle === undefined) await new Promise((resolve) => setImmediate(resolve));
  expect(atSettle).toEqual([
    { phone: A, status: 'dialing' },
    { phone: B, status: 'pending' },
    { phone: C, status: 'pending' },
  ]);
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(ended).toBe(false);

  // The live call ends; only then does the run.
  const eventUrl = fake.created[0]!.eventUrl;
  await fake.deliver(eventUrl.slice(eventUrl.lastIndexOf('/') + 1), { status: 'busy' });
  expect((await run).kind).toBe('stopped');
  expect(fake.created).toHaveLength(1);
  expect(statuses(env, listId).map((c) => c.status)).toEqual(['pending', 'pending', 'pending']);
});
