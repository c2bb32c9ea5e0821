import { describe, expect, it } from '@jest/globals';
import { handleAnswer, webhookUrls, type CallDeps } from '../../src/calls/index.js';
import { DEFAULT_POLICY } from '../../src/contacts/index.js';
import { maxCallLifeMs, reconcileInFlight } from '../../src/dialer/index.js';
import { createList, startCall } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, providerCall, RATE_LIMITED, runWithFake } from '../support/fake-telephony.js';

// What a restart after kill -9 finds, built row by row, and what the next run makes of it.

const POLICY = { cps: 200, maxAttempts: 2, retryDelaySeconds: 60, callingHours: '00:00-24:00' };
const A = '+48501000001';
const B = '+48501000002';

function contact(env: TestEnv, id: number) {
  return env.database.sqlite.prepare('SELECT status, attempts, next_attempt_at AS nextAttemptAt FROM contacts WHERE id = ?').get(id) as { status: string; attempts: number; nextAttemptAt: number | null };
}

function callsOf(env: TestEnv, contactId: number) {
  return env.database.sqlite.prepare('SELECT attempt, state, outcome FROM calls WHERE contact_id = ? ORDER BY attempt').all(contactId) as { attempt: number; state: string; outcome: string | null }[];
}

/** Billing lines with the connected seconds of their call (the 60/60 test tariff rounds billable seconds up). */
function billing(env: TestEnv) {
  return env.database.sqlite
    .prepare('SELECT b.call_id AS callId, c.duration_seconds AS seconds FROM billing_lines b JOIN calls c ON c.id = b.call_id ORDER BY b.call_id')
    .all() as { callId: number; seconds: number }[];
}

/** The answer webhook as the earlier process served it: the callee heard the survey. */
async function served(deps: CallDeps, ref: string): Promise<void> {
  const uuid = (await deps.units.stores.calls.byRef(ref))?.providerUuid ?? `uuid-${ref}`;
  const outcome = await handleAnswer({ ...deps, urls: webhookUrls('https://dialer.example') }, { ref, payload: { uuid }, source: 'body' });
  expect(outcome.kind).toBe('ncco');
}

