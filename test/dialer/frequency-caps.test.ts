import { describe, expect, it } from '@jest/globals';
import { CallSignals } from '../../src/calls/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { SCREENING_SQL } from '../../src/dialer/index.js';
import { buildReport, DISPOSITION_KEYS } from '../../src/reports/index.js';
import { createList, startCall, TARIFF } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, runWithFake } from '../support/fake-telephony.js';
import { others, REPORT_TARIFF, seedClient, seedList, START, reportDeps } from '../support/reports.js';

const DAY_MS = 86_400_000;
const POLICY = { cps: 200, maxAttempts: 1, retryDelaySeconds: 60, callingHours: '00:00-24:00' };
const X = '+48501000011';
const Y = '+48501000012';

function statusOf(env: TestEnv, listId: number, phone: string): { status: string; attempts: number } {
  return env.database.sqlite.prepare('SELECT status, attempts FROM contacts WHERE list_id = ? AND phone_e164 = ?').get(listId, phone) as { status: string; attempts: number };
}

function listFor(env: TestEnv, clientId: number | null, phones: string[], policy: object = POLICY): number {
  const { listId } = createList(env.database, { policy, now: env.clock.now(), contacts: phones.map((phone) => ({ phone })) });
  env.database.sqlite.prepare('UPDATE lists SET client_id = ? WHERE id = ?').run(clientId, listId);
  return listId;
}

describe('frequency caps across lists', () => {
  it('does not survey a number again within 30 days for the same client, and counts it as capped in the report', async () => {
    const env = testEnv(START + 10 * DAY_MS);
    const deps = dialerDeps(env);
    const { clientId: acme } = await seedClient(env.database, env.clock, 'acme');
    const { clientId: other } = await seedClient(env.database, env.clock, 'other');
    // X answered (score 9) for Acme ten days ago.
    seedList(env.database, { clientId: acme, contacts: [{ phone: X, score: 9 }] });
    const second = listFor(env, acme, [X, Y]);
    const otherClient = listFor(env, other, [X]);
    const fake = new FakeTelephony(() => ({ status: 'busy' }));

    expect((await runWithFake(deps, fake, second)).kind).toBe('completed');
    expect(statusOf(env, second, X)).toEqual({ status: 'capped', attempts: 0 });
    expect(statusOf(env, second, Y)).toEqual({ status: 'busy', attempts: 1 });
    // The survey gap is per client: another client's list still calls X.
    expect((await runWithFake(deps, fake, otherClient)).kind).toBe('completed');
    expect(fake.dialled).toEqual([Y, X]);

    const report = await buildReport(reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' } }), { listId: second });
    expect(report.dispositions).toMatchObject({ capped: 1, busy: 1 });
    expect(DISPOSITION_KEYS.reduce((sum, k) => sum + report.dispositions[k], 0)).toBe(report.contacts);
    expect(report.funnel).toMatchObject({ contacts: 2, eligible: 1, dialled: 1 });
  });

  it("follows the list's own survey gap: 5 days lets a number answered 10 days ago be called", async () => {
    const env = testEnv(START + 10 * DAY_MS);
    const deps = dialerDeps(env);
    const { clientId } = await seedClient(env.database, env.clock);
    seedList(env.database, { clientId, contacts: [{ phone: X, score: 9 }] });
    const list = listFor(env, clientId, [X], { ...POLICY, minDaysBetweenSurveys: 5 });
    const fake = new FakeTelephony();

    await runWithFake(deps, fake, list);
    expect(fake.dialled).toEqual([X]);
  });

  it('gives a number at most 4 attempts in 30 days over every list and client; older attempts do not count', async () => {
    const env = testEnv(START + 10 * DAY_MS);
    const { clientId } = await seedClient(env.database, env.clock);
    // Four unanswered attempts to X in an unrelated list, a few minutes after START.
    seedList(env.database, { contacts: [{ phone: X, status: 'unanswered', attempts: 4 }] });
    const list = listFor(env, clientId, [X, Y]);
    const fake = new FakeTelephony();

    await runWithFake(dialerDeps(env), fake, list);
    expect(fake.dialled).toEqual([Y]);
    expect(statusOf(env, list, X)).toEqual({ status: 'capped', attempts: 0 });

    // 31 days after those attempts, the same number is callable again.
    const later = testEnv(START + 31 * DAY_MS);
    seedList(later.database, { contacts: [{ phone: X, status: 'unanswered', attempts: 4 }] });
    const again = listFor(later, null, [X]);
    const fakeLater = new FakeTelephony();
    await runWithFake(dialerDeps(later), fakeLater, again);
    expect(fakeLater.dialled).toEqual([X]);
  });

  it('takes the attempt cap from the configuration when the list does not set one', async () => {
    const env = testEnv(START + 10 * DAY_MS);
    seedList(env.database, { contacts: [{ phone: X, status: 'unanswered', attempts: 4 }] });
    const list = listFor(env, null, [X]);
    const deps = { ...dialerDeps(env), signals: new CallSignals(), lists: new ListSettingsBook(sqliteReader(env.database), { defaultTariff: TARIFF, frequencyCaps: { minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 5 } }) };
    const fake = new FakeTelephony();

    await runWithFake(deps, fake, list);
    expect(fake.dialled).toEqual([X]);
  });

  it("ends a contact that reaches the cap with its own attempts with its last outcome, not 'capped'", async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const list = listFor(env, null, [X], { ...POLICY, maxAttempts: 3, maxAttemptsPer30Days: 2 });
    const fake = new FakeTelephony(() => ({ status: 'busy' }));

    expect((await runWithFake(deps, fake, list)).kind).toBe('paused');
    env.clock.advance(60_000);
    expect((await runWithFake(deps, fake, list)).kind).toBe('paused');
    env.clock.advance(60_000);
    expect((await runWithFake(deps, fake, list)).kind).toBe('completed');
    expect(fake.dialled).toEqual([X, X]);
    expect(statusOf(env, list, X)).toEqual({ status: 'busy', attempts: 2 });
  });

  it('does not call a number while it is on a live call in another list; it is looked at again shortly', async () => {
    const env = testEnv();
    const busyList = listFor(env, null, [X]);
    const contactId = (env.database.sqlite.prepare('SELECT id FROM contacts WHERE list_id = ?').get(busyList) as { id: number }).id;
    startCall(env.database, contactId, { now: env.clock.now() });
    const list = listFor(env, null, [X]);
    const fake = new FakeTelephony();

    expect((await runWithFake(dialerDeps(env), fake, list)).kind).toBe('paused');
    expect(fake.dialled).toEqual([]);
    const parked = env.database.sqlite.prepare('SELECT status, next_attempt_at AS at FROM contacts WHERE list_id = ?').get(list) as { status: string; at: number };
    expect(parked).toEqual({ status: 'pending', at: env.clock.now() + 2 * 60_000 });
  });

  it('finds the history of a number through indexes only, so a large list does not slow the loop', () => {
    const env = testEnv();
    // A few thousand other contacts and calls, so that SQLite's planner sees real tables.
    seedList(env.database, { contacts: others(2000, 'busy', { attempts: 2 }) });
    env.database.sqlite.exec('ANALYZE');
    for (const [name, sql] of Object.entries(SCREENING_SQL)) {
      const parameters = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
      const plan = (env.database.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map((r) => r.detail);
      expect({ name, scans: plan.filter((step) => /^SCAN /.test(step)) }).toEqual({ name, scans: [] });
    }
  });
});
