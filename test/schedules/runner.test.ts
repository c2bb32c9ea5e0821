import { describe, expect, it } from '@jest/globals';
import type { CampaignProgress, CampaignResult } from '../../src/dialer/index.js';
import { addSchedule, getSchedule, listSchedules, ScheduleRunner, scheduleStore, windowEndsAt } from '../../src/schedules/index.js';
import { createList } from '../support/dialer.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { rejection } from '../support/imports.js';

// The scheduler with a manual clock: moving the clock is what fires a schedule; nothing sleeps.

const WARSAW = 'Europe/Warsaw';
const at = (iso: string) => Date.parse(iso);
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

const PROGRESS: CampaignProgress = { listId: 0, contacts: 0, byStatus: {}, dialled: 0, calls: 0, liveCalls: 0, answered: 0, responses: 0, promoters: 0, detractors: 0, nps: null, rateLimited: 0 };

interface FakeRun {
  listId: number;
  startedAt: number;
  maxIdleWaitMs: number;
  signal: AbortSignal;
  /** Ends the run as the campaign would. */
  finish(result: 'completed' | 'paused'): void;
  result: Promise<CampaignResult>;
}

/** A runList that does nothing but wait for its signal (stopped) or for the test to finish it. */
function fakeCampaigns(env: TestEnv) {
  const runs: FakeRun[] = [];
  const runList = (listId: number, options: { signal: AbortSignal; maxIdleWaitMs: number }): Promise<CampaignResult> => {
    let finish!: FakeRun['finish'];
    const result = new Promise<CampaignResult>((resolve) => {
      options.signal.addEventListener('abort', () => resolve({ kind: 'stopped', progress: PROGRESS, reason: String(options.signal.reason) }), { once: true });
      finish = (kind) =>
        resolve(kind === 'completed' ? { kind, progress: PROGRESS } : { kind, progress: PROGRESS, nextAttemptAt: env.clock.now() + 86_400_000, waiting: 3, reason: 'not due' });
    });
    runs.push({ listId, startedAt: env.clock.now(), maxIdleWaitMs: options.maxIdleWaitMs, signal: options.signal, finish, result });
    return result;
  };
  return { runs, runList };
}

function setup(start: string) {
  const env = testEnv(at(start));
  const { listId } = createList(env.database, { contacts: [{ phone: '+48501000001' }], now: env.clock.now() });
  const campaigns = fakeCampaigns(env);
  const runner = new ScheduleRunner({ schedules: scheduleStore(env.database), clock: env.clock, logger: env.logger, runList: campaigns.runList, pollIntervalMs: 30_000 });
  return { env, listId, runner, runs: campaigns.runs };
}

