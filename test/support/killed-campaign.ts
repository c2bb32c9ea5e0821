import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../../src/clock/index.js';
import { parseConfig } from '../../src/config/index.js';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { POOL_LANGUAGES, startSandbox } from '../../src/sandbox/index.js';
import { campaignNumber, checkSubject, testAccount, testPrivateKey } from './campaign.js';
import { exited, freePort, spawnCli } from './cli.js';
import { tempDir } from './factories.js';
import { WebhookProxy } from './webhook-proxy.js';

export interface KilledCampaignOptions {
  contacts: number;
  seed: number;
  /** The dialer is killed (SIGKILL) as the sandbox sends this many-th `started` webhook. */
  killAtStarted: number;
  /** Simulated seconds per real second in the sandbox (the dialer runs on real time). Default 5. */
  timeScale?: number;
}

/** What the restart did, in real milliseconds from the kill. */
export interface RestartFigures {
  /** Calls in flight (not ended) and, of them, creates without a provider uuid, when the first process died. */
  inFlightAtKill: number;
  createsWithoutUuidAtKill: number;
  /** The second process's account of what it found (its reconciliation log line). */
  reconciled: Record<string, number>;
  /** Until the second process logged that every call left in flight had ended; null if it never did. */
  killToInFlightSettledMs: number | null;
  /** The same, measured by the second process from the start of its reconciliation. */
  reconcileToSettledMs: number | null;
  /** Until the last contact reached its final status. */
  killToListFinalMs: number;
}

export interface KilledCampaign {
  exitCodes: (number | null)[];
  restart: RestartFigures;
  /** The invariants of every campaign, on the database both processes wrote. */
  check(): ReturnType<typeof checkSubject>;
  output: string;
  close(): Promise<void>;
}

const CPS = 20;
const RUN_ARGS = ['--cps', String(CPS), '--max-concurrent', '30', '--max-attempts', '3', '--retry-delay', '1s', '--calling-hours', '00:00-24:00'];

/**
 * kill -9 of `nps-dialer run` mid-campaign and an immediate restart, as in production: two real
 * processes on one database, the sandbox dating calls by the same wall clock, and webhooks sent to
 * a dead dialer failing at once (Vonage tries a second time, then drops a status event; the answer
 * of a call picked up meanwhile fails, so its callee hears nothing). The kill comes as the sandbox
 * sends the `killAtStarted`-th `started`, which it sends before its 201, so the dying process
 * leaves creates without a provider uuid, with other calls live.
 */
