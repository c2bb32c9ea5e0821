/**
 * Import benchmark: a generated CSV (1,000,000 rows with --full, 200,000 by default) imported by the
 * built code in plain Node, as the product runs it (no tsx: its loader alone costs ~40 MB of RSS
 * and slows start-up):
 *
 *   - importList() from dist/ in a small script: the import's own speed and memory;
 *   - the CLI itself, `nps-dialer lists import … --json`: what a user sees, start-up included
 *     (the CLI loads only the `lists` command group);
 *   - against a bare better-sqlite3 batched insert of the same rows into an unindexed table (rows
 *     prepared beforehand, untimed): what SQLite alone can do on this machine in this run;
 *   - with BENCH_POSTGRES_URL set (postgres://user:password@host:port/database, a role that may
 *     create databases), importList() into PostgreSQL as well, beside the SQLite one of the same
 *     run: a database of its own is created, migrated and dropped for each measurement. Its CPU
 *     time and RSS are this process's only; the server's are not counted.
 *
 * Each measurement runs in a fresh process (peak RSS is that process's); with --runs N each runs N
 * times, interleaved, and the medians are reported. `npm run bench` builds first; run
 * `npm run build` before running this file directly.
 *
 *   npx tsx scripts/bench/import.ts [--full] [--rows N] [--runs N]
 *   BENCH_POSTGRES_URL=postgres://nps:nps@127.0.0.1:5432/postgres npm run bench -- --only import
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { argValue, isFull, printFigures, type Figure } from './lib.js';

const dir = path.resolve('data/bench');
const rowsWanted = Number(argValue('--rows') ?? (isFull ? 1_000_000 : 200_000));
const runs = Math.max(1, Number(argValue('--runs') ?? 1));
const csvPath = path.join(dir, `contacts-${rowsWanted}.csv`);
const dist = path.resolve('dist/src');
/** The PostgreSQL server the import is measured on too; unset: SQLite only. */
const postgresUrl = process.env.BENCH_POSTGRES_URL;

/** Deterministic rows in the formats people type: +48 …, 0048…, national with --country PL, E.164. */
function* rows(n: number): Generator<{ line: string; e164: string }> {
  const prefixes = ['50', '51', '53', '60', '66', '69', '72', '73', '78', '79', '88'];
  for (let i = 0; i < n; i++) {
    // 7654321 is coprime to 10^7, so i → the 7-digit suffix is a bijection: every number distinct.
    const national = `${prefixes[i % prefixes.length]}${String((i * 7_654_321 + 12_345) % 10_000_000).padStart(7, '0')}`;
    const style = i % 4;
    const phone =
      style === 0 ? `+48 ${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`
      : style === 1 ? `0048${national}`
      : style === 2 ? `${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`
      : `+48${national}`;
    const line = `${phone},Contact ${i},pl-PL,,${['North', 'South', 'East', 'West'][i % 4]},${['Retail', 'SMB'][i % 2]},Agent ${i % 50}`;
    yield { line, e164: `+48${national}` };
  }
}