/** Lets every pending callback, timer-free promise and setImmediate run until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

/** A call row as a process killed between writing it and hearing back from the provider leaves it. */
function creatingCall(env: TestEnv, contactId: number, createdAt: number): { callId: number; ref: string } {
  const { sqlite } = env.database;
  const listId = (sqlite.prepare('SELECT list_id AS listId FROM contacts WHERE id = ?').get(contactId) as { listId: number }).listId;
  sqlite.prepare(`UPDATE contacts SET status = 'dialing', attempts = 1 WHERE id = ?`).run(contactId);
  const ref = `creating-${contactId}`;
  const callId = (sqlite.prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES (?, ?, 1, ?, 'creating', ?) RETURNING id`).get(contactId, listId, ref, createdAt) as { id: number }).id;
  return { callId, ref };
}

describe('crash recovery: calls left in flight by a killed process', () => {
  it('watches a call still live at the provider without dialling its contact again, and settles it when it ends', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }, { phone: B }] });
    const live = startCall(env.database, contactIds[0]!, { now: env.clock.now() });
    await served(deps, live.ref);
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    fake.calls.set(live.uuid, providerCall(live.uuid, 'answered'));

    const run = runWithFake(deps, fake, listId);
    await until(() => contact(env, contactIds[1]!).status === 'busy');
    expect(fake.gets).toEqual([live.uuid]);
    expect(fake.dialled).toEqual([B]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'dialing', attempts: 1 });

    await fake.deliver(live.ref, { status: 'completed', uuid: live.uuid, duration: '42', price: '0.0098' });
    const result = await run;
    expect(result.kind).toBe('completed');
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'answered_no_score', attempts: 1 });
    expect(billing(env)).toEqual([{ callId: live.callId, seconds: 42 }]);
    expect(fake.dialled).toEqual([B]);
  });

  it('applies the final status the provider reports for a call whose end was missed, and bills it once however often it is reconciled', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    const call = startCall(env.database, contactIds[0]!, { now: env.clock.now() });
    await served(deps, call.ref);
    const fake = new FakeTelephony();
    fake.attach(deps);
    fake.calls.set(call.uuid, providerCall(call.uuid, 'completed', { duration: '35' }));

    expect(await reconcileInFlight(deps, fake, listId)).toEqual([]);
    expect(await reconcileInFlight(deps, fake, listId)).toEqual([]);
    // The late webhook of the same end arrives after all: a duplicate, nothing changes.
    await fake.deliver(call.ref, { status: 'completed', uuid: call.uuid, duration: '35' });
    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(billing(env)).toEqual([{ callId: call.callId, seconds: 35 }]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'answered_no_score', attempts: 1 });
    expect(fake.dialled).toEqual([]);
  });

  it('marks a call the provider no longer knows lost: the attempt counts and the retry comes after the delay', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    startCall(env.database, contactIds[0]!, { now: env.clock.now() });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));

    const first = await runWithFake(deps, fake, listId);
    expect(first.kind).toBe('paused');
    expect(contact(env, contactIds[0]!)).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: env.clock.now() + 60_000 });
    expect(fake.dialled).toEqual([]);

    env.clock.advance(60_000);
    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(callsOf(env, contactIds[0]!)).toEqual([
      { attempt: 1, state: 'ended', outcome: 'lost' },
      { attempt: 2, state: 'ended', outcome: 'busy' },
    ]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 2 });
  });

  it('marks a call older than the provider keeps calls lost without asking', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    const old = startCall(env.database, contactIds[0]!, { now: env.clock.now() - 49 * 3600_000 });
    const fake = new FakeTelephony();
    fake.calls.set(old.uuid, providerCall(old.uuid, 'answered'));
    fake.attach(deps);

    expect(await reconcileInFlight(deps, fake, listId)).toEqual([]);
    expect(fake.gets).toEqual([]);
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'ended', outcome: 'lost' }]);
  });

  it('holds the contact of a create that never got a uuid, when the provider cannot list its calls, until that call would have ended, then counts it lost', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    creatingCall(env, contactIds[0]!, env.clock.now());
    const fake = new FakeTelephony();
    fake.listFailure = { kind: 'server_error', status: 503, message: 'Service Unavailable', retryable: true };

    const run = runWithFake(deps, fake, listId);
    // The follower asks the list again now and then; nothing is dialled meanwhile.
    await until(() => env.clock.pendingSleepers >= 2);
    for (let waited = 0; waited < maxCallLifeMs(DEFAULT_POLICY) - 60_000; waited += 15_000) {
      env.clock.advance(15_000);
      await until(() => env.clock.pendingSleepers >= 2);
    }
    expect(fake.dialled).toEqual([]);
    expect(contact(env, contactIds[0]!).status).toBe('dialing');
    expect(fake.lists.length).toBeGreaterThan(2);

    env.clock.advance(60_000);
    expect((await run).kind).toBe('paused');
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'ended', outcome: 'lost' }]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(fake.dialled).toEqual([]);
  });

  it('dials again at once, without counting an attempt, a create the provider\'s call list shows never arrived', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }, { phone: B }] });
    // Killed 40 s ago with this create in flight; another call of the same moment got its uuid.
    creatingCall(env, contactIds[0]!, env.clock.now() - 40_000);
    const witness = startCall(env.database, contactIds[1]!, { now: env.clock.now() - 40_000 });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    fake.list(witness.uuid, B, env.clock.now() - 39_500, 'busy');

    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(fake.lists[0]).toMatchObject({ fromMs: env.clock.now() - 40_000 - 30_000, recordIndex: 0, pageSize: 100 });
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'ended', outcome: 'busy' }]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 1 });
    expect(fake.dialled).toEqual([A]);
  });

  it('rules out a create left in flight just before the restart once it is old enough to have reached the provider, not after the call\'s longest life', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }] });
    creatingCall(env, contactIds[0]!, env.clock.now() - 2_000);
    const fake = new FakeTelephony(() => ({ status: 'busy' }));

    const run = runWithFake(deps, fake, listId);
    await until(() => env.clock.pendingSleepers >= 2);
    // Too recent to rule out yet: the request may still be on its way to the provider.
    expect(contact(env, contactIds[0]!).status).toBe('dialing');
    env.clock.advance(28_000);
    expect((await run).kind).toBe('completed');
    expect(fake.lists).toHaveLength(2);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 1 });
    expect(fake.dialled).toEqual([A]);
  });

  it('never rules out a create when the call list misses a call we know was made at the same time', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }, { phone: B }] });
    creatingCall(env, contactIds[0]!, env.clock.now() - 40_000);
    // The list does not show this call, though its create returned a uuid: the list is no evidence.
    startCall(env.database, contactIds[1]!, { now: env.clock.now() - 40_000 });
    const fake = new FakeTelephony();
    fake.attach(deps);

    const open = await reconcileInFlight(deps, fake, listId);
    expect(open.find((call) => call.unresolved === 'create')).toBeDefined();
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'dialing', attempts: 1 });
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'creating', outcome: null }]);
  });

  it('finds a create without a uuid in the provider\'s call list and applies its end at once', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    const { callId } = creatingCall(env, contactIds[0]!, env.clock.now() - 5_000);
    const fake = new FakeTelephony();
    fake.attach(deps);
    // Another call to the same number, long before: not this attempt's.
    fake.list('earlier-call', A, env.clock.now() - 3_600_000, 'busy');
    fake.list('the-call', A, env.clock.now() - 4_800, 'busy');

    expect(await reconcileInFlight(deps, fake, listId)).toEqual([]);
    expect(env.database.sqlite.prepare('SELECT provider_uuid AS uuid, outcome FROM calls WHERE id = ?').get(callId)).toEqual({ uuid: 'the-call', outcome: 'busy' });
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(fake.gets).toEqual([]);
  });

  it('follows a create the call list shows live by its uuid, without dialling its contact again', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }] });
    const { callId, ref } = creatingCall(env, contactIds[0]!, env.clock.now() - 5_000);
    const fake = new FakeTelephony();
    fake.list('live-call', A, env.clock.now() - 4_900, 'ringing');

    const run = runWithFake(deps, fake, listId);
    // Followed like the run's own calls: a live-call slot and a watcher until its longest life.
    await until(() => fake.lists.length === 1 && env.clock.pendingSleepers >= 2);
    expect(env.database.sqlite.prepare('SELECT provider_uuid AS uuid, state FROM calls WHERE id = ?').get(callId)).toEqual({ uuid: 'live-call', state: 'started' });
    expect(contact(env, contactIds[0]!).status).toBe('dialing');
    await fake.deliver(ref, { status: 'unanswered', uuid: 'live-call' });
    expect((await run).kind).toBe('completed');
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'ended', outcome: 'unanswered' }]);
    expect(fake.dialled).toEqual([]);
  });

  it('asks again about a call whose look-up the provider refused (429), instead of taking it for live until its longest life', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }] });
    const call = startCall(env.database, contactIds[0]!, { now: env.clock.now() - 10_000 });
    const fake = new FakeTelephony();
    fake.calls.set(call.uuid, providerCall(call.uuid, 'busy'));
    fake.getFailures.push(RATE_LIMITED);

    const run = runWithFake(deps, fake, listId);
    await until(() => fake.gets.length === 1 && env.clock.pendingSleepers >= 2);
    expect(contact(env, contactIds[0]!).status).toBe('dialing');
    env.clock.advance(15_000);
    expect((await run).kind).toBe('completed');
    expect(fake.gets).toEqual([call.uuid, call.uuid]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 1 });
  });

  it('follows a create that did reach the provider: its webhooks name the call and end it normally', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: POLICY, contacts: [{ phone: A }] });
    const { callId, ref } = creatingCall(env, contactIds[0]!, env.clock.now());
    const fake = new FakeTelephony();

    const run = runWithFake(deps, fake, listId);
    await until(() => env.clock.pendingSleepers >= 2);
    await fake.deliver(ref, { status: 'started', uuid: 'late-uuid' });
    await fake.deliver(ref, { status: 'answered', uuid: 'late-uuid' });
    await served(deps, ref);
    await fake.deliver(ref, { status: 'completed', uuid: 'late-uuid', duration: '20' });
    expect((await run).kind).toBe('completed');
    expect(callsOf(env, contactIds[0]!)).toEqual([{ attempt: 1, state: 'ended', outcome: 'human' }]);
    expect(billing(env)).toEqual([{ callId, seconds: 20 }]);
    expect(fake.dialled).toEqual([]);
  });

  it('puts a contact claimed but never dialled back to pending with its attempts, then dials it', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 1 }, contacts: [{ phone: A }] });
    env.database.sqlite.prepare(`UPDATE contacts SET status = 'dialing' WHERE id = ?`).run(contactIds[0]);
    const fake = new FakeTelephony(() => ({ status: 'busy' }));

    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(fake.dialled).toEqual([A]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 1 });
  });

  it('never makes more attempts than the limit, even when the limit was lowered after a retry was planned', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId, contactIds } = createList(env.database, { policy: { ...POLICY, maxAttempts: 3 }, contacts: [{ phone: A }] });
    const first = startCall(env.database, contactIds[0]!, { now: env.clock.now() });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));
    fake.attach(deps);
    await fake.deliver(first.ref, { status: 'busy', uuid: first.uuid });
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'pending', attempts: 1 });
    env.database.sqlite.prepare('UPDATE lists SET policy = ? WHERE id = ?').run(JSON.stringify({ ...POLICY, maxAttempts: 1 }), listId);
    deps.lists.invalidate(listId);
    env.clock.advance(60_000);

    expect((await runWithFake(deps, fake, listId)).kind).toBe('completed');
    expect(fake.dialled).toEqual([]);
    expect(contact(env, contactIds[0]!)).toMatchObject({ status: 'busy', attempts: 1 });
  });
});
