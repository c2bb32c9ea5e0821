/**
 * Import benchmark: a generated CSV (1,000,000 rows with --full, 200,000 by default) through the
 * real importer (CSV parsing, UTF-8 check, libphonenumber validation, staging, dedupe, the final
 * indexed insert), against a bare better-sqlite3 batched insert of the same, already-normalised
 * rows into an unindexed table. Each side runs in its own process; peak RSS is that process's.
 *
 *   npx tsx scripts/bench/import.ts [--full] [--rows N]
 */
import { createWriteStream, mkdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock/index.js';
import { importList } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { argValue, childMode, isFull, peakRssMb, printFigures, runChild, type Figure } from './lib.js';

const dir = path.resolve('data/bench');
const rowsWanted = Number(argValue('--rows') ?? (isFull ? 1_000_000 : 200_000));
const csvPath = path.join(dir, `contacts-${rowsWanted}.csv`);

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

async function childImport(): Promise<void> {
  const dbPath = path.join(dir, `import-${process.pid}.db`);
  const database = openDatabase({ path: dbPath });
  const started = performance.now();
  const summary = await importList({
    database,
    clock: new ManualClock(),
    logger: createSilentLogger(),
    file: csvPath,
    name: 'bench',
    country: 'PL',
  });
  const seconds = (performance.now() - started) / 1000;
  database.close();
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}-wal`, { force: true });
  rmSync(`${dbPath}-shm`, { force: true });
  console.log(JSON.stringify({ rows: summary.rows, imported: summary.imported, seconds, rssMb: peakRssMb() }));
}

function childBare(): void {
  const dbPath = path.join(dir, `bare-${process.pid}.db`);
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (list_id INTEGER, row_number INTEGER, phone TEXT, name TEXT, language TEXT, attributes TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
  const flush = db.transaction((batch: unknown[][]) => {
    for (const r of batch) insert.run(r);
  });
  // The rows are generated in memory beforehand, untimed: the baseline is the insert alone.
  const all = [...rows(rowsWanted)].map((r, i) => [1, i + 2, r.e164, `Contact ${i}`, 'pl-PL', '{"region":"North"}']);
  const started = performance.now();
  for (let i = 0; i < all.length; i += 5000) flush(all.slice(i, i + 5000));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}-wal`, { force: true });
  rmSync(`${dbPath}-shm`, { force: true });
  console.log(JSON.stringify({ rows: all.length, seconds, rssMb: peakRssMb() }));
}

export async function benchImport(): Promise<Figure[]> {
  await ensureCsv();
  const self = new URL(import.meta.url);
  const imported = runChild<{ rows: number; imported: number; seconds: number; rssMb: number }>(self, 'import', process.argv.slice(2));
  const bare = runChild<{ rows: number; seconds: number; rssMb: number }>(self, 'bare', process.argv.slice(2));
  const rate = Math.round(imported.rows / imported.seconds);
  const bareRate = Math.round(bare.rows / bare.seconds);
  const sizeMb = Math.round(statSync(csvPath).size / 1e6);
  return [
    { bench: `import ${imported.rows.toLocaleString('en-US')} rows (${sizeMb} MB)`, metric: 'rows/s end to end', value: rate, unit: 'rows/s', baseline: bareRate, baselineLabel: 'bare batched insert', ratio: rate / bareRate, target: '≥ 100,000 rows/s' },
    { bench: 'import', metric: 'peak RSS', value: imported.rssMb, unit: 'MB', baseline: bare.rssMb, baselineLabel: 'bare insert, rows in memory', ratio: imported.rssMb / bare.rssMb, target: '< 200 MB' },
  ];
}

const mode = childMode();
if (mode === 'generate') await ensureCsv();
else if (mode === 'import') await childImport();
else if (mode === 'bare') childBare();
else if (import.meta.url === `file://${process.argv[1]}`) printFigures(await benchImport());