describe('the scheduler of `serve`', () => {
  it("starts the list at the cron time in the schedule's zone and stops new calls when --until comes", async () => {
    const { env, listId, runner, runs } = setup('2026-01-05T18:00:00Z');
    const schedule = await addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '0 20 * * *', timezone: WARSAW, until: '06:00' } });
    expect(schedule.nextRunAt).toBe(at('2026-01-05T19:00:00Z'));
    runner.start();
    await settle();
    env.clock.set(at('2026-01-05T18:59:59Z'));
    await settle();
    expect(runs).toHaveLength(0);

    env.clock.set(at('2026-01-05T19:00:00Z'));
    await settle();
    expect(runs.map((r) => ({ listId: r.listId, startedAt: r.startedAt, maxIdleWaitMs: r.maxIdleWaitMs }))).toEqual([
      { listId, startedAt: at('2026-01-05T19:00:00Z'), maxIdleWaitMs: 10 * 3600_000 },
    ]);
    expect(runner.runningLists).toEqual([listId]);

    env.clock.set(at('2026-01-06T04:59:00Z'));
    await settle();
    expect(runs[0]!.signal.aborted).toBe(false);
    env.clock.set(at('2026-01-06T05:00:00Z'));
    await settle();
    expect(runs[0]!.signal.aborted).toBe(true);
    await runner.idle();
    expect(await getSchedule({ schedules: scheduleStore(env.database), clock: env.clock, id: schedule.id })).toMatchObject({
      status: 'active',
      lastStartedAt: at('2026-01-05T19:00:00Z'),
      lastEndedAt: at('2026-01-06T05:00:00Z'),
      lastResult: 'stopped: the schedule window closed',
      nextRunAt: at('2026-01-06T19:00:00Z'),
    });
    await runner.stop();
  });

  it('continues a paused list at the next occurrence, and marks the schedule done once the list is final', async () => {
    const { env, listId, runner, runs } = setup('2026-01-05T07:00:00Z');
    const schedule = await addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '0 8 * * *', timezone: 'UTC', durationMs: 4 * 3600_000 } });
    runner.start();
    env.clock.set(at('2026-01-05T08:00:00Z'));
    await settle();
    runs[0]!.finish('paused');
    await runner.idle();
    expect((await getSchedule({ schedules: scheduleStore(env.database), clock: env.clock, id: schedule.id })).lastResult).toMatch(/^paused: 3 contact\(s\) wait/);

    env.clock.set(at('2026-01-06T08:00:00Z'));
    await settle();
    expect(runs.map((r) => r.startedAt)).toEqual([at('2026-01-05T08:00:00Z'), at('2026-01-06T08:00:00Z')]);
    runs[1]!.finish('completed');
    await runner.idle();
    expect(await listSchedules({ schedules: scheduleStore(env.database), clock: env.clock })).toMatchObject([{ id: schedule.id, status: 'done', nextRunAt: null, lastResult: 'completed: every contact is final' }]);

    env.clock.set(at('2026-01-07T08:00:00Z'));
    await settle();
    expect(runs).toHaveLength(2);
    await runner.stop();
  });

  it('resumes a window that is still open when the daemon starts (after a crash), but never starts a window that has ended', async () => {
    const { env, listId, runner, runs } = setup('2026-01-05T18:00:00Z');
    await addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '0 20 * * *', timezone: WARSAW, until: '23:00' } });
    // The daemon was down from before 20:00 until 21:30 Warsaw time: the window is still open.
    env.clock.set(at('2026-01-05T20:30:00Z'));
    runner.start();
    await settle();
    expect(runs.map((r) => ({ startedAt: r.startedAt, maxIdleWaitMs: r.maxIdleWaitMs }))).toEqual([{ startedAt: at('2026-01-05T20:30:00Z'), maxIdleWaitMs: 1.5 * 3600_000 }]);
    await runner.stop();
    expect(runs[0]!.signal.reason).toBe('the daemon is stopping');

    const late = setup('2026-01-05T22:30:00Z');
    await addSchedule({ schedules: scheduleStore(late.env.database), clock: late.env.clock, input: { listId: late.listId, cron: '0 20 * * *', timezone: WARSAW, until: '23:00' } });
    late.runner.start();
    await settle();
    expect(late.runs).toHaveLength(0);
    await late.runner.stop();
  });

  it('runs a list once at a time: a second schedule of the same list moves the window end instead', async () => {
    const { env, listId, runner, runs } = setup('2026-01-05T07:00:00Z');
    await addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '0 8 * * *', timezone: 'UTC', durationMs: 3600_000 } });
    await addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '30 8 * * *', timezone: 'UTC', durationMs: 3600_000 } });
    runner.start();
    env.clock.set(at('2026-01-05T08:00:00Z'));
    await settle();
    env.clock.set(at('2026-01-05T08:30:00Z'));
    await settle();
    env.clock.set(at('2026-01-05T09:00:00Z'));
    await settle();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.signal.aborted).toBe(false);
    env.clock.set(at('2026-01-05T09:30:00Z'));
    await settle();
    expect(runs[0]!.signal.aborted).toBe(true);
    await runner.stop();
  });
});

describe('schedule windows', () => {
  const timing = { cron: '0 20 * * *', timezone: WARSAW, untilMinute: 6 * 60, durationMs: null };

  it('ends --until at the next such local time, across a DST change: 10 h in winter, 11 h on the October night, 9 h on the March night', () => {
    expect(windowEndsAt(timing, at('2026-01-05T19:00:00Z')) - at('2026-01-05T19:00:00Z')).toBe(10 * 3600_000);
    expect(windowEndsAt(timing, at('2026-10-24T18:00:00Z')) - at('2026-10-24T18:00:00Z')).toBe(11 * 3600_000);
    expect(windowEndsAt(timing, at('2026-03-28T19:00:00Z')) - at('2026-03-28T19:00:00Z')).toBe(9 * 3600_000);
  });

  it('lasts until the next occurrence when neither --until nor --for is given', () => {
    expect(windowEndsAt({ ...timing, untilMinute: null }, at('2026-01-05T19:00:00Z'))).toBe(at('2026-01-06T19:00:00Z'));
  });
});

describe('schedule add', () => {
  it('refuses what the daemon could not run: both --until and --for, a bad pattern or zone, a missing or final list', async () => {
    const env = testEnv();
    const { listId } = createList(env.database, { contacts: [{ phone: '+48501000001' }] });
    const add = (input: object) => rejection(Promise.resolve().then(() => addSchedule({ schedules: scheduleStore(env.database), clock: env.clock, input: { listId, cron: '0 20 * * *', timezone: 'UTC', ...input } })));
    expect((await add({ until: '06:00', durationMs: 3600_000 })).userMessage).toBe('give --until or --for, not both');
    expect((await add({ until: '6am' })).userMessage).toContain('--until must be a local time HH:MM');
    expect((await add({ cron: '0 25 * * *' })).userMessage).toMatch(/^--cron '0 25 \* \* \*' is not a cron pattern croner accepts/);
    expect((await add({ timezone: 'Mars/Olympus' })).userMessage).toContain("--tz 'Mars/Olympus' is not an IANA time zone");
    expect((await add({ listId: 999 })).code).toBe('NOT_FOUND');
    env.database.sqlite.prepare(`UPDATE contacts SET status = 'responded'`).run();
    expect((await add({})).code).toBe('CONFLICT');
  });
});
