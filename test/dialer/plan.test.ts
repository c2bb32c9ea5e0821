import { describe, expect, it } from '@jest/globals';
import { addSuppressions, SqliteSuppressionStore } from '../../src/contacts/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { planList } from '../../src/dialer/index.js';
import { createList, startCall, TARIFF } from '../support/dialer.js';
import { testEnv } from '../support/factories.js';
import { seedClient, seedList, START } from '../support/reports.js';

// `lists plan`: Monday 2026-01-05 10:00Z is 11:00 in Warsaw (PL preset: Mon–Sat 09:00–20:00) and
// 02:00 in Los Angeles (US preset: 08:00–21:00).

describe('lists plan', () => {
  it('says when each contact would be called in its own zone, and why every other one is not', async () => {
    const env = testEnv(START);
    const { clientId } = await seedClient(env.database, env.clock);
    seedList(env.database, { clientId, contacts: [{ phone: '+48501000004', score: 10 }] });
    await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48501000003'], source: 'operator' });
    const { listId, contactIds } = createList(env.database, {
      policy: { maxAttempts: 3 },
      now: START,
      contacts: [
        { phone: '+48501000001' },
        { phone: '+12135550102', country: 'US', timezone: 'America/Los_Angeles' },
        { phone: '+48501000003' },
        { phone: '+48501000004' },
        { phone: '+88216000005', country: 'XX' },
        { phone: '+48501000006' },
        { phone: '+48501000007' },
        { phone: '+48501000008' },
        { phone: '+48501000009' },
      ],
    });
    const { sqlite } = env.database;
    sqlite.prepare('UPDATE lists SET client_id = ? WHERE id = ?').run(clientId, listId);
    sqlite.prepare(`UPDATE contacts SET status = 'responded', attempts = 1 WHERE id = ?`).run(contactIds[5]);
    // Busy an hour ago: its retry is due after the default two hours' delay.
    sqlite.prepare('UPDATE contacts SET attempts = 1, next_attempt_at = ? WHERE id = ?').run(START + 3600_000, contactIds[6]);
    sqlite
      .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, created_at, ended_at) VALUES (?, ?, 1, 'busy-ref', 'ended', 'busy', ?, ?)`)
      .run(contactIds[6], listId, START - 3600_000, START - 3600_000);
    sqlite.prepare('UPDATE contacts SET attempts = 3 WHERE id = ?').run(contactIds[7]);
    startCall(env.database, contactIds[8]!, { now: START });
    const before = sqlite.prepare('SELECT * FROM contacts ORDER BY id').all();

    const reader = sqliteReader(env.database);
    const plan = await planList({ reader, lists: new ListSettingsBook(reader, { defaultTariff: TARIFF }), listId, now: START });
    expect(plan.rows.map((r) => [r.phone, r.verdict, r.reason, r.nextCallAt === null ? null : new Date(r.nextCallAt).toISOString(), r.nextCallLocal])).toEqual([
      ['+48******001', 'call', 'due_now', '2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00+01:00'],
      ['+12******102', 'call', 'outside_window', '2026-01-05T16:00:00.000Z', '2026-01-05T08:00:00-08:00'],
      ['+48******003', 'excluded', 'suppressed', null, null],
      ['+48******004', 'excluded', 'recent_survey', null, null],
      ['+88******005', 'excluded', 'no_time_zone', null, null],
      ['+48******006', 'final', 'final', null, null],
      ['+48******007', 'call', 'retry_later', '2026-01-05T11:00:00.000Z', '2026-01-05T12:00:00+01:00'],
      ['+48******008', 'excluded', 'attempts_used', null, null],
      ['+48******009', 'in_call', 'in_call', null, null],
    ]);
    expect(plan.rows[3]!.detail).toMatch(/^answered in list \d+ on 2026-01-05$/);
    expect(plan.rows[5]!.detail).toBe('responded');
    expect(plan.byReason.map((r) => [r.reason, r.contacts])).toEqual([
      ['due_now', 1],
      ['retry_later', 1],
      ['outside_window', 1],
      ['in_call', 1],
      ['suppressed', 1],
      ['recent_survey', 1],
      ['attempts_used', 1],
      ['no_time_zone', 1],
      ['final', 1],
    ]);
    expect(plan.byHour).toEqual([
      { hourStartsAt: START, contacts: 1 },
      { hourStartsAt: START + 3600_000, contacts: 1 },
      { hourStartsAt: Date.UTC(2026, 0, 5, 16), contacts: 1 },
    ]);
    // A dry run: nothing changed.
    expect(sqlite.prepare('SELECT * FROM contacts ORDER BY id').all()).toEqual(before);
  });

  it("uses the list's own calling hours for everybody when it has them", async () => {
    const env = testEnv(START);
    const { listId } = createList(env.database, {
      policy: { callingHours: 'Mon-Fri 12:00-13:00' },
      now: START,
      contacts: [{ phone: '+48501000001' }, { phone: '+12135550102', country: 'US', timezone: 'America/Los_Angeles' }],
    });
    const reader = sqliteReader(env.database);
    const plan = await planList({ reader, lists: new ListSettingsBook(reader, { defaultTariff: TARIFF }), listId, now: START });
    expect(plan.rows.map((r) => r.nextCallLocal)).toEqual(['2026-01-05T12:00:00+01:00', '2026-01-05T12:00:00-08:00']);
    expect(plan.policy.callingHours).toBe('Mon-Fri 12:00-13:00');
  });
});
