/** Shared helpers for the benchmarks: child-process isolation, sizes, and the result table. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveFromRoot } from '../../src/config/index.js';

export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineLabel?: string;
  /** value / baseline, or a target ratio, as the bench defines it. */
  ratio?: number;
  target?: string;
}

export const isFull = process.argv.includes('--full');

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Runs `file` in a fresh Node process (with tsx) in the given mode and returns the JSON it prints
 * on its last stdout line. A fresh process per measurement makes peak RSS mean something.
 */
export function runChild<T>(file: string | URL, mode: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): T {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(file), '--child', mode, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`child ${mode} failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export function childMode(): string | undefined {
  const i = process.argv.indexOf('--child');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function printFigures(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.bench,
    f.metric,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline === undefined ? '' : `${fmt(f.baseline)} ${f.unit} (${f.baselineLabel ?? 'baseline'})`,
    f.ratio === undefined ? '' : f.ratio.toFixed(2),
    f.target ?? '',
  ]);
  const headers = ['bench', 'metric', 'value', 'baseline (same run)', 'ratio', 'target'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3);
}

export interface SandboxProcess {
  child: ChildProcess;
  url: string;
}

/**
 * The built CLI's `sandbox` in a process of its own (its CPU and memory are not the dialer's),
 * resolved with its URL once it listens. `env` carries the account's credentials.
 */
export async function startSandboxProcess(env: NodeJS.ProcessEnv, options: { cps: number; timeScale: number; scenario: string; seed?: number }): Promise<SandboxProcess> {
  // BENCH_SANDBOX_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the sandbox side.
  const nodeArgs = (process.env.BENCH_SANDBOX_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = ['sandbox', '--port', '0', '--cps', String(options.cps), '--time-scale', String(options.timeScale), '--seed', String(options.seed ?? 1), '--scenario', options.scenario];
  const child = spawn(process.execPath, [...nodeArgs, resolveFromRoot('dist', 'src', 'cli', 'main.js'), ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    // Not 'inherit': a sandbox left behind would hold the parent's pipe open.
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /VONAGE_API_HOST=(\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
  return { child, url };
}

/** USER_HZ: the unit of /proc times, 100 on Linux. */
const CLOCK_TICKS_PER_S = 100;

/** A process's CPU time so far (user + system, ms), from /proc; NaN where there is none. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/**
 * The whole machine's busy CPU time so far (every core, every process: user, nice, system, irq,
 * softirq, steal), ms, from /proc/stat: what a set of processes (nodes, database, load balancer,
 * sandbox) cost together.
 */
export function machineBusyCpuMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / CLOCK_TICKS_PER_S;
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}
