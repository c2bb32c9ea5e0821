import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openContext, type AppContext } from '../../src/app/context.js';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { ManualClock, systemClock } from '../../src/clock/index.js';
import { parseConfig } from '../../src/config/index.js';
import { addClient, createList, SqliteClientStore, SqliteListStore, updateClientSettings, changeListSettings } from '../../src/contacts/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { verifyPayloadSignature } from '../../src/notifications/index.js';
import { buildReport } from '../../src/reports/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sqliteTriggerUnits, triggerSurvey } from '../../src/triggers/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { testPrivateKey } from '../support/campaign.js';
import { tempDir } from '../support/factories.js';
import { WebhookProxy } from '../support/webhook-proxy.js';
import { startReceiver, type Receiver } from '../support/followup.js';
import { reportDeps } from '../support/reports.js';

// `serve` in this process against the sandbox, with the daemon's clock a ManualClock: the bound on
// a triggered survey ("the call starts within 60 s") is checked in the daemon's own time, which
// only moves when the test moves it. The calls themselves run on the sandbox's real time.

const WEBHOOK_SECRET = 'whsec_e2e-triggered-0123456789';
const DETRACTOR = '+48501000001';
const PROMOTER = '+48501000002';


interface Setup {
  ctx: AppContext;
  clock: ManualClock;
  sandbox: Sandbox;
  /** In front of the sandbox's API: the daemon's requests pass through it, so a test can await them. */
  api: WebhookProxy;
  daemon: Daemon;
  receiver: Receiver;
  listId: number;
  apiKey: string;
  baseUrl: string;
}

let running: Setup | undefined;
afterEach(async () => {
  const s = running;
  running = undefined;
  if (!s) return;
  await s.daemon.close();
  await s.api.close();
  await s.sandbox.close();
  await s.receiver.close();
  await s.ctx.close();
});

async function setup(): Promise<Setup> {
  const applicationId = randomUUID();
  const signatureSecret = randomBytes(24).toString('hex');
  const sandbox = await startSandbox({
    applicationId,
    privateKey: testPrivateKey(),
    signatureSecret,
    cps: 20,
    timeScale: 50,
    seed: 9,
    scenario: {
      callees: {
        [DETRACTOR]: { attempts: [{ outcome: 'answered', keys: ['3'], comment: { seconds: 2 } }] },
        [PROMOTER]: { attempts: [{ outcome: 'answered', keys: ['10'] }] },
      },
    },
  });
  const api = await WebhookProxy.start(sandbox.port);
  api.holdWhileDown = false;
  const dir = tempDir('nps-triggered-');
  const config = parseConfig(
    {
      DATABASE_PATH: path.join(dir, 'triggered.db'),
      RECORDINGS_DIR: path.join(dir, 'recordings'),
      REPORTS_DIR: path.join(dir, 'reports'),
      REPORT_LINK_SECRET: 'e2e-triggered-link-secret-0123456789abcdef',
      INTERIM_REPORT_CRON: 'off',
      VONAGE_APPLICATION_ID: applicationId,
      VONAGE_PRIVATE_KEY: testPrivateKey(),
      VONAGE_SIGNATURE_SECRET: signatureSecret,
      VONAGE_FROM_NUMBER: '+447700900000',
      VONAGE_API_HOST: api.url,
      // Recordings are fetched from the sandbox itself, not through the proxy.
      RECORDING_DOWNLOAD_HOSTS: `127.0.0.1:${sandbox.port}`,
      VONAGE_ACCOUNT_CPS: '20',
      PORT: '0',
      // The alert receiver is on this machine.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: '127.0.0.1',
    },
    { needsVonage: true },
  );
  // Monday 5 January 2026, 10:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
  const ctx = await openContext({ config, clock, logger: createSilentLogger() });
  const receiver = await startReceiver([503, 200]);
  const clients = new SqliteClientStore(ctx.database);
  const { client, apiKey } = await addClient({ clients, clock, name: 'Acme' });
  await updateClientSettings({ clients, clientId: client.id, privateNetworks: config.webhookPrivateNetworks, patch: { alertUrl: receiver.url, alertSecret: WEBHOOK_SECRET, caseOwner: 'Quality team' } });
  const list = await createList({ lists: new SqliteListStore(ctx.database), clock, input: { name: 'Support calls', clientId: client.id, acceptsTriggers: true } });
  await changeListSettings({ lists: new SqliteListStore(ctx.database), listId: list.id, patch: { policy: { cps: 20, maxConcurrent: 4, maxAttempts: 1, callingHours: '00:00-24:00' } } });
  const daemon = await startDaemon(ctx, { port: 0, host: '127.0.0.1', rateClock: systemClock });
  running = { ctx, clock, sandbox, api, daemon, receiver, listId: list.id, apiKey, baseUrl: daemon.runtime.publicBaseUrl };
  return running;
}

