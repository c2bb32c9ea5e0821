import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock/index.js';
import { importList, SqliteImportSink } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { startSandbox, type CalleeAttempt, type Sandbox, type Scenario } from '../../src/sandbox/index.js';
import { freePort } from '../support/cli.js';
import { signCallback } from '../support/dialer.js';
import { tempDir } from '../support/factories.js';
import { WebhookProxy } from '../support/webhook-proxy.js';

/**
 * The whole campaign, as an operator runs it: `nps-dialer run` in its own process, the real
 * @vonage/server-sdk and webhook server, against the sandbox with one scripted callee per outcome.
 */

const number = (i: number) => `+4850000${String(i).padStart(4, '0')}`;
const answered = (keys: string[], extra: object = {}) => ({ outcome: 'answered' as const, ringSeconds: 3, keys, ...extra });

const CALLEES: Record<string, { name: string; attempts: CalleeAttempt[] }> = {
  [number(1)]: { name: 'scores 9 with hash and comments', attempts: [answered(['9#'], { comment: { seconds: 6, text: 'Great service', end: 'key' } })] },
  [number(2)]: { name: 'scores 10 (two keys)', attempts: [answered(['10'])] },
  [number(3)]: { name: 'scores 7 and waits', attempts: [answered(['7'])] },
  [number(4)]: { name: 'invalid 11, then 8', attempts: [answered(['11', '8#'])] },
  [number(5)]: { name: 'presses nothing twice', attempts: [answered(['', ''])] },
  [number(6)]: { name: 'busy twice, then 5', attempts: [{ outcome: 'busy' }, { outcome: 'busy' }, answered(['5#'])] },
  [number(7)]: { name: 'always busy', attempts: [{ outcome: 'busy' }] },
  [number(8)]: { name: 'unanswered, then 6', attempts: [{ outcome: 'unanswered', ringSeconds: 20 }, answered(['6#'])] },
  [number(9)]: { name: 'rings past the ringing timer', attempts: [{ outcome: 'timeout' }] },
  [number(10)]: { name: 'invalid number', attempts: [{ outcome: 'rejected', detail: 'invalid_number' }] },
  [number(11)]: { name: 'network failure, then 3', attempts: [{ outcome: 'failed', detail: 'cannot_route' }, answered(['3#'])] },
  [number(12)]: { name: 'voicemail every time', attempts: [{ outcome: 'machine' }] },
  [number(13)]: { name: 'opts out with star', attempts: [answered(['*'])] },
  [number(14)]: { name: 'hangs up during the question', attempts: [answered([], { hangup: { during: 'question', afterSeconds: 1 } })] },
};

const EXPECTED: Record<string, { status: string; attempts: number; score?: number }> = {
  [number(1)]: { status: 'responded', attempts: 1, score: 9 },
  [number(2)]: { status: 'responded', attempts: 1, score: 10 },
  [number(3)]: { status: 'responded', attempts: 1, score: 7 },
  [number(4)]: { status: 'responded', attempts: 1, score: 8 },
  [number(5)]: { status: 'answered_no_score', attempts: 1 },
  [number(6)]: { status: 'responded', attempts: 3, score: 5 },
  [number(7)]: { status: 'busy', attempts: 3 },
  [number(8)]: { status: 'responded', attempts: 2, score: 6 },
  [number(9)]: { status: 'unanswered', attempts: 3 },
  [number(10)]: { status: 'rejected', attempts: 1 },
  [number(11)]: { status: 'responded', attempts: 2, score: 3 },
  [number(12)]: { status: 'machine', attempts: 3 },
  [number(13)]: { status: 'opted_out', attempts: 1 },
  [number(14)]: { status: 'answered_no_score', attempts: 1 },
};

const CPS = 4;

