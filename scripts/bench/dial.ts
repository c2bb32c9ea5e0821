/**
 * Dialing benchmark: N contacts through the sandbox at several --cps values, with the real dialer
 * (runCampaign, its create-call worker thread with VonageTelephony over HTTP, the webhook server,
 * SQLite) in this process and the sandbox in its own process (the built CLI), so CPU and memory
 * are the dialer's alone.
 *
 * Figures per cps: achieved create rate against the configured one (target ≥ 0.98), 429s (target
 * 0), the most creates the sandbox saw in any rolling second, dialer CPU ms per call lifecycle,
 * webhook handling time in the dialer's server (p50/p99), the dialer thread's event-loop delay,
 * dialer peak RSS. With --full, cps 50,
 * 100, 150 and 200: the largest that keeps the ratio ≥ 0.98 with p99 < 100 ms is how far one
 * process goes on this machine.
 *
 *   npx tsx scripts/bench/dial.ts [--full] [--contacts N] [--cps 50,100,150,200]
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openContext } from '../../src/app/context.js';
import { startDialerRuntime } from '../../src/app/dialer-runtime.js';
import { systemClock } from '../../src/clock/index.js';
import { parseConfig } from '../../src/config/index.js';
import { consoleDeps } from '../../src/app/console.js';
import { mountConsole } from '../../src/console/index.js';
import { addClient, changeListSettings, SqliteClientStore, SqliteListStore } from '../../src/contacts/index.js';
import { runCampaign } from '../../src/dialer/index.js';
import { createLogger } from '../../src/logging/index.js';
import { argValue, childMode, isFull, peakRssMb, percentile, printFigures, processCpuMs, runChild, startSandboxProcess, type Figure } from './lib.js';

const dir = path.resolve('data/bench');
const TIME_SCALE = 200;
const LOOP_CHECK_MS = 10;

interface DialResult {
  cps: number;
  contacts: number;
  calls: number;
  /** Live-figure requests the console dashboards made during the run (0 without dashboards). */
  dashboardPolls: number;
  /** Polls that got no answer (a connect timeout on an overloaded machine). */
  dashboardPollsFailed: number;
  /** Comments whose text was read (0 with comment text off). */
  texts: number;
  achievedCps: number;
  rateLimited: number;
  maxInRollingSecond: number;
  cpuMsPerCall: number;
  rssMb: number;
  liveHeapMb?: number | undefined;
  /** Webhook handling time in the dialer's server (request received → response finished), ms. */
  webhookP50Ms: number;
  webhookP99Ms: number;
  webhooksPerCall: number;
  /** The dialer thread's event-loop utilisation over the run (0–1). */
  dialerThreadBusy: number;
  /** The sandbox process's CPU (all threads) per call: the provider's side, on the same cores. */
  sandboxCpuMsPerCall: number;
  /** The dialer thread's event-loop delay (monitorEventLoopDelay), ms. */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  final: number;
}

