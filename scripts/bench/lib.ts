/** Shared helpers for the benchmarks: child-process isolation, sizes, and the result table. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
