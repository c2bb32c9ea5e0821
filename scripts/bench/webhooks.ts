/**
 * Webhook benchmark: autocannon, in a second process on 127.0.0.1, replays realistic signed
 * callbacks (status events and DTMF inputs, 4:1) against the real webhook server with its SQLite
 * database, then the same load against a bare node:http server answering 204: requests/s and
 * p50/p99 latency side by side. Bounded: 10 connections, 10 s each (--full: 30 s).
 *
 *   npx tsx scripts/bench/webhooks.ts [--full] [--connections N] [--seconds N]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openContext } from '../../src/app/context.js';
import { startDialerRuntime } from '../../src/app/dialer-runtime.js';
import { systemClock } from '../../src/clock/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';
import { signCallback } from '../../test/support/dialer.js';
import { testPrivateKey } from '../../test/support/campaign.js';
import { argValue, childMode, isFull, printFigures, type Figure } from './lib.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

const CONNECTIONS = Number(argValue('--connections') ?? 10);
const SECONDS = Number(argValue('--seconds') ?? (isFull ? 30 : 10));
const CALLS = 1000;

/** Child: runs autocannon against the URL with the request list from stdin, prints the result. */
async function childLoad(): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { url, requests } = JSON.parse(Buffer.concat(chunks).toString()) as { url: string; requests: object[] };
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests: requests as never });
  const out: LoadResult = {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
  console.log(JSON.stringify(out));
}

/** autocannon in a child process (its CPU is not the server's): `requests` replayed in turn for `seconds`. */
export function load(url: string, requests: object[], options: { connections: number; seconds: number } = { connections: CONNECTIONS, seconds: SECONDS }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', 'load', '--connections', String(options.connections), '--seconds', String(options.seconds)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult) : reject(new Error(`load child exited ${code}`))));
    child.stdin.end(JSON.stringify({ url, requests }));
  });
}

/**
 * A campaign's callbacks for the calls with these refs, signed with the account's secret: a status
 * event per call (ringing or answered) and, for every fourth, the keyed score (4:1).
 */
export function webhookRequests(refs: readonly string[], secret: string): object[] {
  const requests: object[] = [];
  refs.forEach((ref, i) => {
    const event = JSON.stringify({ status: i % 2 ? 'ringing' : 'answered', uuid: randomUUID(), conversation_uuid: `CON-${randomUUID()}`, direction: 'outbound', from: '447700900000', to: '48502000000', timestamp: new Date().toISOString() });
    requests.push({ method: 'POST', path: `/webhooks/event/${ref}`, headers: { 'content-type': 'application/json', authorization: signCallback(event, { secret }) }, body: event });
    if (i % 4 === 0) {
      const input = JSON.stringify({ dtmf: { digits: String(i % 11), timed_out: true }, speech: { results: [] }, uuid: randomUUID(), conversation_uuid: `CON-${randomUUID()}`, timestamp: new Date().toISOString() });
      requests.push({ method: 'POST', path: `/webhooks/input/${ref}?step=question`, headers: { 'content-type': 'application/json', authorization: signCallback(input, { secret }) }, body: input });
    }
  });
  return requests;
}

export async function benchWebhooks(): Promise<Figure[]> {
  const dir = path.resolve('data/bench', `webhooks-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(24).toString('hex');
  const config = parseConfig(
    {
      DATABASE_PATH: path.join(dir, 'webhooks.db'),
      RECORDINGS_DIR: path.join(dir, 'recordings'),
      VONAGE_APPLICATION_ID: randomUUID(),
      VONAGE_PRIVATE_KEY: testPrivateKey(),
      VONAGE_SIGNATURE_SECRET: secret,
      VONAGE_FROM_NUMBER: '+447700900000',
      VONAGE_API_HOST: 'http://127.0.0.1:9',
      PORT: '0',
    },
    { needsVonage: true },
  );
  const ctx = await openContext({ config, clock: systemClock, logger: createLogger({ level: 'error', format: 'json' }) });
  const { sqlite } = ctx.database;
  // A list with CALLS live calls, as in the middle of a campaign.
  const listId = (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('bench', '{"company":"Acme"}', '{"callingHours":"00:00-24:00"}', 'ready', 0) RETURNING id`).get() as { id: number }).id;
  const refs: string[] = [];
  sqlite.transaction(() => {
    for (let i = 0; i < CALLS; i++) {
      const contactId = (sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'dialing', 1, 0, 0) RETURNING id`).get(listId, i + 2, `+4850${String(2_000_000 + i)}`) as { id: number }).id;
      const ref = randomBytes(16).toString('base64url');
      sqlite.prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, created_at) VALUES (?, ?, 1, ?, ?, 'started', 0)`).run(contactId, listId, ref, randomUUID());
      refs.push(ref);
    }
  })();
  const requests = webhookRequests(refs, secret);

  const runtime = await startDialerRuntime(ctx, { port: 0, host: '127.0.0.1' });
  // CPU time of this process (the webhook server; the load runs in a child) per request served:
  // on a shared machine it moves much less than requests/s.
  const cpuBefore = process.cpuUsage();
  const app = await load(`http://127.0.0.1:${runtime.server.port}`, requests);
  const cpu = process.cpuUsage(cpuBefore);
  await runtime.close();
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });

  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const address = bare.address();
  const baseline = await load(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, requests);
  bare.close();
  bare.closeAllConnections();

  const label = `webhooks: signed events + inputs, ${CONNECTIONS} connections, ${SECONDS} s`;
  if (app.errors > 0 || app.non2xx > 0) throw new Error(`webhook bench saw ${app.errors} errors and ${app.non2xx} non-2xx responses`);
  return [
    { bench: label, metric: 'requests/s', value: app.requestsPerSecond, unit: 'req/s', baseline: baseline.requestsPerSecond, baselineLabel: 'bare node:http 204', ratio: app.requestsPerSecond / baseline.requestsPerSecond },
    { bench: label, metric: 'CPU per callback', value: (cpu.user + cpu.system) / app.total, unit: 'µs' },
    { bench: label, metric: 'p50 latency', value: app.p50, unit: 'ms', baseline: baseline.p50, baselineLabel: 'bare node:http 204' },
    { bench: label, metric: 'p99 latency', value: app.p99, unit: 'ms', baseline: baseline.p99, baselineLabel: 'bare node:http 204', target: 'well under 5,000 ms (Vonage answer budget)' },
  ];
}

const mode = childMode();
if (mode === 'load') await childLoad();
else if (import.meta.url === `file://${process.argv[1]}`) printFigures(await benchWebhooks());
