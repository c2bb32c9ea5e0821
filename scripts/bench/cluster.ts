/**
 * Cluster benchmark (docs/adr/0014-cluster-on-postgresql.md): real `nps-dialer serve` processes
 * (the built CLI) on one PostgreSQL database behind HAProxy on loopback, against the sandbox in a
 * process of its own, each figure beside a baseline measured in the same run:
 *
 *   - webhooks: signed callbacks through the load balancer with 1, 2 and 3 nodes on PostgreSQL,
 *     beside one node on SQLite behind the same balancer (requests/s, p99, CPU per callback);
 *   - dial: a list dialled at --cps 50 and 200 by three nodes on PostgreSQL, beside one node on
 *     SQLite: the achieved create rate, 429s, the most creates in any rolling second, CPU per call;
 *   - failover: the dialing node killed (SIGKILL) mid-campaign; the time from its death to its
 *     successor's first create, beside a drained handover (SIGTERM) in the same campaign, and the
 *     campaign's invariants (nothing dialled twice, 0 × 429, the pace held).
 *
 * Needs BENCH_POSTGRES_URL (a role that may create databases; each measurement gets a database of
 * its own, dropped after) and Debian's haproxy; `npm run bench` builds dist/ first.
 *
 *   BENCH_POSTGRES_URL=postgres://nps:nps@127.0.0.1:5432/postgres npm run bench -- --only cluster
 *   npx tsx scripts/bench/cluster.ts [--full] [--parts webhooks,dial,failover] [--cps 50,200] [--contacts N] [--nodes 1,2,3] [--kill-first]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { systemClock } from '../../src/clock/index.js';
import { resolveFromRoot } from '../../src/config/index.js';
import { numbered } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { campaignNumber } from '../../test/support/campaign.js';
import { haproxyBinary, haproxyConfig, HAPROXY_MISSING, until } from '../../test/support/cluster.js';
import { exited, freePort } from '../../test/support/cli.js';
import { argValue, isFull, machineBusyCpuMs, printFigures, processCpuMs, startSandboxProcess, type Figure } from './lib.js';
import { load, webhookRequests } from './webhooks.js';

const postgresUrl = process.env.BENCH_POSTGRES_URL;
const root = path.resolve('data/bench', `cluster-${process.pid}`);
const TIME_SCALE = 200;
const WEBHOOK_CONNECTIONS = Number(argValue('--connections') ?? 30);
const WEBHOOK_SECONDS = Number(argValue('--seconds') ?? (isFull ? 30 : 10));
const LIVE_CALLS = 1000;
/** The lease of DIALER_LEASE_SECONDS's default: what the failover figure is bounded by. */
const LEASE_SECONDS = 15;

type Engine = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; database: string };

