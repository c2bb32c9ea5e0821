import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openContext, type AppContext } from '../../src/app/context.js';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { ManualClock, systemClock } from '../../src/clock/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { addSchedule, getSchedule, scheduleStore } from '../../src/schedules/index.js';
import { contactNumber } from '../support/csv.js';
import { tempDir } from '../support/factories.js';

// `serve` in this process: the real webhook server, SDK adapter and dialer loop against the
// sandbox, with the daemon's clock a ManualClock. Moving the clock fires the schedule and closes
// its window; the calls themselves run on the sandbox's real time.

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

interface Setup {
  ctx: AppContext;
  clock: ManualClock;
  sandbox: Sandbox;
  daemon: Daemon;
  listId: number;
}

let running: Setup | undefined;

async function setup(contacts: number, policyCps: number): Promise<Setup> {
  const applicationId = randomUUID();
  const signatureSecret = randomBytes(24).toString('hex');
  const sandbox = await startSandbox({
    applicationId,
    privateKey: pem,
    signatureSecret,
    cps: 20,
    timeScale: 50,
    seed: 3,
    population: { outcomes: { answered: 1 }, commentRate: 0, hangupRate: 0, optOutRate: 0, invalidKeyRate: 0, noInputRate: 0 },
  });
  const dir = tempDir('nps-daemon-');
  const config = parseConfig(
    {
      DATABASE_PATH: path.join(dir, 'daemon.db'),
      RECORDINGS_DIR: path.join(dir, 'recordings'),
      REPORTS_DIR: path.join(dir, 'reports'),
      VONAGE_APPLICATION_ID: applicationId,
      VONAGE_PRIVATE_KEY: pem,
      VONAGE_SIGNATURE_SECRET: signatureSecret,
      VONAGE_FROM_NUMBER: '+447700900000',
      VONAGE_API_HOST: sandbox.url,
      VONAGE_ACCOUNT_CPS: '20',
      PORT: '0',
    },
    { needsVonage: true },
  );
  // 19:59 in Warsaw on Monday 5 January 2026.
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 18, 59, 0));
  const ctx = await openContext({ config, clock, logger: createSilentLogger() });
  const { sqlite } = ctx.database;
  const policy = JSON.stringify({ cps: policyCps, maxConcurrent: 4, maxAttempts: 1, callingHours: '00:00-24:00' });
  const listId = (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('nightly', '{"company":"Acme"}', ?, 'ready', ?) RETURNING id`).get(policy, clock.now()) as { id: number }).id;
  const insert = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'pending', 0, ?, ?)`);
  for (let i = 0; i < contacts; i++) insert.run(listId, i + 2, contactNumber(i), clock.now(), clock.now());
  const daemon = await startDaemon(ctx, { port: 0, host: '127.0.0.1', rateClock: systemClock });
  running = { ctx, clock, sandbox, daemon, listId };
  return running;
}

const statuses = (s: Setup) =>
  Object.fromEntries((s.ctx.database.sqlite.prepare('SELECT status, count(*) AS n FROM contacts GROUP BY status').all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));

afterEach(async () => {
  const s = running;
  running = undefined;
  if (!s) return;
  await s.daemon.close();
  await s.sandbox.close();
  await s.ctx.close();
});

describe('serve: scheduled runs', () => {
  it('dials the list when the schedule fires and marks the schedule done once the list is final', async () => {
    const s = await setup(6, 20);
    const schedule = await addSchedule({ schedules: scheduleStore(s.ctx.database), clock: s.clock, input: { listId: s.listId, cron: '0 20 * * *', timezone: 'Europe/Warsaw', until: '06:00' } });
    await settle();
    expect(s.daemon.runner.runningLists).toEqual([]);

    s.clock.set(Date.UTC(2026, 0, 5, 19, 0, 0));
    await settle();
    expect(s.daemon.runner.runningLists).toEqual([s.listId]);
    await s.daemon.runner.idle();
    expect(statuses(s)).toEqual({ responded: 6 });
    expect(await getSchedule({ schedules: scheduleStore(s.ctx.database), clock: s.clock, id: schedule.id })).toMatchObject({ status: 'done', lastResult: 'completed: every contact is final' });
    expect(s.sandbox.stats().callsCreated).toBe(6);
  });

  it('stops starting calls when the window closes, lets live calls finish, and continues at the next occurrence', async () => {
    // One call per second: the window closes long before ten contacts are dialled.
    const s = await setup(10, 1);
    const schedule = await addSchedule({ schedules: scheduleStore(s.ctx.database), clock: s.clock, input: { listId: s.listId, cron: '0 20 * * *', timezone: 'Europe/Warsaw', durationMs: 30 * 60_000 } });
    s.clock.set(Date.UTC(2026, 0, 5, 19, 0, 0));
    await settle();
    // Wait (on the sandbox's real time, not by sleeping) until two calls exist, then close the window.
    for (let i = 0; i < 1_000_000 && s.sandbox.stats().callsCreated < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(s.sandbox.stats().callsCreated).toBeGreaterThanOrEqual(2);
    s.clock.set(Date.UTC(2026, 0, 5, 19, 30, 0));
    await s.daemon.runner.idle();
    const afterWindow = s.sandbox.stats().callsCreated;
    expect(afterWindow).toBeLessThan(10);
    expect(s.sandbox.stats().activeCalls).toBe(0);
    expect(statuses(s)).toEqual({ responded: afterWindow, pending: 10 - afterWindow });
    expect(await getSchedule({ schedules: scheduleStore(s.ctx.database), clock: s.clock, id: schedule.id })).toMatchObject({ status: 'active', lastResult: 'stopped: the schedule window closed' });

    // The next evening picks up where it stopped, with the pace the list has now (read afresh).
    s.ctx.database.sqlite.prepare('UPDATE lists SET policy = ? WHERE id = ?').run(JSON.stringify({ cps: 20, maxConcurrent: 4, maxAttempts: 1, callingHours: '00:00-24:00' }), s.listId);
    s.clock.set(Date.UTC(2026, 0, 6, 19, 0, 0));
    await settle();
    expect(s.daemon.runner.runningLists).toEqual([s.listId]);
    await s.daemon.runner.idle();
    expect(statuses(s)).toEqual({ responded: 10 });
    expect(s.sandbox.stats().callsCreated).toBe(10);
    expect(s.sandbox.stats().maxConcurrentCallsPerNumber).toBe(1);
  });
});