describe('a survey campaign end to end against the sandbox', () => {
  const dir = tempDir('nps-e2e-');
  const databasePath = path.join(dir, 'campaign.db');
  const recordingsDir = path.join(dir, 'recordings');
  const applicationId = randomUUID();
  const signatureSecret = randomBytes(24).toString('hex');
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let sandbox: Sandbox;
  /** In front of the sandbox's API: the run's first create request is an event the test awaits. */
  let api: WebhookProxy | undefined;
  let listId: number;
  let exit: { code: number | null; stdout: string; stderr: string };
  let forged: { status: number; stateBefore: unknown; stateAfter: unknown } | undefined;
  let db: Database.Database;

  beforeAll(async () => {
    const keyFile = path.join(dir, 'private.key');
    writeFileSync(keyFile, pem);
    sandbox = await startSandbox({
      applicationId,
      privateKey: pem,
      signatureSecret,
      cps: CPS,
      timeScale: 100,
      seed: 7,
      scenario: { callees: Object.fromEntries(Object.entries(CALLEES).map(([n, c]) => [n, c])) } as Scenario,
      faults: { startedBeforeCreateResponse: 0.5, recordingAfterCompleted: true, recordingNotFoundDownloads: 1 },
    });
    const database = openDatabase({ path: databasePath });
    const file = path.join(dir, 'contacts.csv');
    writeFileSync(file, `phone,name,region\n${Object.keys(CALLEES).map((n, i) => `${n},"${CALLEES[n]!.name}",${i % 2 ? 'North' : 'South'}`).join('\n')}\n`);
    const summary = await importList({ sink: new SqliteImportSink(database), clock: new ManualClock(), logger: createSilentLogger(), file, name: 'e2e', script: { company: 'Acme' } });
    expect(summary.rejectedCount).toBe(0);
    listId = summary.listId!;
    database.close();

    api = await WebhookProxy.start(sandbox.port);
    api.holdWhileDown = false;
    // The attempt row is written before its create request is sent, so when the first request
    // reaches the proxy a call of this run exists in the database, not yet ended.
    const firstCreate = new Promise<void>((resolve) => {
      api!.onRequest = (request) => {
        if (request.method === 'POST' && request.path.startsWith('/v1/calls')) resolve();
      };
    });
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'run', String(listId), '--cps', String(CPS), '--max-concurrent', '6', '--max-attempts', '3', '--retry-delay', '1s', '--calling-hours', '00:00-24:00'],
      {
        env: {
          ...process.env,
          DATABASE_PATH: databasePath,
          RECORDINGS_DIR: recordingsDir,
          VONAGE_APPLICATION_ID: applicationId,
          VONAGE_PRIVATE_KEY: keyFile,
          VONAGE_SIGNATURE_SECRET: signatureSecret,
          VONAGE_FROM_NUMBER: '+447700900000',
          VONAGE_API_HOST: api.url,
          // Recordings are fetched from the sandbox itself, not through the proxy.
          RECORDING_DOWNLOAD_HOSTS: `127.0.0.1:${sandbox.port}`,
          VONAGE_ACCOUNT_CPS: String(CPS),
          PORT: String(port),
          LOG_LEVEL: 'warn',
          TARIFF_PER_MINUTE_MINOR: '30',
          TARIFF_INCREMENT: '1/1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('exit', resolve));

    // While the run is going: a forged `completed` for a real call must be refused and change nothing.
    await Promise.race([firstCreate, done]);
    const reader = new Database(databasePath, { readonly: true, fileMustExist: true });
    const call = reader.prepare(`SELECT id, ref, state FROM calls WHERE state <> 'ended' LIMIT 1`).get() as { id: number; ref: string; state: string } | undefined;
    if (call) {
      const body = JSON.stringify({ status: 'completed', uuid: 'forged', duration: '3600', price: '99.0' });
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/event/${call.ref}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: signCallback(body, { secret: 'a-forger-does-not-know-the-secret' }) },
        body,
      });
      forged = {
        status: response.status,
        stateBefore: call.state,
        stateAfter: (reader.prepare('SELECT count(*) AS n FROM call_events WHERE call_id = ? AND payload LIKE ?').get(call.id, '%forged%') as { n: number }).n,
      };
    }
    reader.close();
    exit = { code: await done, stdout, stderr };
    db = new Database(databasePath, { readonly: true });
  }, 120_000);

  afterAll(async () => {
    db?.close();
    await api?.close();
    await sandbox?.close();
  });

  it('exits 0 once every contact is final', () => {
    expect(exit.stderr).not.toMatch(/error/i);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(new RegExp(`List ${listId} is final`));
  });

  it('reaches the expected final state, attempt count and score for every scripted callee', () => {
    const rows = db
      .prepare(`SELECT c.phone_e164 AS phone, c.status, c.attempts, r.score FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id ORDER BY c.phone_e164`)
      .all() as { phone: string; status: string; attempts: number; score: number | null }[];
    expect(Object.fromEntries(rows.map((r) => [r.phone, { status: r.status, attempts: r.attempts, ...(r.score === null ? {} : { score: r.score }) }]))).toEqual(EXPECTED);
  });

  it('paced the calls: no 429, never more than the limit in a rolling second, never two live calls to one number', () => {
    const stats = sandbox.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.maxCreatesInAnyRollingSecond).toBeLessThanOrEqual(CPS);
    expect(stats.maxConcurrentCallsPerNumber).toBe(1);
    const attempts = Object.values(EXPECTED).reduce((sum, e) => sum + e.attempts, 0);
    expect(stats.callsCreated).toBe(attempts);
  });

  it('bills exactly the person-answered calls, once each, at the tariff', () => {
    const human = db.prepare(`SELECT id, duration_seconds AS d FROM calls WHERE outcome = 'human' ORDER BY id`).all() as { id: number; d: number }[];
    const lines = db.prepare('SELECT call_id AS callId, billable_seconds AS s, amount_minor AS a FROM billing_lines ORDER BY call_id').all() as { callId: number; s: number; a: number }[];
    // 10 callees reached a person (the opt-out and the hang-up included); machines and failures are free.
    expect(human).toHaveLength(10);
    expect(lines.map((l) => l.callId)).toEqual(human.map((h) => h.id));
    for (const line of lines) {
      const duration = human.find((h) => h.id === line.callId)!.d;
      expect(line.s).toBe(duration);
      expect(line.a).toBe(Math.floor((duration * 30 + 30) / 60));
    }
    const unbilled = db.prepare(`SELECT count(*) AS n FROM billing_lines b JOIN calls c ON c.id = b.call_id WHERE c.outcome <> 'human'`).get() as { n: number };
    expect(unbilled.n).toBe(0);
  });

  it('downloads the comment recording, although its webhook came after `completed` and the file 404ed first', () => {
    const comment = db
      .prepare(`SELECT r.comment_status AS status, r.comment_file AS file FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE c.phone_e164 = ?`)
      .get(number(1)) as { status: string; file: string };
    expect(comment.status).toBe('downloaded');
    expect(existsSync(path.join(recordingsDir, comment.file))).toBe(true);
  });

  it('suppresses the number that pressed star', () => {
    expect(db.prepare('SELECT source FROM suppressions WHERE phone_e164 = ?').get(number(13))).toEqual({ source: 'opt_out' });
  });

  it('refused a forged callback during the run and stored nothing of it', () => {
    expect(forged).toBeDefined();
    expect(forged!.status).toBe(401);
    expect(forged!.stateAfter).toBe(0);
  });
});
