import { describe, expect, it } from '@jest/globals';
import { createList as createTriggerList, SqliteListStore, changeListSettings } from '../../src/contacts/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { planList, saveListSettings, SqliteRunStore } from '../../src/dialer/index.js';
import { sqliteTriggerUnits, triggerSurvey } from '../../src/triggers/index.js';
import { createList, TARIFF } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, runWithFake } from '../support/fake-telephony.js';

// Monday 5 January 2026, 10:00 UTC: 11:00 in Warsaw.
const MONDAY_10 = Date.UTC(2026, 0, 5, 10, 0, 0);
// 20:00 in Warsaw, the opening of '20:00-21:00' that day.
const MONDAY_19 = Date.UTC(2026, 0, 5, 19, 0, 0);
const MINUTE = 60_000;
const A = '+48501000021';
const B = '+48501000022';
const POLICY = { cps: 200, maxAttempts: 3, retryDelaySeconds: 7200, callingHours: '20:00-21:00' };
const config = { defaultTariff: TARIFF };

function waiting(env: TestEnv, listId: number) {
  return env.database.sqlite.prepare('SELECT phone_e164 AS phone, status, attempts, next_attempt_at AS nextAttemptAt FROM contacts WHERE list_id = ? ORDER BY id').all(listId) as {
    phone: string;
    status: string;
    attempts: number;
    nextAttemptAt: number | null;
  }[];
}

/** A list whose two contacts a first run parked at the opening of '20:00-21:00' (19:00 UTC). */
async function parkedList(policy: object = POLICY) {
  const env = testEnv(MONDAY_10);
  const deps = dialerDeps(env);
  const { listId } = createList(env.database, { policy, now: env.clock.now(), contacts: [{ phone: A }, { phone: B }] });
  const fake = new FakeTelephony(() => ({ status: 'busy' }));
  expect((await runWithFake(deps, fake, listId)).kind).toBe('paused');
  expect(waiting(env, listId).map((c) => c.nextAttemptAt)).toEqual([MONDAY_19, MONDAY_19]);
  return { env, deps, listId, fake };
}