/** Resolves when the sandbox has answered a create-call request with 201 (a call exists there). */
const callCreated = (s: Setup) =>
  new Promise<void>((resolve) => {
    s.api.onAnswered = (request, status) => {
      if (request.method === 'POST' && request.path.startsWith('/v1/calls') && status === 201) resolve();
    };
  });

const callsTo = (s: Setup, phone: string) =>
  s.ctx.database.sqlite.prepare('SELECT k.created_at AS createdAt FROM calls k JOIN contacts c ON c.id = k.contact_id WHERE c.phone_e164 = ?').all(phone) as { createdAt: number }[];

describe('serve: triggered post-call surveys', () => {
  it('calls a survey triggered through the API within the bound, attributes the answer to the agent, opens a case and delivers the signed alert', async () => {
    const s = await setup();
    const created = callCreated(s);
    const triggeredAt = s.clock.now();
    const res = await fetch(`${s.baseUrl}/api/v1/surveys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${s.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'conversation-4711' },
      body: JSON.stringify({ phone: DETRACTOR, listId: s.listId, agent: 'Ann', attributes: { ticket: '4711' } }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', listId: s.listId });

    // Without moving the daemon's clock at all: the API woke the continuous dialer.
    await created;
    expect(s.sandbox.stats().callsCreated).toBe(1);
    const [call] = callsTo(s, DETRACTOR);
    // Placed at once: the daemon's clock never moved, so the call carries the trigger's own time.
    expect(call!.createdAt).toBe(triggeredAt);
    await s.daemon.triggered.idle();
    await s.daemon.runtime.deps.recordings.drain(10_000);

    const report = await buildReport(reportDeps(s.ctx.database, { clock: s.clock, config: s.ctx.config }), { listId: s.listId });
    expect(report.responses).toBe(1);
    expect(report.agents!.rows).toEqual([expect.objectContaining({ agent: 'Ann', responses: 1, detractors: 1, comments: 1, rank: null, lowSample: true })]);
    expect(report.followUp).toMatchObject({ cases: 1, open: 1, overdue: 0 });
    expect(s.ctx.database.sqlite.prepare('SELECT score, agent, owner, status FROM cases').all()).toEqual([{ score: 3, agent: 'Ann', owner: 'Quality team', status: 'open' }]);

    // The alert went once the comment was downloaded; the receiver failed the first attempt.
    await s.daemon.runtime.deliveries.deliverDue();
    s.clock.advance(30_000);
    await s.daemon.runtime.deliveries.deliverDue();
    expect(s.receiver.received).toHaveLength(2);
    const delivered = s.receiver.received[1]!;
    expect(delivered.raw).toBe(s.receiver.received[0]!.raw);
    expect(verifyPayloadSignature(WEBHOOK_SECRET, delivered.raw, delivered.headers['x-nps-signature'] as string)).toBe(true);
    expect(delivered.body).toMatchObject({ score: 3, agent: 'Ann', contact: { phone: '+48******001', attributes: { ticket: '4711', agent: 'Ann' } }, comment: { status: 'downloaded' } });
    const recording = await fetch((delivered.body.comment as { recordingUrl: string }).recordingUrl);
    expect(recording.status).toBe(200);
    expect((await recording.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('dials a survey triggered from another process (no wake-up) at the next poll, well within 60 s of the daemon clock', async () => {
    const s = await setup();
    const created = callCreated(s);
    const triggeredAt = s.clock.now();
    const { result } = await triggerSurvey(
      { units: sqliteTriggerUnits(s.ctx.database), reader: sqliteReader(s.ctx.database), clock: s.clock, logger: s.ctx.logger, config: s.ctx.config },
      { request: { phone: PROMOTER, listId: s.listId, agent: 'Bob' } },
    );
    expect(result.status).toBe('queued');
    // Nothing was told about the new contact: the runner sleeps on the daemon's clock (its loop
    // went to sleep synchronously when the daemon started), so no run started and nothing dialled.
    expect(s.daemon.triggered.runningLists).toEqual([]);
    expect(s.sandbox.stats().callsCreated).toBe(0);
    s.clock.advance(5_000);
    await created;
    expect(s.sandbox.stats().callsCreated).toBe(1);
    expect(callsTo(s, PROMOTER)[0]!.createdAt - triggeredAt).toBeLessThanOrEqual(60_000);
    await s.daemon.triggered.idle();
    const report = await buildReport(reportDeps(s.ctx.database, { clock: s.clock, config: s.ctx.config }), { listId: s.listId });
    expect(report.agents!.rows).toEqual([expect.objectContaining({ agent: 'Bob', responses: 1, promoters: 1 })]);
    expect(report.followUp.cases).toBe(0);
  });
});