async function childDial(): Promise<void> {
  const cps = Number(argValue('--cps-one'));
  const contacts = Number(argValue('--contacts-one'));
  const runDir = path.join(dir, `dial-${process.pid}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const keyFile = path.join(runDir, 'private.key');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const scenario = path.join(runDir, 'scenario.json');
  // A realistic mix, one attempt each: the figure of interest is the create rate and the cost of
  // a call's whole life (create, status events, answer, input, recording, billing).
  writeFileSync(
    scenario,
    JSON.stringify({ callees: {}, population: { outcomes: { answered: 70, busy: 10, unanswered: 8, machine: 10, failed: 2 }, commentRate: Number(argValue("--comment-rate") ?? 0.3) },
      // The account transcribes the callees' Polish; the sandbox speaks no audio (the dialer's cost is measured, not espeak-ng's).
      speech: { synthesis: 'off', transcription: { languages: ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] } },
    }),
  );
  const vonageEnv = {
    VONAGE_APPLICATION_ID: randomUUID(),
    VONAGE_PRIVATE_KEY: keyFile,
    VONAGE_SIGNATURE_SECRET: randomBytes(24).toString('hex'),
    VONAGE_FROM_NUMBER: '+447700900000',
  };
  const sandbox = await startSandboxProcess(vonageEnv, { cps, timeScale: TIME_SCALE, scenario });
  try {
    const config = parseConfig(
      {
        ...vonageEnv,
        DATABASE_PATH: path.join(runDir, 'dial.db'),
        RECORDINGS_DIR: path.join(runDir, 'recordings'),
        PORT: '0',
        VONAGE_API_HOST: sandbox.url,
        VONAGE_ACCOUNT_CPS: String(cps),
        LOG_LEVEL: 'error',
        // Comment text (the provider's transcripts, read and classified off the webhook path) is on
        // unless the run is the baseline without it.
        TRANSCRIPTION_LANGUAGES: argValue('--comment-text') === 'off' ? 'none' : '',
        CONSOLE_OPERATOR_TOKEN: OPERATOR_TOKEN,
      },
      { needsVonage: true },
    );
    const ctx = await openContext({ config, clock: systemClock, logger: createLogger({ level: 'error', format: 'json' }) });
    // Contacts straight into SQLite: the import has its own benchmark.
    const listId = (ctx.database.sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('bench', '{"company":"Acme"}', '{}', 'ready', ?) RETURNING id`).get(Date.now()) as { id: number }).id;
    const insert = ctx.database.sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'pending', 0, 0, 0)`);
    ctx.database.sqlite.transaction(() => {
      for (let i = 0; i < contacts; i++) insert.run(listId, i + 2, `+4850${String(1_000_000 + i * 7).padStart(7, '0')}`);
    })();
    await changeListSettings({ lists: new SqliteListStore(ctx.database), listId, patch: { policy: { cps, maxConcurrent: Math.max(50, cps * 4), maxAttempts: 1, callingHours: '00:00-24:00' } } });
    const dashboards = Number(argValue('--dashboards') ?? 0);
    const { apiKey } = await addClient({ clients: new SqliteClientStore(ctx.database), clock: systemClock, name: 'bench client' });
    ctx.database.sqlite.prepare('UPDATE lists SET client_id = (SELECT max(id) FROM clients) WHERE id = ?').run(listId);
    // The web console on the dialer's own server (as `run` and `serve` mount it), watched or not.
    const runtime = await startDialerRuntime(ctx, { port: 0, host: '127.0.0.1', extra: mountConsole(consoleDeps(ctx, { gauges: () => runtime.deps.gauges?.snapshot() })) });
    const watching = await openDashboards(`http://127.0.0.1:${runtime.server.port}`, dashboards, { apiKey, listId });
    // Every webhook's time in our server, from its arrival to the last byte of the response: the
    // part of Vonage's answer budget the dialer spends, under the load of this cps.
    const latencies: number[] = [];
    runtime.server.server.on('request', (req, res) => {
      // Express has already routed the request (and cut its mount path from req.url) by now.
      const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
      if (!url.startsWith('/webhooks/')) return;
      const started = performance.now();
      res.on('finish', () => latencies.push(performance.now() - started));
    });
    // How late the dialer thread's event loop runs: the time a webhook or an answer waits to be read.
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_CHECK_MS });
    loopDelay.enable();
    const eluBefore = performance.eventLoopUtilization();
    const sandboxCpuBefore = processCpuMs(sandbox.child.pid);
    const cpuBefore = process.cpuUsage();
    const result = await runCampaign(runtime.deps, { listId, telephony: runtime.telephony, pacer: runtime.pacer, urls: runtime.urls, fromNumber: config.vonage!.fromNumber });
    const { polls: dashboardPolls, failed: dashboardPollsFailed } = watching.stop();
    await runtime.deps.recordings.drain(30_000);
    await runtime.deps.texts?.drain(30_000);
    const texts = (ctx.database.sqlite.prepare(`SELECT count(*) AS n FROM responses WHERE comment_text_status = 'ready'`).get() as { n: number }).n;
    const cpu = process.cpuUsage(cpuBefore);
    const elu = performance.eventLoopUtilization(eluBefore);
    const sandboxCpuMs = processCpuMs(sandbox.child.pid) - sandboxCpuBefore;
    loopDelay.disable();
    const span = ctx.database.sqlite.prepare('SELECT count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM calls').get() as { n: number; first: number; last: number };
    const final = (ctx.database.sqlite.prepare(`SELECT count(*) AS n FROM contacts WHERE status NOT IN ('pending', 'dialing')`).get() as { n: number }).n;
    await runtime.close();
    // Live heap after a full GC (with --expose-gc): separates a leak from V8's lazy collection.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const liveHeapMb = gc ? Math.round(process.memoryUsage().heapUsed / 1e6) : undefined;
    await ctx.close();
    const stats = (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as { rateLimited: number; maxCreatesInAnyRollingSecond: number };
    const out: DialResult = {
      cps,
      contacts,
      calls: span.n,
      achievedCps: ((span.n - 1) * 1000) / Math.max(1, span.last - span.first),
      rateLimited: stats.rateLimited,
      maxInRollingSecond: stats.maxCreatesInAnyRollingSecond,
      cpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, span.n),
      rssMb: peakRssMb(),
      liveHeapMb,
      webhookP50Ms: percentile(latencies, 0.5),
      webhookP99Ms: percentile(latencies, 0.99),
      webhooksPerCall: latencies.length / Math.max(1, span.n),
      dialerThreadBusy: elu.utilization,
      sandboxCpuMsPerCall: sandboxCpuMs / Math.max(1, span.n),
      // The histogram holds whole intervals between its 10 ms checks: the delay is the rest.
      loopDelayP50Ms: Math.max(0, Math.round(loopDelay.percentile(50) / 1e5 - LOOP_CHECK_MS * 10) / 10),
      loopDelayP99Ms: Math.max(0, Math.round(loopDelay.percentile(99) / 1e5 - LOOP_CHECK_MS * 10) / 10),
      final: result.kind === 'completed' ? final : -1,
      texts,
      dashboardPolls,
      dashboardPollsFailed,
    };
    console.log(JSON.stringify(out));
  } finally {
    sandbox.child.kill('SIGTERM');
    rmSync(runDir, { recursive: true, force: true });
  }
}

