import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { openContext, type AppContext } from '../../src/app/context.js';
import { startDialerRuntime, type DialerRuntime } from '../../src/app/dialer-runtime.js';
import { rateCall } from '../../src/billing/index.js';
import { ScaledClock, type Clock } from '../../src/clock/index.js';
import { parseConfig, type Tariff } from '../../src/config/index.js';
import { changeListSettings, SqliteListStore } from '../../src/contacts/index.js';
import { webhookUrls } from '../../src/calls/index.js';
import { runCampaign, type CampaignResult } from '../../src/dialer/index.js';
import { interpretDtmf } from '../../src/ivr/index.js';
import { createLogger, createSilentLogger } from '../../src/logging/index.js';
import { POOL_LANGUAGES, startSandbox, type FaultOptions, type PopulationOptions, type RedeliveryToken, type Sandbox, type SandboxOptions, type Scenario } from '../../src/sandbox/index.js';
import type { AppDatabase } from '../../src/db/index.js';
import { tempDir } from './factories.js';
import { outcomeDisagreements } from './outcomes.js';

let keyPem: string | undefined;
/** One RSA key per test process: generating one takes ~100 ms. */
export function testPrivateKey(): string {
  keyPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return keyPem;
}

/**
 * The account of a sandbox whose dialers run in other processes (`serve`, `run`): a fresh
 * application id and signature secret, and the test key written to `dir` for VONAGE_PRIVATE_KEY.
 */
export function testAccount(dir: string): { applicationId: string; signatureSecret: string; keyFile: string } {
  const keyFile = path.join(dir, 'private.key');
  writeFileSync(keyFile, testPrivateKey());
  return { applicationId: randomUUID(), signatureSecret: randomBytes(24).toString('hex'), keyFile };
}

export const campaignNumber = (i: number) => `+4850${String(1_000_000 + i).padStart(7, '0')}`;

export interface CampaignRunOptions {
  contacts: number;
  /** Survey script settings saved on every list (e.g. `{ reasons: { enabled: true } }`). */
  script?: Record<string, unknown>;
  seed: number;
  /** Each list's `--cps` (default 20). */
  cps?: number;
  /**
   * Lists dialled at once on the one account, the contacts dealt among them in turn (default 1).
   * The sandbox and VONAGE_ACCOUNT_CPS allow `accountCps` (default `cps`) creates per second.
   */
  lists?: number;
  accountCps?: number;
  maxAttempts?: number;
  timeScale?: number;
  faults?: FaultOptions;
  population?: PopulationOptions;
  scenario?: Scenario;
  /** Real ms the app takes to answer an answer-webhook request, per attempt of that request (1-based). */
  answerDelayMs?: (attempt: number) => number;
  answerWebhookTimeoutMs?: number;
  /** Whether the sandbox signs a retry or a duplicate anew (default) or sends the first token again. */
  redeliveryToken?: RedeliveryToken;
  /** The sandbox account's transcription settings (every survey language is transcribed unless `languages` says otherwise). */
  transcription?: NonNullable<SandboxOptions['speech']>['transcription'];
  /** The sandbox account's speech recognition settings (a list with `script: { comment: 'speech' }` uses it). */
  recognition?: NonNullable<SandboxOptions['speech']>['recognition'];
  /** Where the app's and the sandbox's logs go (JSON lines, debug level); silent otherwise. */
  logStream?: Writable;
  /**
   * Work started beside the campaign, against the same database file (another process's import,
   * say), when the lists start dialling; `besideEndedWhileDialling` tells whether it ended first.
   */
  beside?: (databasePath: string) => Promise<unknown>;
}

export interface CampaignRun {
  ctx: AppContext;
  sandbox: Sandbox;
  runtime: DialerRuntime;
  /** The first list's result and id. */
  result: CampaignResult;
  listId: number;
  /** Every list's, in the order of `listIds`. */
  results: CampaignResult[];
  listIds: number[];
  /** Whether `beside` ended before the last list's run did (undefined without `beside`). */
  besideEndedWhileDialling?: boolean;
  close(): Promise<void>;
}