async function ensureCsv(): Promise<void> {
  if (existsSync(csvPath)) return;
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(csvPath);
  out.write('phone,name,language,timezone,region,segment,agent\n');
  let buffer = '';
  for (const { line } of rows(rowsWanted)) {
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** Refuses to measure a dist/ older than the sources it runs (the benchmark would mislead). */
function checkBuild(): void {
  for (const module of ['contacts', 'db']) {
    for (const file of readdirSync(path.resolve('src', module)).filter((f) => f.endsWith('.ts'))) {
      const built = path.join(dist, module, file.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.resolve('src', module, file)).mtimeMs) {
        throw new Error(`${path.relative('.', built)} is missing or older than its source; run \`npm run build\` first`);
      }
    }
  }
}

interface Measured {
  rows: number;
  seconds: number;
  rssMb: number;
  /** CPU time of all the process's threads, s: steadier than rows/s on a shared machine. */
  cpuSeconds: number;
}

const distUrl = (file: string) => JSON.stringify(pathToFileURL(path.join(dist, file)).href);
const peakRss = 'Math.round(process.resourceUsage().maxRSS / 1024)';
const cpuSeconds = '(process.cpuUsage().user + process.cpuUsage().system) / 1e6';

/** importList() from the built code, in a plain-Node ES module (dist/ is imported by absolute URL). */
const scriptImport = `
import { rmSync } from 'node:fs';
const { importList, SqliteImportSink } = await import(${distUrl('contacts/index.js')});
const { openDatabase } = await import(${distUrl('db/index.js')});
const { ManualClock } = await import(${distUrl('clock/index.js')});
const { createSilentLogger } = await import(${distUrl('logging/index.js')});
const dbPath = process.env.BENCH_DB;
const database = openDatabase({ path: dbPath });
const started = performance.now();
const summary = await importList({ sink: new SqliteImportSink(database), clock: new ManualClock(), logger: createSilentLogger(), file: process.env.BENCH_CSV, name: 'bench', country: 'PL' });
const seconds = (performance.now() - started) / 1000;
database.close();
for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
console.log(JSON.stringify({ rows: summary.rows, seconds, rssMb: ${peakRss}, cpuSeconds: ${cpuSeconds} }));
`;

/** importList() into PostgreSQL, in a database of its own (created and migrated untimed, dropped after). */
const scriptPostgres = `
import { createRequire } from 'node:module';
const pg = createRequire(${JSON.stringify(path.resolve('package.json'))})('pg');
const { importList, PostgresImportSink } = await import(${distUrl('contacts/index.js')});
const { openPostgres } = await import(${distUrl('db/postgres/index.js')});
const { ManualClock } = await import(${distUrl('clock/index.js')});
const { createSilentLogger } = await import(${distUrl('logging/index.js')});
const server = new URL(process.env.BENCH_POSTGRES_URL);
const name = 'nps_bench_import_' + process.pid;
const admin = new pg.Pool({ connectionString: server.href, max: 1 });
await admin.query('CREATE DATABASE "' + name + '"');
try {
  const target = new URL(server.href);
  target.pathname = '/' + name;
  const database = await openPostgres({ url: target.href });
  const started = performance.now();
  const summary = await importList({ sink: new PostgresImportSink(database.pool), clock: new ManualClock(), logger: createSilentLogger(), file: process.env.BENCH_CSV, name: 'bench', country: 'PL' });
  const seconds = (performance.now() - started) / 1000;
  await database.close();
  console.log(JSON.stringify({ rows: summary.rows, seconds, rssMb: ${peakRss}, cpuSeconds: ${cpuSeconds} }));
} finally {
  await admin.query('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)');
  await admin.end();
}
`;

/** The bare baseline: the rows read and normalised beforehand (untimed), then inserted in 5,000-row transactions. */
const bareInsert = `
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
const Database = createRequire(${JSON.stringify(path.resolve('package.json'))})('better-sqlite3');
const dbPath = process.env.BENCH_DB;
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE t (list_id INTEGER, row_number INTEGER, phone TEXT, name TEXT, language TEXT, attributes TEXT)');
const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
const flush = db.transaction((batch) => { for (const r of batch) insert.run(r); });
// Every number of the generated file is Polish: its last nine digits after +48 are its E.164 form.
const all = readFileSync(process.env.BENCH_CSV, 'utf8').trim().split('\\n').slice(1).map((line, i) => {
  const [phone, name, language, , region, segment, agent] = line.split(',');
  return [1, i + 2, '+48' + phone.replace(/\\D/g, '').slice(-9), name, language, JSON.stringify({ region, segment, agent })];
});
const started = performance.now();
for (let i = 0; i < all.length; i += 5000) flush(all.slice(i, i + 5000));
const seconds = (performance.now() - started) / 1000;
db.close();
for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
console.log(JSON.stringify({ rows: all.length, seconds, rssMb: ${peakRss}, cpuSeconds: ${cpuSeconds} }));
`;

function runModule(source: string, label: string): Measured {
  const dbPath = path.join(dir, `${label}-${process.pid}.db`);
  // A file, not `node -e`: the import's worker threads inherit the process's flags, and
  // --input-type=module stops them loading their entry file.
  const program = path.join(mkdtempSync(path.join(tmpdir(), 'nps-bench-')), `${label}.mjs`);
  writeFileSync(program, source);
  const result = spawnSync(process.execPath, [program], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_CSV: csvPath, BENCH_DB: dbPath, LOG_LEVEL: 'warn' },
    maxBuffer: 64 * 1024 * 1024,
  });
  rmSync(path.dirname(program), { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Measured;
}

/** `nps-dialer lists import` from dist/, its peak RSS reported by a hook at exit; timed from outside, start-up included. */
function runCli(): Measured {
  const dbPath = path.join(dir, `cli-${process.pid}.db`);
  const report = `process.on('exit', () => process.stderr.write('peak-rss-mb ' + ${peakRss} + ' cpu-s ' + ${cpuSeconds} + '\\n'))`;
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(report)}`, path.join(dist, 'cli/main.js'), 'lists', 'import', csvPath, '--name', 'bench', '--country', 'PL', '--json'],
    { encoding: 'utf8', env: { ...process.env, DATABASE_PATH: dbPath, LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = (performance.now() - started) / 1000;
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  if (result.status !== 0) throw new Error(`the CLI import failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
  const summary = JSON.parse(result.stdout) as { imported: number; duplicates: number; rejectedCount: number };
  const usage = /peak-rss-mb (\d+) cpu-s ([\d.]+)/.exec(result.stderr);
  return { rows: summary.imported + summary.duplicates + summary.rejectedCount, seconds, rssMb: Number(usage?.[1]), cpuSeconds: Number(usage?.[2]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function benchImport(): Promise<Figure[]> {
  await ensureCsv();
  checkBuild();
  const measured: Record<'script' | 'cli' | 'bare' | 'postgres', Measured[]> = { script: [], cli: [], bare: [], postgres: [] };
  const kinds = postgresUrl ? (['script', 'cli', 'bare', 'postgres'] as const) : (['script', 'cli', 'bare'] as const);
  if (!postgresUrl) {
    process.stderr.write('import on PostgreSQL: not measured; set BENCH_POSTGRES_URL=postgres://user:password@host:port/database (a role that may create databases) to measure it beside SQLite\n');
  }
  // Interleaved, so that a burst of load from elsewhere on the machine hits every kind alike.
  for (let run = 0; run < runs; run++) {
    measured.script.push(runModule(scriptImport, 'import'));
    measured.cli.push(runCli());
    measured.bare.push(runModule(bareInsert, 'bare'));
    if (postgresUrl) measured.postgres.push(runModule(scriptPostgres, 'postgres'));
    for (const kind of kinds) process.stderr.write(`run ${run + 1} ${kind}: ${JSON.stringify(measured[kind][run])}\n`);
  }
  const rate = (m: Measured[]) => Math.round(median(m.map((x) => x.rows / x.seconds)));
  const rss = (m: Measured[]) => median(m.map((x) => x.rssMb));
  const cpu = (m: Measured[]) => Math.round(median(m.map((x) => x.cpuSeconds)) * 10) / 10;
  const bareRate = rate(measured.bare);
  const bareRss = rss(measured.bare);
  const sizeMb = Math.round(statSync(csvPath).size / 1e6);
  const of = runs > 1 ? ` (median of ${runs})` : '';
  const rows = measured.script[0]!.rows.toLocaleString('en-US');
  const figures: Figure[] = [];
  for (const [kind, label] of [
    ['script', `import ${rows} rows (${sizeMb} MB), importList${of}`],
    ['cli', `import ${rows} rows, the CLI${of}`],
  ] as const) {
    figures.push(
      { bench: label, metric: 'rows/s end to end', value: rate(measured[kind]), unit: 'rows/s', baseline: bareRate, baselineLabel: 'bare batched insert', ratio: rate(measured[kind]) / bareRate, target: '≥ 100,000 rows/s' },
      { bench: label, metric: 'peak RSS', value: rss(measured[kind]), unit: 'MB', baseline: bareRss, baselineLabel: 'bare insert, rows in memory', ratio: rss(measured[kind]) / bareRss, target: '< 200 MB' },
      { bench: label, metric: 'CPU time, all threads', value: cpu(measured[kind]), unit: 's' },
    );
  }
  if (postgresUrl) {
    const label = `import ${rows} rows, importList on PostgreSQL${of}`;
    const sqlite = rate(measured.script);
    figures.push(
      { bench: label, metric: 'rows/s end to end', value: rate(measured.postgres), unit: 'rows/s', baseline: sqlite, baselineLabel: 'importList on SQLite', ratio: rate(measured.postgres) / sqlite },
      { bench: label, metric: 'peak RSS (Node only)', value: rss(measured.postgres), unit: 'MB', baseline: rss(measured.script), baselineLabel: 'importList on SQLite', ratio: rss(measured.postgres) / rss(measured.script) },
      { bench: label, metric: 'CPU time, Node threads (server not counted)', value: cpu(measured.postgres), unit: 's' },
    );
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printFigures(await benchImport());