export async function runKilledCampaign(options: KilledCampaignOptions): Promise<KilledCampaign> {
  const dir = tempDir('nps-killed-');
  const { applicationId, signatureSecret, keyFile } = testAccount(dir);
  const sandbox = await startSandbox({
    applicationId,
    privateKey: testPrivateKey(),
    signatureSecret,
    cps: CPS,
    timeScale: options.timeScale ?? 5,
    clock: systemClock,
    speech: { synthesis: 'off', transcription: { languages: [...POOL_LANGUAGES] } },
    seed: options.seed,
    population: { outcomes: { answered: 60, busy: 12, unanswered: 10, machine: 10, failed: 4, rejected: 2, timeout: 2 }, commentRate: 0.4, invalidKeyRate: 0.1, noInputRate: 0.05, optOutRate: 0.03, hangupRate: 0.05 },
    faults: { startedBeforeCreateResponse: true },
    logger: createSilentLogger(),
  });
  const databasePath = path.join(dir, 'killed.db');
  const listId = seedList(databasePath, options.contacts);

  const port = await freePort();
  const proxy = await WebhookProxy.start(port);
  proxy.holdWhileDown = false;
  const recordingsDir = path.join(dir, 'recordings');
  const env = {
    RECORDINGS_DIR: recordingsDir,
    VONAGE_APPLICATION_ID: applicationId,
    VONAGE_PRIVATE_KEY: keyFile,
    VONAGE_SIGNATURE_SECRET: signatureSecret,
    VONAGE_FROM_NUMBER: '+447700900000',
    VONAGE_API_HOST: sandbox.url,
    PORT: String(port),
    PUBLIC_BASE_URL: proxy.url,
    LOG_LEVEL: 'info',
    TARIFF_INCREMENT: '1/1',
    TARIFF_PER_MINUTE_MINOR: '30',
    TARIFF_CALL_FEE_MINOR: '5',
  };
  let output = '';
  const logLines: { atMs: number; line: Record<string, unknown> }[] = [];
  const start = (): ChildProcess => {
    const child = spawnCli(['run', String(listId), ...RUN_ARGS], databasePath, env);
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          logLines.push({ atMs: performance.now(), line: JSON.parse(line) as Record<string, unknown> });
        } catch {
          // A progress line or a partial write: not a log entry.
        }
      }
    });
    return child;
  };
  const exitCode = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  const first = start();
  let started = 0;
  let killedAtMs = 0;
  let killedAtWall = 0;
  const killed = new Promise<void>((resolve) => {
    proxy.onRequest = (request) => {
      if (!request.path.startsWith('/webhooks/event/') || !request.body.includes('"status":"started"')) return;
      if (++started !== options.killAtStarted) return;
      first.kill('SIGKILL');
      killedAtMs = performance.now();
      killedAtWall = systemClock.now();
      resolve();
    };
  });
  const firstExit = exitCode(first);
  await Promise.race([killed, firstExit]);
  await exited(first);
  proxy.onRequest = undefined;
  const atKill = inFlight(databasePath);

  const logsBefore = logLines.length;
  const second = start();
  const secondExit = await exitCode(second);
  const restartLogs = logLines.slice(logsBefore);
  const reconciledLog = restartLogs.find((l) => l.line.message === 'reconciled the calls an earlier process left in flight');
  const reconciled = reconciledLog?.line ?? {};
  // Settled when the last call it followed ended, or at once when the reconciliation left none open.
  const settled =
    restartLogs.find((l) => l.line.message === 'every call left in flight by an earlier process has ended') ??
    (reconciledLog && Number(reconciled.live) + Number(reconciled.unresolved) === 0 ? reconciledLog : undefined);
  const database = openDatabase({ path: databasePath });
  const lastSettledAt = (database.sqlite.prepare('SELECT max(updated_at) AS at FROM contacts WHERE list_id = ?').get(listId) as { at: number }).at;
  const config = parseConfig({ ...env, DATABASE_PATH: databasePath, VONAGE_PRIVATE_KEY: testPrivateKey() }, { needsVonage: true });
  await sandbox.onIdle();

  return {
    exitCodes: [await firstExit, secondExit],
    output,
    restart: {
      ...atKill,
      reconciled: Object.fromEntries(['ended', 'live', 'foundInList', 'neverCreated', 'unresolved', 'lost'].map((key) => [key, Number(reconciled[key] ?? 0)])),
      killToInFlightSettledMs: settled ? Math.round(settled.atMs - killedAtMs) : null,
      reconcileToSettledMs: settled ? Number(settled.line.elapsedMs) : null,
      killToListFinalMs: lastSettledAt - killedAtWall,
    },
    check: () => checkSubject({ database, sandbox, resultKinds: [secondExit === 0 ? 'completed' : 'stopped'], tariff: config.defaultTariff, clock: systemClock, recordingsDir }),
    close: async () => {
      await proxy.close();
      await sandbox.close();
      database.close();
    },
  };
}

function seedList(databasePath: string, contacts: number): number {
  const database: AppDatabase = openDatabase({ path: databasePath });
  try {
    const { sqlite } = database;
    const now = systemClock.now();
    const listId = (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('killed', '{"company":"Acme"}', '{}', 'ready', ?) RETURNING id`).get(now) as { id: number }).id;
    const insert = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'pending', 0, ?, ?)`);
    sqlite.transaction(() => {
      for (let i = 0; i < contacts; i++) insert.run(listId, i + 2, campaignNumber(i), now, now);
    })();
    return listId;
  } finally {
    database.close();
  }
}

function inFlight(databasePath: string): { inFlightAtKill: number; createsWithoutUuidAtKill: number } {
  const reader = new Database(databasePath, { readonly: true });
  try {
    const count = (sql: string) => (reader.prepare(sql).get() as { n: number }).n;
    return {
      inFlightAtKill: count(`SELECT count(*) AS n FROM calls WHERE state <> 'ended'`),
      createsWithoutUuidAtKill: count(`SELECT count(*) AS n FROM calls WHERE state <> 'ended' AND provider_uuid IS NULL`),
    };
  } finally {
    reader.close();
  }
}