/**
 * A whole campaign in this process: the sandbox with the given faults and a seeded population, the
 * real webhook server and telephony adapter, runCampaign, and a clock shared by both that runs
 * `timeScale` times faster than real time (retry delays and reconciliation timeouts pass quickly;
 * the rate limit stays in real seconds).
 */
export async function runSandboxCampaign(options: CampaignRunOptions): Promise<CampaignRun> {
  const timeScale = options.timeScale ?? 200;
  const cps = options.cps ?? 20;
  const accountCps = options.accountCps ?? cps;
  const clock = new ScaledClock({ start: Date.UTC(2026, 0, 5, 9, 0, 0), factor: timeScale });
  const logger = options.logStream
    ? createLogger({ level: 'debug', format: 'json', stream: options.logStream, silent: false })
    : createSilentLogger();
  const applicationId = randomUUID();
  const signatureSecret = randomBytes(24).toString('hex');
  const sandbox = await startSandbox({
    applicationId,
    privateKey: testPrivateKey(),
    signatureSecret,
    cps: accountCps,
    timeScale,
    clock,
    seed: options.seed,
    // An account that transcribes every survey language; no espeak-ng audio (tests read words, not sound).
    speech: { synthesis: 'off', transcription: { languages: [...POOL_LANGUAGES], ...options.transcription }, ...(options.recognition ? { recognition: options.recognition } : {}) },
    ...(options.scenario ? { scenario: options.scenario } : {}),
    population: options.population ?? { outcomes: { answered: 60, busy: 12, unanswered: 10, machine: 10, failed: 4, rejected: 2, timeout: 2 }, commentRate: 0.4, invalidKeyRate: 0.1, noInputRate: 0.05, optOutRate: 0.03, hangupRate: 0.05 },
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.answerWebhookTimeoutMs ? { answerWebhookTimeoutMs: options.answerWebhookTimeoutMs } : {}),
    ...(options.redeliveryToken ? { redeliveryToken: options.redeliveryToken } : {}),
    logger: logger.child({ module: 'sandbox' }),
  });
  const dir = tempDir('nps-campaign-');
  const config = parseConfig(
    {
      DATABASE_PATH: path.join(dir, 'campaign.db'),
      RECORDINGS_DIR: path.join(dir, 'recordings'),
      VONAGE_APPLICATION_ID: applicationId,
      VONAGE_PRIVATE_KEY: testPrivateKey(),
      VONAGE_SIGNATURE_SECRET: signatureSecret,
      VONAGE_FROM_NUMBER: '+447700900000',
      VONAGE_API_HOST: sandbox.url,
      PORT: '0',
      TARIFF_INCREMENT: '1/1',
      TARIFF_PER_MINUTE_MINOR: '30',
      TARIFF_CALL_FEE_MINOR: '5',
      VONAGE_ACCOUNT_CPS: String(accountCps),
    },
    { needsVonage: true },
  );
  const ctx = await openContext({ config, clock, logger });
  const { sqlite } = ctx.database;
  const listIds = Array.from(
    { length: options.lists ?? 1 },
    (_, i) => (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES (?, '{"company":"Acme"}', '{}', 'ready', ?) RETURNING id`).get(`faults ${i + 1}`, clock.now()) as { id: number }).id,
  );
  const insert = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'pending', 0, ?, ?)`);
  sqlite.transaction(() => {
    for (let i = 0; i < options.contacts; i++) insert.run(listIds[i % listIds.length]!, Math.floor(i / listIds.length) + 2, campaignNumber(i), clock.now(), clock.now());
  })();
  for (const listId of listIds) {
    await changeListSettings({ lists: new SqliteListStore(ctx.database),
      listId,
      patch: { ...(options.script ? { script: options.script } : {}), policy: { cps, maxConcurrent: 30, maxAttempts: options.maxAttempts ?? 3, retryDelaySeconds: 300, callingHours: '00:00-24:00' } },
    });
  }
  const runtime = await startDialerRuntime(ctx, { port: 0, host: '127.0.0.1' });
  let proxy: Server | undefined;
  if (options.answerDelayMs) {
    proxy = await slowAnswerProxy(runtime.server.port, options.answerDelayMs);
    const address = proxy.address();
    runtime.deps.urls = webhookUrls(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  }
  let dialling = true;
  let besideEndedWhileDialling: boolean | undefined;
  const beside = options.beside?.(config.databasePath).then(() => {
    besideEndedWhileDialling = dialling;
  });
  // The lists dial at once, as a daemon's runs do, through the runtime's one pacer.
  const results = await Promise.all(
    listIds.map((listId) =>
      runCampaign(runtime.deps, {
        listId,
        telephony: runtime.telephony,
        pacer: runtime.pacer,
        urls: runtime.deps.urls,
        fromNumber: config.vonage!.fromNumber,
        maxIdleWaitMs: 24 * 3600_000,
      }),
    ),
  );
  dialling = false;
  await beside;
  // Webhooks the sandbox still owes (recordings after `completed`, duplicates), then downloads.
  await sandbox.onIdle();
  await runtime.deps.recordings.drain(600_000);
  await runtime.deps.texts?.drain(600_000);
  return {
    ctx,
    sandbox,
    runtime,
    result: results[0]!,
    listId: listIds[0]!,
    results,
    listIds,
    ...(besideEndedWhileDialling === undefined ? {} : { besideEndedWhileDialling }),
    close: async () => {
      await runtime.close();
      proxy?.close();
      proxy?.closeAllConnections();
      await sandbox.close();
      await ctx.close();
    },
  };
}

/** Forwards to the app, holding answer-webhook requests back by `delayMs(attempt)` ms. */
async function slowAnswerProxy(targetPort: number, delayMs: (attempt: number) => number): Promise<Server> {
  const attempts = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isAnswer = (req.url ?? '').startsWith('/webhooks/answer/');
      const attempt = isAnswer ? (attempts.get(req.url!) ?? 0) + 1 : 0;
      if (isAnswer) attempts.set(req.url!, attempt);
      const forward = () => {
        const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      setTimeout(forward, isAnswer ? delayMs(attempt) : 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** What the invariants are checked on: a campaign's database and sandbox, in this process or another's. */
export interface InvariantSubject {
  database: AppDatabase;
  sandbox: Sandbox;
  /** How the runs ended: completed ones must leave every contact final. */
  resultKinds: CampaignResult['kind'][];
  tariff: Tariff;
  clock: Clock;
  recordingsDir: string;
}

/**
 * The guarantees every campaign must keep, whatever the faults. Returns the violations (empty when
 * all hold) and the figures a report of the run needs.
 */
export function checkInvariants(run: CampaignRun): Promise<{ violations: string[]; figures: Record<string, number> }> {
  const { config } = run.ctx;
  return checkSubject({ database: run.ctx.database, sandbox: run.sandbox, resultKinds: run.results.map((r) => r.kind), tariff: config.defaultTariff, clock: run.ctx.clock, recordingsDir: config.recordingsDir });
}

export async function checkSubject(run: InvariantSubject): Promise<{ violations: string[]; figures: Record<string, number> }> {
  const { sqlite } = run.database;
  const violations: string[] = [];
  // The database holds the subject's lists only: every query below covers all of them.
  const open = (sqlite.prepare(`SELECT count(*) AS n FROM contacts WHERE status IN ('pending', 'dialing')`).get() as { n: number }).n;
  if (run.resultKinds.some((k) => k !== 'completed') || open > 0) violations.push(`${open} contacts not final (runs ${run.resultKinds.join(', ')})`);

  const stats = run.sandbox.stats();
  if (stats.maxConcurrentCallsPerNumber > 1) violations.push(`a number had ${stats.maxConcurrentCallsPerNumber} live calls at once`);

  const perContact = sqlite.prepare(`SELECT c.contact_id AS contactId, count(*) AS n FROM billing_lines b JOIN calls c ON c.id = b.call_id GROUP BY c.contact_id HAVING n > 1`).all();
  if (perContact.length > 0) violations.push(`${perContact.length} contacts billed more than once`);

  // Billing: exactly the person-answered calls, each at the tariff.
  const human = sqlite.prepare(`SELECT id, duration_seconds AS d FROM calls WHERE outcome = 'human'`).all() as { id: number; d: number | null }[];
  const lines = new Map((sqlite.prepare('SELECT call_id AS callId, amount_minor AS a FROM billing_lines').all() as { callId: number; a: number }[]).map((l) => [l.callId, l.a]));
  let expectedTotal = 0;
  for (const call of human) {
    if (call.d === null) {
      violations.push(`person-answered call ${call.id} has no duration`);
      continue;
    }
    expectedTotal += rateCall(run.tariff, call.d).amountMinor;
    if (!lines.has(call.id)) violations.push(`person-answered call ${call.id} has no billing line`);
  }
  if (lines.size !== human.length) violations.push(`${lines.size} billing lines for ${human.length} person-answered calls`);
  const billedTotal = [...lines.values()].reduce((a, b) => a + b, 0);
  if (billedTotal !== expectedTotal) violations.push(`billed ${billedTotal}, person-answered calls rate to ${expectedTotal}`);

  // Outcomes agree, in the tables and in the report, for every list: responses = respondents,
  // billed calls = person-answered calls.
  violations.push(...(await outcomeDisagreements(run.database, run.clock, { defaultTariff: run.tariff, recordingsDir: run.recordingsDir })));

  // No response lost: every callee who keyed a valid score, and whose input webhook the dialer
  // took (a 2xx), has exactly that response. One the provider could not deliver (the dialer was
  // down) is lost at the provider, as on Vonage, and counted apart.
  const responses = new Map((sqlite.prepare(`SELECT c.phone_e164 AS phone, r.score FROM responses r JOIN contacts c ON c.id = r.contact_id`).all() as { phone: string; score: number }[]).map((r) => [r.phone, r.score]));
  let keyedScores = 0;
  let undeliveredScores = 0;
  for (const call of run.sandbox.calls()) {
    const scored = call.inputs.map((i) => ({ input: i, answer: interpretDtmf(i.digits) })).find((a) => a.answer.kind === 'score' || a.answer.kind === 'opt_out');
    if (scored?.answer.kind !== 'score') continue;
    if (!scored.input.delivered) {
      undeliveredScores++;
      continue;
    }
    keyedScores++;
    const phone = `+${call.to}`;
    if (responses.get(phone) !== scored.answer.score) violations.push(`${phone} keyed ${scored.answer.score}, stored ${responses.get(phone) ?? 'nothing'}`);
  }
  const downloads = sqlite.prepare(`SELECT comment_status AS s, count(*) AS n FROM responses GROUP BY comment_status`).all() as { s: string; n: number }[];
  const pendingDownloads = downloads.find((d) => d.s === 'pending')?.n ?? 0;
  if (pendingDownloads > 0) violations.push(`${pendingDownloads} recordings still pending`);
  const outcomes = (outcome: string) => (sqlite.prepare('SELECT count(*) AS n FROM calls WHERE outcome = ?').get(outcome) as { n: number }).n;
  return {
    violations,
    figures: {
      contacts: (sqlite.prepare('SELECT count(*) AS n FROM contacts').get() as { n: number }).n,
      calls: stats.callsCreated,
      rateLimited: stats.rateLimited,
      maxCreatesInAnyRollingSecond: stats.maxCreatesInAnyRollingSecond,
      serverErrors: stats.serverErrors,
      webhooksDuplicated: stats.webhooks.duplicated,
      webhooksDropped: stats.webhooks.dropped,
      webhooksRetried: stats.webhooks.retried,
      webhooksFailed: stats.webhooks.failed,
      keyedScores,
      undeliveredScores,
      responses: responses.size,
      respondents: (sqlite.prepare(`SELECT count(*) AS n FROM contacts WHERE status = 'responded'`).get() as { n: number }).n,
      billedCalls: lines.size,
      personAnsweredCalls: human.length,
      unservedCalls: outcomes('unserved'),
      lostCalls: outcomes('lost'),
      downloaded: downloads.find((d) => d.s === 'downloaded')?.n ?? 0,
      reconciled: (sqlite.prepare(`SELECT count(*) AS n FROM call_events e JOIN calls c ON c.id = e.call_id WHERE e.payload LIKE '%"reconciled":true%'`).get() as { n: number }).n,
    },
  };
}
