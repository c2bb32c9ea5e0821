import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { SqliteClientStore, updateClientSettings } from '../../src/contacts/index.js';
import { verifyPayloadSignature } from '../../src/notifications/index.js';
import { produceInterimReports, SqliteInterimReportStore, verifyReportLink } from '../../src/reports/index.js';
import { CronJob } from '../../src/schedules/index.js';
import { deliveryWorker, LOOPBACK_RECEIVERS, startReceiver, type Receiver } from '../support/followup.js';
import { tempDir, testEnv } from '../support/factories.js';
import { others, reportDeps, scored, seedClient, seedList } from '../support/reports.js';

const LINK_SECRET = 'interim-test-link-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_interim-0123456789abcdef';
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

let receiver: Receiver | undefined;
let job: CronJob | undefined;
afterEach(async () => {
  await job?.stop();
  job = undefined;
  await receiver?.close();
  receiver = undefined;
});

async function setup() {
  // 07:59 in Warsaw on Tuesday 6 January 2026.
  const env = testEnv(Date.UTC(2026, 0, 6, 6, 59, 0));
  receiver = await startReceiver([200]);
  const acme = await seedClient(env.database, env.clock, 'Acme');
  await updateClientSettings({ clients: new SqliteClientStore(env.database), clientId: acme.clientId, privateNetworks: LOOPBACK_RECEIVERS, patch: { reportUrl: receiver.url, alertSecret: WEBHOOK_SECRET } });
  // Running: dialled, with contacts still waiting for a retry.
  const running = seedList(env.database, { clientId: acme.clientId, name: 'Q1 wave', contacts: [...scored({ promoters: 3, passives: 1, detractors: 1 }), ...others(2, 'pending', { attempts: 1 })] });
  // Final, and never dialled: nothing to report every morning.
  seedList(env.database, { clientId: acme.clientId, contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
  seedList(env.database, { clientId: acme.clientId, contacts: others(3, 'pending', { attempts: 0 }) });
  const reportsDir = tempDir('nps-interim-');
  const deps = { ...reportDeps(env.database, { clock: env.clock, linkSecret: LINK_SECRET }), interimReports: new SqliteInterimReportStore(env.database), logger: env.logger, reportsDir };
  const startJob = () => {
    job = new CronJob({
      name: 'interim reports',
      cron: '0 8 * * *',
      timezone: 'Europe/Warsaw',
      clock: env.clock,
      logger: env.logger,
      run: async (occurrenceAt) => {
        await produceInterimReports(deps, { occurrenceAt, timezone: 'Europe/Warsaw', baseUrl: 'https://dialer.example' });
      },
    });
    job.start();
  };
  return { env, running: running.listId, reportsDir, startJob };
}

describe('daily interim reports', () => {
  it('writes each running list\'s report at the scheduled time and announces it to the client with signed links', async () => {
    const { env, running, reportsDir, startJob } = await setup();
    startJob();
    await settle();
    expect(env.database.sqlite.prepare('SELECT count(*) AS n FROM interim_reports').get()).toEqual({ n: 0 });

    env.clock.advance(60_000);
    await settle();
    await job!.idle();
    const rows = env.database.sqlite.prepare('SELECT list_id AS listId, occurrence_at AS at, json_file AS json, html_file AS html FROM interim_reports').all();
    expect(rows).toEqual([{ listId: running, at: Date.UTC(2026, 0, 6, 7, 0, 0), json: `list-${running}/interim-2026-01-06.json`, html: `list-${running}/interim-2026-01-06.html` }]);
    const json = JSON.parse(readFileSync(path.join(reportsDir, `list-${running}`, 'interim-2026-01-06.json'), 'utf8')) as { final: boolean; responses: number; billing: object };
    expect(json).toMatchObject({ final: false, responses: 5, audience: 'client' });
    // The client's copy: what it is billed, never what the provider charged the operator.
    expect(json.billing).not.toHaveProperty('providerCost');
    expect(readFileSync(path.join(reportsDir, `list-${running}`, 'interim-2026-01-06.html'), 'utf8')).toContain('Interim: calls still in progress');

    expect(await deliveryWorker(env.database, env.clock).deliverDue()).toBe(1);
    expect(receiver!.received).toHaveLength(1);
    const [hit] = receiver!.received;
    expect(verifyPayloadSignature(WEBHOOK_SECRET, hit!.raw, hit!.headers['x-nps-signature'] as string)).toBe(true);
    expect(hit!.headers['x-nps-event']).toBe('report.interim');
    expect(hit!.body).toMatchObject({ type: 'report.interim', listId: running, listName: 'Q1 wave', date: '2026-01-06', final: false, responses: 5, nps: 40 });
    const links = hit!.body.links as { html: string; json: string; expiresAt: string };
    expect(links.expiresAt).toBe('2026-01-13T07:00:00.000Z');
    for (const [format, url] of [['html', links.html], ['json', links.json]] as const) {
      expect(url.startsWith('https://dialer.example/api/v1/links/')).toBe(true);
      expect(verifyReportLink(LINK_SECRET, url.split('/').pop()!, env.clock.now())).toMatchObject({ listId: running, format });
    }
  });

  it('catches up a missed morning after a restart, and never produces or announces one occurrence twice', async () => {
    const { env, reportsDir, running, startJob } = await setup();
    // The daemon was down at 08:00 and comes back at 08:30.
    env.clock.set(Date.UTC(2026, 0, 6, 7, 30, 0));
    startJob();
    await settle();
    await job!.idle();
    expect(existsSync(path.join(reportsDir, `list-${running}`, 'interim-2026-01-06.html'))).toBe(true);
    await job!.stop();

    // Restarted again the same morning: the occurrence is done already.
    startJob();
    await settle();
    await job!.idle();
    expect(env.database.sqlite.prepare('SELECT count(*) AS n FROM interim_reports').get()).toEqual({ n: 1 });
    expect(env.database.sqlite.prepare(`SELECT count(*) AS n FROM webhook_deliveries WHERE event = 'report.interim'`).get()).toEqual({ n: 1 });

    // The next morning is a new report.
    env.clock.set(Date.UTC(2026, 0, 7, 7, 0, 0));
    await settle();
    await job!.idle();
    expect(env.database.sqlite.prepare('SELECT count(*) AS n FROM interim_reports').get()).toEqual({ n: 2 });
    expect(existsSync(path.join(reportsDir, `list-${running}`, 'interim-2026-01-07.json'))).toBe(true);
  });
});
