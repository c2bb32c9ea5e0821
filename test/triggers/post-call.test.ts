import { describe, expect, it } from '@jest/globals';
import { addSuppressions, createList, SqliteSuppressionStore, SqliteListStore } from '../../src/contacts/index.js';
import { triggerSurvey, sqliteTriggerUnits } from '../../src/triggers/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { TARIFF } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { rejection } from '../support/imports.js';
import { seedClient, seedList } from '../support/reports.js';

// Monday 5 January 2026, 10:00 UTC: 11:00 in Warsaw, inside the Polish preset's hours.
const MONDAY_10 = Date.UTC(2026, 0, 5, 10, 0, 0);

async function setup(options: { acceptsTriggers?: boolean } = {}) {
  const env = testEnv(MONDAY_10);
  const acme = await seedClient(env.database, env.clock, 'Acme');
  const list = await createList({ lists: new SqliteListStore(env.database), clock: env.clock, input: { name: 'Support', clientId: acme.clientId, acceptsTriggers: options.acceptsTriggers ?? true } });
  const deps = { units: sqliteTriggerUnits(env.database), reader: sqliteReader(env.database), clock: env.clock, logger: env.logger, config: { defaultTariff: TARIFF, frequencyCaps: { minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 4 } } };
  const trigger = (request: object, options: { key?: string; clientId?: number } = {}) =>
    triggerSurvey(deps, { clientId: options.clientId ?? acme.clientId, idempotencyKey: options.key, request: { listId: list.id, agent: 'Ann', ...request } });
  return { env, acme, listId: list.id, trigger };
}

const contacts = (env: TestEnv) =>
  env.database.sqlite.prepare('SELECT phone_e164 AS phone, status, attributes, next_attempt_at AS nextAttemptAt FROM contacts ORDER BY id').all() as {
    phone: string;
    status: string;
    attributes: string;
    nextAttemptAt: number;
  }[];

