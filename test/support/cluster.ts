import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { systemClock } from '../../src/clock/index.js';
import { resolveFromRoot } from '../../src/config/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { POOL_LANGUAGES, startSandbox, type Sandbox, type SandboxCallRecord } from '../../src/sandbox/index.js';
import { campaignNumber, testAccount, testPrivateKey } from './campaign.js';
import { exited, freePort, spawnCli } from './cli.js';
import { tempDir } from './factories.js';

/** Where Debian's haproxy is; null when it is not installed. */
export function haproxyBinary(): string | null {
  for (const candidate of ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy']) if (existsSync(candidate)) return candidate;
  return null;
}

export const HAPROXY_MISSING = "haproxy is not installed: the cluster's tests put Debian's haproxy in front of the nodes (apt-get install haproxy; .ci/run does)";

/** deploy/haproxy.cfg.template with its ports filled in: the load balancer the documentation shows. */
export function haproxyConfig(frontPort: number, nodePorts: readonly number[]): string {
  const servers = nodePorts.map((port, i) => `    server node-${i + 1} 127.0.0.1:${port} check`).join('\n');
  return readFileSync(resolveFromRoot('deploy/haproxy.cfg.template'), 'utf8').replaceAll('{{FRONT_PORT}}', String(frontPort)).replace('{{SERVERS}}', servers);
}

export interface ClusterNode {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

export interface RunningCluster {
  url: string;
  sandbox: Sandbox;
  listId: number;
  nodes: ClusterNode[];
  pool: pg.Pool;
  /** The node holding the dialer's lease now (by the database), or undefined. */
  leader(): Promise<ClusterNode | undefined>;
  /** Starts another node (after a kill, or to grow the cluster). */
  addNode(): Promise<ClusterNode>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** The PostgreSQL database the nodes share (a fresh one per test). */
  databaseUrl: string;
  nodes: number;
  contacts: number;
  cps: number;
  leaseSeconds?: number;
  seed?: number;
}

/**
 * Three (or N) `nps-dialer serve` processes on one PostgreSQL database, behind HAProxy on loopback,
 * dialing the sandbox: a list that accepts triggers holds the contacts, so whichever node is elected
 * dials it without a schedule. The sandbox's own records are what the checks read.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const haproxy = haproxyBinary();
  if (!haproxy) throw new Error(HAPROXY_MISSING);
  const dir = tempDir('nps-cluster-');
  const { applicationId, signatureSecret, keyFile } = testAccount(dir);
  const sandbox = await startSandbox({
    applicationId,
    privateKey: testPrivateKey(),
    signatureSecret,
    cps: options.cps,
    timeScale: 5,
    clock: systemClock,
    speech: { synthesis: 'off', transcription: { languages: [...POOL_LANGUAGES] } },
    seed: options.seed ?? 17,
    population: { outcomes: { answered: 65, busy: 10, unanswered: 10, machine: 10, failed: 5 }, commentRate: 0, invalidKeyRate: 0.05, noInputRate: 0.05, optOutRate: 0.02, hangupRate: 0.03 },
    logger: createSilentLogger(),
  });
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  const listId = await seedTriggeredList(pool, options);

  const frontPort = await freePort();
  const url = `http://127.0.0.1:${frontPort}`;
  const env = {
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_SIZE: '6',
    DIALER_LEASE_SECONDS: String(options.leaseSeconds ?? 10),
    RECORDINGS_DIR: path.join(dir, 'recordings'),
    // The leader's interim reports (a term that starts after 07:00 UTC catches up the morning's).
    REPORTS_DIR: path.join(dir, 'reports'),
    VONAGE_APPLICATION_ID: applicationId,
    VONAGE_PRIVATE_KEY: keyFile,
    VONAGE_SIGNATURE_SECRET: signatureSecret,
    VONAGE_FROM_NUMBER: '+447700900000',
    VONAGE_API_HOST: sandbox.url,
    VONAGE_ACCOUNT_CPS: String(options.cps),
    PUBLIC_BASE_URL: url,
    LOG_LEVEL: 'info',
    TARIFF_INCREMENT: '1/1',
    TARIFF_PER_MINUTE_MINOR: '30',
    TARIFF_CALL_FEE_MINOR: '5',
  };
  const nodes: ClusterNode[] = [];
  let named = 0;
  const ports: number[] = [];
  for (let i = 0; i < options.nodes; i++) ports.push(await freePort());
  const startNode = (port: number): ClusterNode => {
    const name = `node-${++named}`;
    let output = '';
    const child = spawnCli(['serve'], path.join(dir, 'unused.db'), { ...env, PORT: String(port), NODE_NAME: name });
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const node = { name, port, child, output: () => output };
    nodes.push(node);
    return node;
  };
  for (const port of ports) startNode(port);
  const configFile = path.join(dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig(frontPort, ports));
  const balancer = spawn(haproxy, ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let balancerOutput = '';
  balancer.stdout.setEncoding('utf8').on('data', (t: string) => (balancerOutput += t));
  balancer.stderr.setEncoding('utf8').on('data', (t: string) => (balancerOutput += t));
  await until(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok === true, () => `no node became ready behind HAProxy:\n${balancerOutput}\n${nodes.map((n) => n.output()).join('\n')}`);

  const byName = (holder: string | undefined) => nodes.find((n) => n.name === holder);
  return {
    url,
    sandbox,
    listId,
    nodes,
    pool,
    leader: async () => byName((await pool.query<{ holder: string }>(`SELECT holder FROM leases WHERE name = 'dialer' AND expires_at > $1`, [systemClock.now()])).rows[0]?.holder),
    // A node started later listens on a port HAProxy does not know: it campaigns and dials, but takes no webhooks.
    addNode: async () => startNode(await freePort()),
    close: async () => {
      for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
      await Promise.all(nodes.map((n) => exited(n.child)));
      balancer.kill('SIGTERM');
      await exited(balancer);
      await sandbox.close();
      await pool.end();
    },
  };
}

async function seedTriggeredList(pool: pg.Pool, options: ClusterOptions): Promise<number> {
  const now = systemClock.now();
  const policy = JSON.stringify({ cps: options.cps, maxConcurrent: 30, maxAttempts: 2, retryDelaySeconds: 5, callingHours: '00:00-24:00' });
  const list = await pool.query<{ id: number }>(
    `INSERT INTO lists (name, script, policy, state, accepts_triggers, created_at) VALUES ('cluster', '{"company":"Acme"}', $1, 'ready', 1, $2) RETURNING id`,
    [policy, now],
  );
  const listId = list.rows[0]!.id;
  const rows = Array.from({ length: options.contacts }, (_, i) => i);
  await pool.query(
    `INSERT INTO contacts (list_id, row_number, phone_e164, country, status, attempts, next_attempt_at, updated_at)
     SELECT $1, n + 2, phone, 'PL', 'pending', 0, $2, $2 FROM unnest($3::text[]) WITH ORDINALITY AS t(phone, n)`,
    [listId, now, rows.map(campaignNumber)],
  );
  return listId;
}

/** Polls `check` every 100 ms for real I/O (other processes) to happen, failing with `explain()` after `limitMs`. */
export async function until(check: () => Promise<boolean> | boolean, explain: () => string, limitMs = 120_000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > limitMs) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** When the provider created the call (its first timeline entry), epoch ms. */
export const createdAt = (call: SandboxCallRecord): number => Date.parse(call.timeline[0]!.timestamp);