const OPERATOR_TOKEN = 'bench-operator-token-of-at-least-32-characters';
/** The console pages' poll interval (docs/console.md): live figures and the operator's state. */
const DASHBOARD_POLL_MS = 5_000;

/**
 * `count` open console pages, half the client's list page and half the operator's, each signed in
 * with its own session and polling its live URL at the page's interval, as a browser tab does.
 */
async function openDashboards(base: string, count: number, client: { apiKey: string; listId: number }): Promise<{ stop(): { polls: number; failed: number } }> {
  const timers: NodeJS.Timeout[] = [];
  let polls = 0;
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const operator = i % 2 === 1;
    const signIn = await fetch(`${base}/console/${operator ? 'operator/' : ''}sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: operator ? `token=${encodeURIComponent(OPERATOR_TOKEN)}` : `apiKey=${encodeURIComponent(client.apiKey)}`,
      redirect: 'manual',
    });
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0];
    if (signIn.status !== 303 || !cookie) throw new Error(`dashboard ${i} could not sign in: HTTP ${signIn.status}`);
    const url = operator ? `${base}/console/operator/status.json` : `${base}/console/lists/${client.listId}/live.json`;
    const poll = async () => {
      const res = await fetch(url, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`dashboard ${i}: ${url} answered ${res.status}`);
      await res.arrayBuffer();
      polls++;
    };
    await poll();
    // A poll the overloaded server could not answer is counted, as a browser tab shows it and polls again.
    const pollAgain = () =>
      void poll().catch(() => {
        failed++;
      });
    // Spread over the interval, as tabs opened at different moments are.
    timers.push(setTimeout(() => timers.push(setInterval(pollAgain, DASHBOARD_POLL_MS)), (DASHBOARD_POLL_MS * i) / Math.max(1, count)));
  }
  return {
    stop: () => {
      timers.forEach((t) => clearTimeout(t));
      return { polls, failed };
    },
  };
}

export async function benchDial(): Promise<Figure[]> {
  if (process.argv.includes('--console-only')) return benchConsoleDashboards(Number(argValue('--cps') ?? 200), Number(argValue('--contacts') ?? 3_000));
  const cpsList = (argValue('--cps') ?? (isFull ? '50,100,150,200' : '50,200')).split(',').map(Number);
  const contacts = Number(argValue('--contacts') ?? (isFull ? 10_000 : 3_000));
  const figures: Figure[] = [];
  for (const cps of cpsList) {
    const r = runChild<DialResult>(new URL(import.meta.url), 'dial', ['--cps-one', String(cps), '--contacts-one', String(contacts)]);
    const label = `dial ${r.contacts.toLocaleString('en-US')} contacts @ --cps ${cps}`;
    figures.push(
      { bench: label, metric: 'achieved create rate', value: r.achievedCps, unit: 'calls/s', baseline: cps, baselineLabel: 'configured', ratio: r.achievedCps / cps, target: 'ratio ≥ 0.98' },
      { bench: label, metric: '429s / max creates in a rolling s', value: r.rateLimited, unit: `429s (max ${r.maxInRollingSecond} creates in a rolling second)`, target: `0 429s, max ≤ ${cps}` },
      { bench: label, metric: 'dialer CPU per call lifecycle', value: r.cpuMsPerCall, unit: `ms, all threads (its event loop ${Math.round(r.dialerThreadBusy * 100)} % busy)` },
      { bench: label, metric: "sandbox CPU per call (Vonage's side)", value: r.sandboxCpuMsPerCall, unit: 'ms, same two cores' },
      { bench: label, metric: 'webhook time in the server p50/p99', value: r.webhookP99Ms, unit: `ms p99 (p50 ${r.webhookP50Ms} ms; ${r.webhooksPerCall.toFixed(1)} webhooks per call)`, target: 'p99 < 100 ms' },
      { bench: label, metric: 'dialer event-loop delay p50/p99', value: r.loopDelayP99Ms, unit: `ms p99 (p50 ${r.loopDelayP50Ms} ms)` },
      { bench: label, metric: 'dialer peak RSS', value: r.rssMb, unit: 'MB' },
    );
    if (r.final !== r.contacts) throw new Error(`dial run at cps ${cps} did not finish: ${r.final}/${r.contacts} final`);
  }
  // Comment text on (the runs above) against off, at the first cps: the webhook path must not pay for it.
  const cps = cpsList[0]!;
  const on = runChild<DialResult>(new URL(import.meta.url), 'dial', ['--cps-one', String(cps), '--contacts-one', String(contacts)]);
  const off = runChild<DialResult>(new URL(import.meta.url), 'dial', ['--cps-one', String(cps), '--contacts-one', String(contacts), '--comment-text', 'off']);
  const label = `dial ${contacts.toLocaleString('en-US')} contacts @ --cps ${cps}, comment text on (${on.texts} texts) vs off`;
  figures.push(
    { bench: label, metric: 'webhook time in the server p99', value: on.webhookP99Ms, unit: 'ms', baseline: off.webhookP99Ms, baselineLabel: 'comment text off', ratio: on.webhookP99Ms / Math.max(0.1, off.webhookP99Ms) },
    { bench: label, metric: 'achieved create rate', value: on.achievedCps, unit: 'calls/s', baseline: off.achievedCps, baselineLabel: 'comment text off', ratio: on.achievedCps / off.achievedCps },
    { bench: label, metric: 'dialer CPU per call lifecycle', value: on.cpuMsPerCall, unit: 'ms', baseline: off.cpuMsPerCall, baselineLabel: 'comment text off', ratio: on.cpuMsPerCall / off.cpuMsPerCall },
  );
  figures.push(...benchConsoleDashboards(cpsList[cpsList.length - 1]!, contacts));
  return figures;
}

/** Ten open console dashboards against none, at the highest cps: the live pages must not cost the pace. */
function benchConsoleDashboards(top: number, contacts: number): Figure[] {
  const watched = runChild<DialResult>(new URL(import.meta.url), 'dial', ['--cps-one', String(top), '--contacts-one', String(contacts), '--dashboards', '10']);
  const unwatched = runChild<DialResult>(new URL(import.meta.url), 'dial', ['--cps-one', String(top), '--contacts-one', String(contacts)]);
  const consoleLabel = `dial ${contacts.toLocaleString('en-US')} contacts @ --cps ${top}, ten console dashboards (${watched.dashboardPolls} polls${watched.dashboardPollsFailed ? `, ${watched.dashboardPollsFailed} unanswered` : ''}) vs none`;
  return [
    { bench: consoleLabel, metric: 'achieved create rate', value: watched.achievedCps, unit: 'calls/s', baseline: unwatched.achievedCps, baselineLabel: 'no dashboard', ratio: watched.achievedCps / unwatched.achievedCps },
    { bench: consoleLabel, metric: 'webhook time in the server p99', value: watched.webhookP99Ms, unit: 'ms', baseline: unwatched.webhookP99Ms, baselineLabel: 'no dashboard', ratio: watched.webhookP99Ms / Math.max(0.1, unwatched.webhookP99Ms) },
    { bench: consoleLabel, metric: '429s', value: watched.rateLimited, unit: `429s (max ${watched.maxInRollingSecond} creates in a rolling second)`, baseline: unwatched.rateLimited, baselineLabel: 'no dashboard' },
  ];
}

const mode = childMode();
if (mode === 'dial') await childDial();
else if (import.meta.url === `file://${process.argv[1]}`) printFigures(await benchDial());