/** A statement runner over either engine, for the bench's own fixtures and checks (`?` placeholders). */
interface Sql {
  all<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs `work` in one transaction. */
  transaction(work: (run: (sql: string, params?: unknown[]) => Promise<{ id?: number }>) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

function sqlOn(engine: Engine): Sql {
  if (engine.kind === 'sqlite') {
    const db = new Database(engine.file);
    db.pragma('busy_timeout = 10000');
    return {
      all: <R>(sql: string, params: unknown[] = []) => Promise.resolve(db.prepare(sql).all(...params) as R[]),
      transaction: async (work) => {
        // This connection is the bench's own, so an explicit transaction may span the awaits of
        // statements that each ran synchronously.
        db.exec('BEGIN IMMEDIATE');
        try {
          await work((sql, params = []) => {
            const statement = db.prepare(sql);
            if (!statement.reader) statement.run(...params);
            return Promise.resolve(statement.reader ? ((statement.get(...params) as { id?: number } | undefined) ?? {}) : {});
          });
          db.exec('COMMIT');
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      },
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: engine.url, max: 2 });
  return {
    all: async <R>(sql: string, params: unknown[] = []) => (await pool.query(numbered(sql), params)).rows as R[],
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await work(async (sql, params = []) => ((await client.query(numbered(sql), params)).rows[0] as { id?: number } | undefined) ?? {});
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The account the sandbox and every node share: application, key file, signature secret. */
interface Account {
  env: Record<string, string>;
  secret: string;
  privateKey: string;
}

function makeAccount(dir: string): Account {
  const keyFile = path.join(dir, 'private.key');
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(keyFile, privateKey);
  const secret = randomBytes(24).toString('hex');
  return { secret, privateKey, env: { VONAGE_APPLICATION_ID: randomUUID(), VONAGE_PRIVATE_KEY: keyFile, VONAGE_SIGNATURE_SECRET: secret, VONAGE_FROM_NUMBER: '+447700900000' } };
}

let databases = 0;

/** A database of the measurement's own on BENCH_POSTGRES_URL's server (the nodes migrate it), or a SQLite file. */
async function freshEngine(kind: Engine['kind'], dir: string): Promise<{ engine: Engine; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { engine: { kind, file: path.join(dir, `node-${++databases}.db`) }, drop: () => Promise.resolve() };
  const name = `bench_cluster_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return {
    engine: { kind, url: url.toString(), database: name },
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

interface BenchNode {
  name: string;
  port: number;
  child: ChildProcess;
  log: string;
}

interface BenchCluster {
  url: string;
  nodes: BenchNode[];
  /** The node whose /healthz says it dials now, among the living. */
  leader(): Promise<BenchNode | undefined>;
  /** CPU time (ms) of every node process so far, the dead ones' last reading included. */
  nodesCpuMs(): number;
  stop(): Promise<void>;
}

/**
 * `count` `serve` processes of the built CLI on `engine`, behind HAProxy with the documented
 * configuration (deploy/haproxy.cfg.template), resolved once the balancer answers /readyz and one
 * node dials. Each runs in `dir` (no stray .env is read) and logs to its own file there.
 */
async function startNodes(options: { engine: Engine; count: number; account: Account; vonageApiHost: string; cps: number; dir: string }): Promise<BenchCluster> {
  const haproxy = haproxyBinary();
  if (!haproxy) throw new Error(HAPROXY_MISSING);
  const frontPort = await freePort();
  const url = `http://127.0.0.1:${frontPort}`;
  const ports: number[] = [];
  for (let i = 0; i < options.count; i++) ports.push(await freePort());
  const storage = options.engine.kind === 'sqlite' ? { DATABASE_PATH: options.engine.file } : { DATABASE_URL: options.engine.url, DIALER_LEASE_SECONDS: String(LEASE_SECONDS) };
  const lastCpu = new Map<number, number>();
  const nodes = ports.map((port, i): BenchNode => {
    const name = `node-${i + 1}`;
    const log = path.join(options.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the nodes.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, resolveFromRoot('dist', 'src', 'cli', 'main.js'), 'serve'], {
      cwd: options.dir,
      env: {
        PATH: process.env.PATH,
        ...options.account.env,
        ...storage,
        VONAGE_API_HOST: options.vonageApiHost,
        VONAGE_ACCOUNT_CPS: String(options.cps),
        PUBLIC_BASE_URL: url,
        RECORDINGS_DIR: path.join(options.dir, 'recordings'),
        REPORTS_DIR: path.join(options.dir, 'reports'),
        NODE_NAME: name,
        PORT: String(port),
        LOG_LEVEL: process.env.BENCH_NODE_LOG_LEVEL ?? 'warn',
        ...(process.env.PGOPTIONS ? { PGOPTIONS: process.env.PGOPTIONS } : {}),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    return { name, port, child, log };
  });
  const configFile = path.join(options.dir, `haproxy-${frontPort}.cfg`);
  writeFileSync(configFile, haproxyConfig(frontPort, ports));
  const balancer = spawn(haproxy, ['-f', configFile, '-db'], { stdio: 'ignore' });
  const alive = (n: BenchNode) => n.child.exitCode === null && n.child.signalCode === null;
  const cluster: BenchCluster = {
    url,
    nodes,
    leader: async () => {
      for (const node of nodes.filter(alive)) {
        const facts = (await fetchJson(`http://127.0.0.1:${node.port}/healthz`)) as { dialing?: boolean } | null;
        if (facts?.dialing) return node;
      }
      return undefined;
    },
    nodesCpuMs: () => {
      let total = 0;
      for (const node of nodes) {
        const now = processCpuMs(node.child.pid);
        if (!Number.isNaN(now)) lastCpu.set(node.child.pid!, now);
        total += lastCpu.get(node.child.pid!) ?? 0;
      }
      return total;
    },
    stop: async () => {
      await Promise.all(nodes.filter(alive).map((n) => stopProcess(n.child)));
      await stopProcess(balancer);
    },
  };
  try {
    await until(async () => (await fetchJson(`${url}/readyz`)) !== null && (await cluster.leader()) !== undefined, () => `the cluster did not come up:\n${nodes.map((n) => `--- ${n.name}\n${tail(n.log)}`).join('\n')}`, 60_000);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * The CPU time so far (ms) of the PostgreSQL backends serving `engine`'s database: the statements,
 * their WAL and their commits, the part of the cluster that adding nodes does not spread. The
 * server's shared processes (WAL writer, checkpointer) are left out: other databases use them too.
 * 0 on SQLite, whose database work is inside the node.
 */
function databaseCpuMs(engine: Engine): number {
  if (engine.kind === 'sqlite') return 0;
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${engine.database} `)) total += processCpuMs(Number(pid)) || 0;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

/** SIGTERM (a node drains), SIGKILL after 20 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited(child);
  clearTimeout(timer);
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}


/** A list in the middle of a campaign: `n` contacts each on a live call. Returns the calls' refs. */
async function seedLiveCalls(sql: Sql, n: number): Promise<string[]> {
  const refs: string[] = [];
  await sql.transaction(async (run) => {
    const { id: listId } = await run(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('bench', '{"company":"Acme"}', '{"callingHours":"00:00-24:00"}', 'ready', 0) RETURNING id`);
    for (let i = 0; i < n; i++) {
      const { id: contactId } = await run(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'dialing', 1, 0, 0) RETURNING id`, [listId, i + 2, campaignNumber(i)]);
      const ref = randomBytes(16).toString('base64url');
      await run(`INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, created_at) VALUES (?, ?, 1, ?, ?, 'started', 0)`, [contactId, listId, ref, randomUUID()]);
      refs.push(ref);
    }
  });
  return refs;
}

/** A list that takes triggered surveys holding `n` pending contacts: the elected node dials it without a schedule. */
async function seedTriggeredList(sql: Sql, n: number, cps: number, now: number): Promise<void> {
  const policy = JSON.stringify({ cps, maxConcurrent: Math.max(50, cps * 4), maxAttempts: 1, callingHours: '00:00-24:00' });
  await sql.transaction(async (run) => {
    const { id: listId } = await run(`INSERT INTO lists (name, script, policy, state, accepts_triggers, created_at) VALUES ('bench', '{"company":"Acme"}', ?, 'ready', 1, ?) RETURNING id`, [policy, now]);
    for (let i = 0; i < n; i++) {
      await run(`INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PL', 'pending', 0, ?, ?)`, [listId, i + 2, campaignNumber(i), now, now]);
    }
  });
}

/** A realistic mix, one attempt each, as the dial bench uses: the sandbox speaks no audio. */
const POPULATION = { outcomes: { answered: 70, busy: 10, unanswered: 8, machine: 10, failed: 2 }, commentRate: 0.3 };
const SPEECH = { synthesis: 'off' as const, transcription: { languages: ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] } };

function writeScenario(dir: string): string {
  const file = path.join(dir, 'scenario.json');
  writeFileSync(
    file,
    JSON.stringify({ callees: {}, population: POPULATION, speech: SPEECH }),
  );
  return file;
}

interface Topology {
  kind: Engine['kind'];
  count: number;
}

const describe = (t: Topology) => `${t.count} node${t.count === 1 ? '' : 's'} on ${t.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`;

/** One measurement's surroundings: its directory, account, database and nodes, torn down whatever happens. */
async function withCluster<T>(
  name: string,
  t: Topology,
  options: { cps: number; sandbox?: (account: Account, dir: string) => Promise<BenchSandbox> },
  body: (c: { cluster: BenchCluster; sql: Sql; engine: Engine; account: Account; sandbox?: BenchSandbox | undefined }) => Promise<T>,
): Promise<T> {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const account = makeAccount(dir);
  const sandbox = await options.sandbox?.(account, dir);
  try {
    const { engine, drop } = await freshEngine(t.kind, dir);
    try {
      const cluster = await startNodes({ engine, count: t.count, account, vonageApiHost: sandbox?.url ?? 'http://127.0.0.1:9', cps: options.cps, dir });
      const sql = sqlOn(engine);
      try {
        return await body({ cluster, sql, engine, account, sandbox });
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}\n${cluster.nodes.map((n) => `--- ${n.name}\n${tail(n.log)}`).join('\n')}`);
      } finally {
        await sql.close();
        await cluster.stop();
      }
    } finally {
      await drop();
    }
  } finally {
    await sandbox?.close();
  }
}

interface WebhookOutcome {
  t: Topology;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  /** Node processes' CPU per callback, µs. */
  nodeCpuUs: number;
  /** The CPU of the PostgreSQL backends serving the nodes, per callback, µs (0 on SQLite: the database is in the node). */
  databaseCpuUs: number;
  /** The whole machine's busy CPU per callback (nodes, database, balancer, load generator), µs. */
  machineCpuUs: number;
}

async function webhooksThrough(t: Topology): Promise<WebhookOutcome> {
  return withCluster(`webhooks-${t.kind}-${t.count}`, t, { cps: 50 }, async ({ cluster, sql, engine, account }) => {
    const requests = webhookRequests(await seedLiveCalls(sql, LIVE_CALLS), account.secret);
    const nodeCpu = cluster.nodesCpuMs();
    const database = databaseCpuMs(engine);
    const machine = machineBusyCpuMs();
    const r = await load(cluster.url, requests, { connections: WEBHOOK_CONNECTIONS, seconds: WEBHOOK_SECONDS });
    if (r.errors > 0 || r.non2xx > 0) throw new Error(`${describe(t)}: ${r.errors} errors and ${r.non2xx} non-2xx responses through the balancer`);
    return {
      t,
      requestsPerSecond: r.requestsPerSecond,
      p50: r.p50,
      p99: r.p99,
      total: r.total,
      nodeCpuUs: ((cluster.nodesCpuMs() - nodeCpu) * 1000) / r.total,
      databaseCpuUs: ((databaseCpuMs(engine) - database) * 1000) / r.total,
      machineCpuUs: ((machineBusyCpuMs() - machine) * 1000) / r.total,
    };
  });
}

export async function benchClusterWebhooks(): Promise<Figure[]> {
  const baseline = await webhooksThrough({ kind: 'sqlite', count: 1 });
  const figures: Figure[] = [];
  for (const count of (argValue('--nodes') ?? '1,2,3').split(',').map(Number)) {
    const r = await webhooksThrough({ kind: 'postgres', count });
    const label = `cluster webhooks through HAProxy, ${describe(r.t)}: ${WEBHOOK_CONNECTIONS} connections, ${WEBHOOK_SECONDS} s`;
    const base = `1 node on SQLite`;
    figures.push(
      { bench: label, metric: 'requests/s', value: r.requestsPerSecond, unit: 'req/s', baseline: baseline.requestsPerSecond, baselineLabel: base, ratio: r.requestsPerSecond / baseline.requestsPerSecond },
      { bench: label, metric: 'p50 latency', value: r.p50, unit: 'ms', baseline: baseline.p50, baselineLabel: base },
      { bench: label, metric: 'p99 latency', value: r.p99, unit: 'ms', baseline: baseline.p99, baselineLabel: base, target: 'well under 5,000 ms (Vonage answer budget)' },
      { bench: label, metric: 'node CPU per callback', value: r.nodeCpuUs, unit: 'µs, all nodes', baseline: baseline.nodeCpuUs, baselineLabel: `${base}, its database inside`, ratio: r.nodeCpuUs / baseline.nodeCpuUs },
      { bench: label, metric: 'database CPU per callback', value: r.databaseCpuUs, unit: "µs, the nodes' PostgreSQL backends" },
      { bench: label, metric: 'machine CPU per callback', value: r.machineCpuUs, unit: 'µs (nodes, database, balancer, load)', baseline: baseline.machineCpuUs, baselineLabel: base, ratio: r.machineCpuUs / baseline.machineCpuUs },
    );
  }
  return figures;
}

interface SandboxStats {
  callsCreated: number;
  activeCalls: number;
  /** Of rateLimited, the look-ups' (GET/PUT past 15 a second); the rest refused creates. */
  otherRequestsRateLimited: number;
  /** `failed`: callbacks that never got a 2xx after the provider's retries (an answer_url among them costs the call). */
  webhooks: { sent: number; failed: number; retried: number };
  rateLimited: number;
  maxCreatesInAnyRollingSecond: number;
  maxConcurrentCallsPerNumber: number;
}

interface CallRecord {
  to: string;
  nccoProblems: string[];
}

/**
 * When the nodes began their attempts from `since` on (epoch ms, the nodes' clock), in order. The
 * sandbox's own timestamps run at its --time-scale, so real rates and gaps are read here.
 */
async function attemptTimes(sql: Sql, since: number): Promise<number[]> {
  return (await sql.all<{ at: number }>('SELECT created_at AS at FROM calls WHERE created_at >= ? ORDER BY created_at', [since])).map((r) => Number(r.at));
}

/** The 429s the provider answered to creates: the pace's own measure. */
const creates429 = (stats: SandboxStats) => stats.rateLimited - stats.otherRequestsRateLimited;

async function sandboxStats(sandbox: BenchSandbox): Promise<SandboxStats> {
  return (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as SandboxStats;
}

async function sandboxCalls(sandbox: BenchSandbox): Promise<CallRecord[]> {
  return (await (await fetch(`${sandbox.url}/__sandbox/calls`)).json()) as CallRecord[];
}

/** The provider as the nodes see it: its URL (the sandbox's test endpoints included), and its end. */
interface BenchSandbox {
  url: string;
  close(): Promise<void>;
}

/** The built CLI's sandbox in a process of its own (its CPU is not the bench's); its clock runs at --time-scale. */
const sandboxFor = (cps: number) => async (account: Account, dir: string): Promise<BenchSandbox> => {
  const sandbox = await startSandboxProcess(account.env, { cps, timeScale: TIME_SCALE, scenario: writeScenario(dir) });
  return {
    url: sandbox.url,
    close: async () => {
      sandbox.child.kill('SIGTERM');
      await exited(sandbox.child);
    },
  };
};

/**
 * The sandbox in this process on the real clock: calls still last 1/TIME_SCALE of their simulated
 * time, but its records carry real times, so a successor's reconciliation can read the provider's
 * call list by the times it wrote (under a scaled clock the list's times run ahead of the nodes').
 */
const realTimeSandboxFor = (cps: number) => async (account: Account): Promise<BenchSandbox> => {
  const sandbox = await startSandbox({
    applicationId: account.env.VONAGE_APPLICATION_ID!,
    privateKey: account.privateKey,
    signatureSecret: account.secret,
    cps,
    timeScale: TIME_SCALE,
    clock: systemClock,
    seed: 1,
    population: POPULATION,
    speech: SPEECH,
    logger: createSilentLogger(),
  });
  return { url: sandbox.url, close: () => sandbox.close() };
};

/**
 * Waits for the provider to have created every contact's call and ended them all, then up to 10 s
 * for the nodes to settle the contacts. Returns how many stayed open: calls whose final callback
 * never got an answer (an overloaded node), which only the dialer's look-up at the end of the
 * call's longest life (minutes later, docs/reliability.md) settles.
 */
async function finished(sql: Sql, sandbox: BenchSandbox, contacts: number, limitMs: number, what: string): Promise<number> {
  let seen = '';
  const open = async () => {
    const statuses = await sql.all<{ status: string; n: number }>('SELECT status, count(*) AS n FROM contacts GROUP BY status ORDER BY status');
    seen = `contacts ${statuses.map((r) => `${r.status} ${r.n}`).join(', ')}`;
    return statuses.filter((r) => r.status === 'pending' || r.status === 'dialing').reduce((sum, r) => sum + Number(r.n), 0);
  };
  await until(
    async () => {
      const stats = await sandboxStats(sandbox);
      seen = `the provider created ${stats.callsCreated} calls, ${stats.activeCalls} live`;
      return (stats.callsCreated >= contacts && stats.activeCalls === 0) || (await open()) === 0;
    },
    () => `${what}: the list was not dialled in ${limitMs / 1000} s (${seen})`,
    limitMs,
  );
  const settled = performance.now();
  while ((await open()) > 0 && performance.now() - settled < 10_000) await new Promise((resolve) => setTimeout(resolve, 200));
  return open();
}

/** Creates of the same number beyond the attempts the database recorded for it: a double dial. */
async function overDialled(sql: Sql, calls: CallRecord[]): Promise<number> {
  const attempts = new Map((await sql.all<{ phone: string; attempts: number }>('SELECT phone_e164 AS phone, attempts FROM contacts')).map((r) => [r.phone, Number(r.attempts)]));
  const dialled = new Map<string, number>();
  for (const call of calls) dialled.set(`+${call.to}`, (dialled.get(`+${call.to}`) ?? 0) + 1);
  return [...dialled].filter(([phone, n]) => n > (attempts.get(phone) ?? 0)).length;
}

interface DialOutcome {
  t: Topology;
  calls: number;
  achievedCps: number;
  stats: SandboxStats;
  overDialled: number;
  /** Contacts still open once the provider had ended every call (their final callback failed). */
  unsettled: number;
  /** Calls that failed because their answer_url got no NCCO in time (the callee heard nothing). */
  answerFailures: number;
  nodeCpuMsPerCall: number;
  databaseCpuMsPerCall: number;
  machineCpuMsPerCall: number;
}

async function dialThrough(t: Topology, cps: number, contacts: number): Promise<DialOutcome> {
  return withCluster(`dial-${t.kind}-${t.count}-${cps}`, t, { cps, sandbox: sandboxFor(cps) }, async ({ cluster, sql, engine, sandbox }) => {
    const nodeCpu = cluster.nodesCpuMs();
    const database = databaseCpuMs(engine);
    const machine = machineBusyCpuMs();
    await seedTriggeredList(sql, contacts, cps, Date.now());
    const unsettled = await finished(sql, sandbox!, contacts, ((contacts / cps) * 4 + 120) * 1000, describe(t));
    const calls = await sandboxCalls(sandbox!);
    const times = await attemptTimes(sql, 0);
    return {
      t,
      calls: calls.length,
      achievedCps: ((times.length - 1) * 1000) / Math.max(1, times[times.length - 1]! - times[0]!),
      stats: await sandboxStats(sandbox!),
      overDialled: await overDialled(sql, calls),
      unsettled,
      answerFailures: calls.filter((c) => c.nccoProblems.some((p) => p.startsWith('answer_url'))).length,
      nodeCpuMsPerCall: (cluster.nodesCpuMs() - nodeCpu) / Math.max(1, calls.length),
      databaseCpuMsPerCall: (databaseCpuMs(engine) - database) / Math.max(1, calls.length),
      machineCpuMsPerCall: (machineBusyCpuMs() - machine) / Math.max(1, calls.length),
    };
  });
}

export async function benchClusterDial(): Promise<Figure[]> {
  const cpsList = (argValue('--cps') ?? '50,200').split(',').map(Number);
  const contacts = Number(argValue('--contacts') ?? (isFull ? 10_000 : 3_000));
  const figures: Figure[] = [];
  for (const cps of cpsList) {
    const one = await dialThrough({ kind: 'sqlite', count: 1 }, cps, contacts);
    const three = await dialThrough({ kind: 'postgres', count: 3 }, cps, contacts);
    for (const r of [one, three]) {
      if (r.calls !== contacts) throw new Error(`${describe(r.t)} @ --cps ${cps}: ${r.calls} creates for ${contacts} contacts of one attempt each`);
      if (r.overDialled > 0) throw new Error(`${describe(r.t)} @ --cps ${cps}: ${r.overDialled} numbers dialled more often than their attempts`);
    }
    const label = `cluster dial ${contacts.toLocaleString('en-US')} contacts @ --cps ${cps}, 3 nodes on PostgreSQL`;
    const base = '1 node on SQLite';
    figures.push(
      { bench: label, metric: 'achieved create rate', value: three.achievedCps, unit: 'calls/s', baseline: one.achievedCps, baselineLabel: base, ratio: three.achievedCps / cps, target: 'ratio to cps ≥ 0.98' },
      { bench: label, metric: 'creates refused (429)', value: creates429(three.stats), unit: '429s', baseline: creates429(one.stats), baselineLabel: base, target: '0' },
      { bench: label, metric: 'look-ups refused (429, past 15/s)', value: three.stats.otherRequestsRateLimited, unit: '429s', baseline: one.stats.otherRequestsRateLimited, baselineLabel: base },
      { bench: label, metric: 'max creates in any rolling second', value: three.stats.maxCreatesInAnyRollingSecond, unit: 'creates', baseline: one.stats.maxCreatesInAnyRollingSecond, baselineLabel: base, target: `≤ ${cps}` },
      { bench: label, metric: 'callbacks never answered (after retries)', value: three.stats.webhooks.failed, unit: `callbacks of ${three.stats.webhooks.sent.toLocaleString('en-US')}`, baseline: one.stats.webhooks.failed, baselineLabel: `${base}, of ${one.stats.webhooks.sent.toLocaleString('en-US')}`, target: '0' },
      { bench: label, metric: 'calls failed: answer_url unanswered', value: three.answerFailures, unit: 'calls', baseline: one.answerFailures, baselineLabel: base, target: '0' },
      { bench: label, metric: 'contacts left to the end-of-life look-up', value: three.unsettled, unit: 'contacts', baseline: one.unsettled, baselineLabel: base, target: '0' },
      { bench: label, metric: 'node CPU per call lifecycle', value: three.nodeCpuMsPerCall, unit: 'ms, all nodes', baseline: one.nodeCpuMsPerCall, baselineLabel: base, ratio: three.nodeCpuMsPerCall / one.nodeCpuMsPerCall },
      { bench: label, metric: 'database CPU per call lifecycle', value: three.databaseCpuMsPerCall, unit: "ms, the nodes' PostgreSQL backends" },
      { bench: label, metric: 'machine CPU per call lifecycle', value: three.machineCpuMsPerCall, unit: 'ms (nodes, database, balancer, sandbox)', baseline: one.machineCpuMsPerCall, baselineLabel: base, ratio: three.machineCpuMsPerCall / one.machineCpuMsPerCall },
    );
  }
  return figures;
}

interface Handover {
  /** From the signal to the first create by the successor, ms. */
  gapMs: number;
  from: string;
  to: string;
}

/**
 * Signals the dialing node once `after` more calls were created, and lets its successor dial a
 * while. The handover's cost is the longest pause between two creates from just before the signal
 * on (at 50 calls/s creates come 20 ms apart; a create the old node had in flight may still land
 * after the signal): from the signal to the create that ends that pause, the successor's first.
 */
async function handOver(cluster: BenchCluster, sql: Sql, sandbox: BenchSandbox, after: number, signal: NodeJS.Signals): Promise<Handover> {
  const start = (await sandboxStats(sandbox)).callsCreated;
  await until(async () => (await sandboxStats(sandbox)).callsCreated >= start + after, () => `the cluster did not dial ${after} calls`, 120_000);
  const dialer = await cluster.leader();
  if (!dialer) throw new Error('no node said it dials');
  dialer.child.kill(signal);
  const signalledAt = Date.now();
  const createdBefore = (await sandboxStats(sandbox)).callsCreated;
  await until(async () => (await sandboxStats(sandbox)).callsCreated > createdBefore + 100, () => `nobody dialled after ${dialer.name} got ${signal}`, 120_000);
  const times = await attemptTimes(sql, signalledAt - 1_000);
  let pause = { length: -1, end: signalledAt };
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > pause.length) pause = { length: times[i]! - times[i - 1]!, end: times[i]! };
  const successor = await cluster.leader();
  if (!successor || successor === dialer) throw new Error(`no other node said it dials after ${dialer.name} got ${signal}`);
  return { gapMs: pause.end - signalledAt, from: dialer.name, to: successor.name };
}

export async function benchClusterFailover(): Promise<Figure[]> {
  const cps = 50;
  const contacts = isFull ? 6_000 : 3_000;
  const t: Topology = { kind: 'postgres', count: 3 };
  const r = await withCluster('failover', t, { cps, sandbox: realTimeSandboxFor(cps) }, async ({ cluster, sql, sandbox }) => {
    await seedTriggeredList(sql, contacts, cps, Date.now());
    // A third of the list in, the dialer is stopped as in a deployment (SIGTERM, it drains); another
    // third later, its successor dies (SIGKILL). `--kill-first`: the other way round, so the drained
    // node is one still settling what a killed one left.
    const killFirst = process.argv.includes('--kill-first');
    const first = await handOver(cluster, sql, sandbox!, contacts / 3, killFirst ? 'SIGKILL' : 'SIGTERM');
    const second = await handOver(cluster, sql, sandbox!, contacts / 3, killFirst ? 'SIGTERM' : 'SIGKILL');
    const [killed, drained] = killFirst ? [first, second] : [second, first];
    const unsettled = await finished(sql, sandbox!, contacts, 300_000, 'failover');
    const calls = await sandboxCalls(sandbox!);
    const doubleBilled = (await sql.all<{ n: number }>('SELECT count(*) AS n FROM (SELECT call_id FROM billing_lines GROUP BY call_id HAVING count(*) > 1) d'))[0]!.n;
    return { killed, drained, unsettled, stats: await sandboxStats(sandbox!), calls: calls.length, overDialled: await overDialled(sql, calls), doubleBilled: Number(doubleBilled) };
  });
  const label = `cluster failover: ${contacts.toLocaleString('en-US')} contacts @ --cps ${cps}, 3 nodes on PostgreSQL, lease ${LEASE_SECONDS} s`;
  if (r.overDialled > 0 || r.doubleBilled > 0) throw new Error(`${label}: ${r.overDialled} numbers dialled twice, ${r.doubleBilled} calls billed twice`);
  return [
    { bench: label, metric: `dialer killed (SIGKILL, ${r.killed.from}) → first create by ${r.killed.to}`, value: r.killed.gapMs / 1000, unit: 's', baseline: r.drained.gapMs / 1000, baselineLabel: `drained handover (SIGTERM, ${r.drained.from} → ${r.drained.to})`, target: '< 30 s' },
    { bench: label, metric: 'creates refused (429) / max creates in any rolling second', value: creates429(r.stats), unit: `429s, max ${r.stats.maxCreatesInAnyRollingSecond} creates`, target: `0, max ≤ ${cps}` },
    { bench: label, metric: 'look-ups refused (429, past 15/s), retried', value: r.stats.otherRequestsRateLimited, unit: '429s (each node paces its own look-ups: two reconciling at once can pass 15/s)' },
    { bench: label, metric: 'numbers dialled twice / calls billed twice', value: r.overDialled + r.doubleBilled, unit: `(${r.calls} creates for ${contacts} contacts; max ${r.stats.maxConcurrentCallsPerNumber} live calls per number)`, target: '0' },
    { bench: label, metric: 'callbacks never answered', value: r.stats.webhooks.failed, unit: `of ${r.stats.webhooks.sent} sent (${r.unsettled} contacts left to the end-of-life look-up)`, target: '0' },
  ];
}

/** Every part, or those named by --parts. Without PostgreSQL or HAProxy, one line says what is missing. */
export async function benchCluster(): Promise<Figure[]> {
  if (!postgresUrl) {
    console.log('cluster: skipped, BENCH_POSTGRES_URL is not set (postgres://user:password@127.0.0.1:5432/postgres, a role that may create databases; scripts/postgres-local.sh starts one)');
    return [];
  }
  if (!haproxyBinary()) {
    console.log(`cluster: skipped, ${HAPROXY_MISSING}`);
    return [];
  }
  const parts = (argValue('--parts') ?? 'webhooks,dial,failover').split(',');
  rmSync(root, { recursive: true, force: true });
  try {
    const figures: Figure[] = [];
    const part = async (name: string, measure: () => Promise<Figure[]>) => {
      if (!parts.includes(name)) return;
      const measured = await measure();
      // Run on its own, each part's table as soon as it is measured: a later part's failure keeps it.
      if (runDirectly) printFigures(measured);
      figures.push(...measured);
    };
    await part('webhooks', benchClusterWebhooks);
    await part('dial', benchClusterDial);
    await part('failover', benchClusterFailover);
    return figures;
  } finally {
    // BENCH_KEEP=1 keeps the nodes' logs and files under data/bench/cluster-<pid>/.
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  }
}

const runDirectly = import.meta.url === `file://${process.argv[1]}`;
if (runDirectly) await benchCluster();