describe('triggerSurvey', () => {
  it('queues a contact due now with the agent and attributes as its attributes', async () => {
    const { env, listId, trigger } = await setup();
    const { result, replayed } = await trigger({ phone: '+48 501 234 567', attributes: { ticket: 'T-1', channel: 'chat' } });
    expect(replayed).toBe(false);
    expect(result).toEqual({
      surveyId: expect.any(Number),
      listId,
      status: 'queued',
      reason: null,
      message: 'queued: the call starts within a minute, subject to the list pace',
      callAt: new Date(MONDAY_10).toISOString(),
    });
    expect(contacts(env)).toEqual([{ phone: '+48501234567', status: 'pending', attributes: '{"ticket":"T-1","channel":"chat","agent":"Ann"}', nextAttemptAt: MONDAY_10 }]);
  });

  it('gives each triggered contact a new row number, also after a contact was erased', async () => {
    const { env, trigger } = await setup();
    await trigger({ phone: '+48501000001' });
    await trigger({ phone: '+48501000002' });
    env.database.sqlite.prepare(`DELETE FROM contacts WHERE phone_e164 = '+48501000001'`).run();
    await trigger({ phone: '+48501000003' });
    expect(env.database.sqlite.prepare('SELECT phone_e164 AS phone, row_number AS row FROM contacts ORDER BY id').all()).toEqual([
      { phone: '+48501000002', row: 3 },
      { phone: '+48501000003', row: 4 },
    ]);
  });

  it('schedules a trigger outside the callee\'s calling hours for the next opening, and one with notBefore for then', async () => {
    const { env, trigger } = await setup();
    // 22:30 in Warsaw: the Polish preset's evening limit has passed, and Tuesday 6 January is a
    // public holiday (Epiphany), so the next opening is Wednesday morning.
    env.clock.set(Date.UTC(2026, 0, 5, 21, 30, 0));
    const late = (await trigger({ phone: '+48501234567' })).result;
    expect(late).toMatchObject({
      status: 'scheduled',
      reason: 'outside_window',
      message: "outside the callee's calling hours until 2026-01-07T08:00:00.000Z (Wed 09:00 in Europe/Warsaw); the call is scheduled for then",
      callAt: '2026-01-07T08:00:00.000Z',
    });
    expect(contacts(env)[0]!.nextAttemptAt).toBe(Date.parse(late.callAt!));

    env.clock.set(MONDAY_10);
    const later = (await trigger({ phone: '+48501234568', notBefore: '2026-01-05T11:15:00+01:00' })).result;
    expect(later).toMatchObject({ status: 'scheduled', reason: 'not_before', callAt: '2026-01-05T10:15:00.000Z' });
  });

  it('refuses with a reason, and creates no contact: suppressed, surveyed recently, too many attempts, already in the list', async () => {
    const { env, acme, listId, trigger } = await setup();
    await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48501000001'], source: 'operator' });
    // The same person answered in another list of this client last week.
    seedList(env.database, { clientId: acme.clientId, contacts: [{ phone: '+48501000002', score: 9 }] });
    // And another number was called four times in other lists this month.
    seedList(env.database, { contacts: [{ phone: '+48501000003', status: 'busy', attempts: 4 }] });

    expect((await trigger({ phone: '+48501000001' })).result).toMatchObject({ status: 'refused', reason: 'suppressed', callAt: null, message: '+48******001 is on the do-not-call list and is never called' });
    expect((await trigger({ phone: '+48501000002' })).result).toMatchObject({ status: 'refused', reason: 'recent_survey', message: expect.stringMatching(/^frequency cap: a person at this number answered/) });
    expect((await trigger({ phone: '+48501000003' })).result).toMatchObject({ status: 'refused', reason: 'attempt_cap', message: expect.stringContaining('4 call attempts in the last 30 days') });
    await trigger({ phone: '+48501000004' });
    expect((await trigger({ phone: '+48501000004', agent: 'Bob' })).result).toMatchObject({ status: 'refused', reason: 'already_in_list' });
    expect(contacts(env).filter((c) => c.phone.endsWith('004'))).toHaveLength(1);
    expect(env.database.sqlite.prepare(`SELECT count(*) AS n FROM contacts WHERE phone_e164 IN ('+48501000001', '+48501000002', '+48501000003') AND list_id = ?`).get(listId)).toEqual({ n: 0 });
  });

  it('answers the same survey for a repeated Idempotency-Key with the same body, and CONFLICT for another body', async () => {
    const { env, trigger } = await setup();
    const first = await trigger({ phone: '+48501234567', attributes: { ticket: 'T-9' } }, { key: 'conv-123' });
    // Keys in another order are the same request.
    const again = await triggerSurvey(
      { units: sqliteTriggerUnits(env.database), reader: sqliteReader(env.database), clock: env.clock, logger: env.logger, config: { defaultTariff: TARIFF } },
      { clientId: 1, idempotencyKey: 'conv-123', request: { attributes: { ticket: 'T-9' }, agent: 'Ann', listId: first.result.listId, phone: '+48501234567' } },
    );
    expect(again).toEqual({ result: first.result, replayed: true });
    expect(contacts(env)).toHaveLength(1);
    const conflict = await rejection(trigger({ phone: '+48501234567', attributes: { ticket: 'T-10' } }, { key: 'conv-123' }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe(`Idempotency-Key 'conv-123' was already used with a different request (survey ${first.result.surveyId}); use a new key for a new survey`);
    // A refusal is an answer too: replayed as it was given.
    const refused = await trigger({ phone: '+48501234567' }, { key: 'conv-124' });
    expect(await trigger({ phone: '+48501234567' }, { key: 'conv-124' })).toEqual({ result: refused.result, replayed: true });
  });

  it('decides concurrent requests one after the other: the same key is answered once, the same number added once', async () => {
    const { env, trigger } = await setup();
    const [first, second] = await Promise.all([trigger({ phone: '+48501234567' }, { key: 'conv-1' }), trigger({ phone: '+48501234567' }, { key: 'conv-1' })]);
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ result: first.result, replayed: true });
    const [a, b] = await Promise.all([trigger({ phone: '+48501234568' }), trigger({ phone: '+48501234568', agent: 'Bob' })]);
    expect([a.result.status, b.result.status]).toEqual(['queued', 'refused']);
    expect(b.result.reason).toBe('already_in_list');
    expect(contacts(env).map((c) => c.phone)).toEqual(['+48501234567', '+48501234568']);
  });

  it('rejects an invalid number, a bad body and a list that takes no triggers; another client\'s list is NOT_FOUND', async () => {
    const { env, listId, trigger } = await setup();
    const invalid = await rejection(trigger({ phone: '12345' }));
    expect(invalid.code).toBe('INPUT_INVALID');
    expect(invalid.message).toBe("phone: '12345' has no country code; write it in E.164 like +48501234567 or import with --country");
    const body = await rejection(trigger({ phone: '+48501234567', agent: '', attributes: { agent: 'x' }, notBefore: 'tomorrow', extra: 1 }));
    expect(body.code).toBe('INPUT_INVALID');
    expect(body.message).toContain('agent: must not be empty');
    expect(body.message).toContain("attributes.agent: 'agent' is not an attribute name we accept");
    expect(body.message).toContain('notBefore: must be an ISO 8601 time with a zone');
    expect(body.message).toContain('Unrecognized key: "extra"');
    const other = await seedClient(env.database, env.clock, 'Globex');
    expect((await rejection(trigger({ phone: '+48501234567' }, { clientId: other.clientId }))).code).toBe('NOT_FOUND');
    env.database.sqlite.prepare('UPDATE lists SET accepts_triggers = 0 WHERE id = ?').run(listId);
    const closed = await rejection(trigger({ phone: '+48501234567' }));
    expect(closed.code).toBe('CONFLICT');
    expect(closed.message).toBe(`list ${listId} does not accept triggered surveys; the operator enables it with \`nps-dialer lists set ${listId} --accept-triggers\``);
    expect(contacts(env)).toHaveLength(0);
  });
});