describe('waiting times follow the rules in force', () => {
  it('re-plans contacts parked by the old calling hours when `lists set` widens them: due at once, and called by the next run', async () => {
    const { env, deps, listId, fake } = await parkedList();

    const { replanned, list } = await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { callingHours: '00:00-24:00' } } });
    expect(replanned).toBe(2);
    expect(list.nextAttemptAt).toBe(MONDAY_10);
    deps.lists.invalidate(listId);
    await runWithFake(deps, fake, listId);
    expect(fake.dialled).toEqual([A, B]);
  });

  it('re-plans them at the start of a run, whatever saved the new hours', async () => {
    const { env, deps, listId, fake } = await parkedList();
    await changeListSettings({ lists: new SqliteListStore(env.database), listId, patch: { policy: { callingHours: '00:00-24:00' } } });
    deps.lists.invalidate(listId);

    await runWithFake(deps, fake, listId);
    expect(fake.dialled).toEqual([A, B]);
  });

  it('re-plans them in a run that is going when `lists set` in another process widens the hours', async () => {
    const { env, deps, listId, fake } = await parkedList({ ...POLICY, maxAttempts: 1 });
    const stop = new AbortController();
    const run = runWithFake(deps, fake, listId, { signal: stop.signal, maxIdleWaitMs: 24 * 3600_000 });
    // Another process saves the settings (without touching the contacts) and the loop next wakes.
    await changeListSettings({ lists: new SqliteListStore(env.database), listId, patch: { policy: { callingHours: '00:00-24:00' } } });
    deps.signals.notifyChange();

    expect((await run).kind).toBe('completed');
    expect(fake.dialled).toEqual([A, B]);
    expect(waiting(env, listId).map((c) => c.status)).toEqual(['busy', 'busy']);
  });

  it('says in `lists plan` when parked contacts will be called under the hours in force, before any run re-planned them', async () => {
    const { env, listId } = await parkedList();
    await changeListSettings({ lists: new SqliteListStore(env.database), listId, patch: { policy: { callingHours: '00:00-24:00' } } });
    const plan = await planList({ reader: sqliteReader(env.database), lists: new ListSettingsBook(sqliteReader(env.database), config), listId, now: env.clock.now() });
    expect(plan.rows.map((r) => [r.reason, r.nextCallAt])).toEqual([
      ['due_now', MONDAY_10],
      ['due_now', MONDAY_10],
    ]);
  });

  it('moves parked contacts later when the hours narrow', async () => {
    const { env, listId } = await parkedList();
    await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { callingHours: '21:00-22:00' } } });
    expect(waiting(env, listId).map((c) => c.nextAttemptAt)).toEqual([MONDAY_19 + 60 * MINUTE, MONDAY_19 + 60 * MINUTE]);
  });

  it('applies a new retry delay to contacts waiting for their retry, counted from the end of their last attempt', async () => {
    const env = testEnv(MONDAY_10);
    const deps = dialerDeps(env);
    const { listId } = createList(env.database, { policy: { ...POLICY, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: [{ phone: A }] });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    await runWithFake(deps, fake, listId);
    expect(waiting(env, listId)).toEqual([{ phone: A, status: 'pending', attempts: 1, nextAttemptAt: MONDAY_10 + 120 * MINUTE }]);

    await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { retryDelaySeconds: 600 } } });
    expect(waiting(env, listId)[0]!.nextAttemptAt).toBe(MONDAY_10 + 10 * MINUTE);
    await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { retryDelaySeconds: 4 * 3600 } } });
    expect(waiting(env, listId)[0]!.nextAttemptAt).toBe(MONDAY_10 + 240 * MINUTE);

    // Two hours on, the old delay would have called it; the new one holds it back.
    env.clock.advance(120 * MINUTE);
    deps.lists.invalidate(listId);
    expect((await runWithFake(deps, fake, listId)).kind).toBe('paused');
    expect(fake.dialled).toEqual([A]);
  });

  it('retries a call that ends after `lists set` changed the retry delay after the new delay', async () => {
    const env = testEnv(MONDAY_10);
    const deps = dialerDeps(env);
    const { listId } = createList(env.database, { policy: { ...POLICY, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: [{ phone: A }] });
    const fake = new FakeTelephony(() => 'live');
    const stop = new AbortController();
    const run = runWithFake(deps, fake, listId, { signal: stop.signal });
    while (fake.created.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // The call is ringing when another process saves a 10-minute retry delay; then it ends busy.
    await changeListSettings({ lists: new SqliteListStore(env.database), listId, patch: { policy: { retryDelaySeconds: 600 } } });
    const eventUrl = fake.created[0]!.eventUrl;
    await fake.deliver(eventUrl.slice(eventUrl.lastIndexOf('/') + 1), { status: 'busy' });
    stop.abort();
    await run;
    expect(waiting(env, listId)).toEqual([{ phone: A, status: 'pending', attempts: 1, nextAttemptAt: MONDAY_10 + 10 * MINUTE }]);
  });

  it('closes a contact waiting for a retry at once when the attempt limit is lowered to what it already had', async () => {
    const env = testEnv(MONDAY_10);
    const deps = dialerDeps(env);
    const { listId } = createList(env.database, { policy: { ...POLICY, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: [{ phone: A }] });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    await runWithFake(deps, fake, listId);

    await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { maxAttempts: 1 } } });
    expect(waiting(env, listId)[0]!.nextAttemptAt).toBe(MONDAY_10);
    deps.lists.invalidate(listId);
    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(waiting(env, listId)).toEqual([{ phone: A, status: 'busy', attempts: 1, nextAttemptAt: null }]);
  });

  it("never moves a triggered survey before its notBefore, whatever the new hours", async () => {
    const env = testEnv(MONDAY_10);
    const list = await createTriggerList({ lists: new SqliteListStore(env.database), clock: env.clock, input: { name: 'Support', acceptsTriggers: true } });
    await changeListSettings({ lists: new SqliteListStore(env.database), listId: list.id, patch: { policy: { callingHours: '20:00-21:00' } } });
    const notBefore = Date.UTC(2026, 0, 5, 15, 0, 0);
    const { result } = await triggerSurvey(
      { units: sqliteTriggerUnits(env.database), reader: sqliteReader(env.database), clock: env.clock, logger: env.logger, config: { ...config, frequencyCaps: { minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 4 } } },
      { clientId: undefined, request: { listId: list.id, agent: 'Ann', phone: A, notBefore: new Date(notBefore).toISOString() } },
    );
    expect(result.callAt).toBe(new Date(MONDAY_19).toISOString());

    await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId: list.id, patch: { policy: { callingHours: '00:00-24:00' } } });
    expect(waiting(env, list.id)[0]!.nextAttemptAt).toBe(notBefore);
  });

  it('keeps the order of contacts already due: the longest waiting are still called first', async () => {
    const env = testEnv(MONDAY_10);
    const { listId } = createList(env.database, { policy: { ...POLICY, callingHours: '00:00-24:00' }, now: MONDAY_10 - 60 * MINUTE, contacts: [{ phone: A }, { phone: B }] });
    env.database.sqlite.prepare('UPDATE contacts SET next_attempt_at = ? WHERE phone_e164 = ?').run(MONDAY_10 - 30 * MINUTE, A);

    expect((await saveListSettings({ lists: new SqliteListStore(env.database), runs: new SqliteRunStore(env.database), reader: sqliteReader(env.database), config, now: env.clock.now(), listId, patch: { policy: { retryDelaySeconds: 60 } } })).replanned).toBe(0);
    expect(waiting(env, listId).map((c) => c.nextAttemptAt)).toEqual([MONDAY_10 - 30 * MINUTE, MONDAY_10 - 60 * MINUTE]);
  });
});
