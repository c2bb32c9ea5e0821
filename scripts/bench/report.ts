/**
 * Report benchmark: a list of 1,000,000 contacts (--rows N to change), every one with a call, a
 * response and a billing line, 10 % with a recorded comment, three attribute columns and two
 * languages, in a temporary SQLite file. Times the JSON report (buildReport + JSON.stringify)
 * against bare SQL that computes the same aggregates with plain GROUP BY statements (the obvious
 * implementation, docs/adr/0005-report-aggregation.md), each in its own process so that peak RSS
 * is that side's alone. With --wave, a second list of the same people is built and its report (with the
 * wave comparison and migration table) is timed too.
 *
 * With BENCH_POSTGRES_URL set (postgres://user:password@host:port/database, a role that may create
 * databases), the same rows are written to a fresh PostgreSQL database (bench_report_<pid>, dropped
 * at the end) and the same report is timed on it beside the SQLite one of this run. The run fails
 * unless both reports are equal: a figure for a different answer would mean nothing. Peak RSS is
 * the Node process's only; the server's memory and CPU are not counted.
 *
 *   npx tsx scripts/bench/report.ts [--rows N] [--wave]
 *   BENCH_POSTGRES_URL=postgres://nps:nps@127.0.0.1:5432/postgres npx tsx scripts/bench/report.ts
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ManualClock } from '../../src/clock/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { openDatabase, PostgresReader, sqliteReader, type SqlReader } from '../../src/db/index.js';
import { openPostgres } from '../../src/db/postgres/index.js';
import { buildReport } from '../../src/reports/index.js';
import { argValue, childMode, peakRssMb, printFigures, runChild, type Figure } from './lib.js';

const rowsWanted = Number(argValue('--rows') ?? 1_000_000);
const withWave = process.argv.includes('--wave');
const TARIFF = { currency: 'EUR', callFeeMinor: 0, perMinuteMinor: 12, firstIncrementSeconds: 60, nextIncrementSeconds: 60 };
/** The PostgreSQL server the report is timed on too; unset: SQLite only. */
const postgresUrl = process.env.BENCH_POSTGRES_URL;

/**
 * The statements that fill list `listId` with `n` contacts, in SQL both SQLite and PostgreSQL run:
 * a few INSERT … SELECT over a recursive sequence, about ten times faster than row-by-row inserts,
 * with nothing held in JavaScript. Ids are offset per list so that both waves share phone numbers
 * (the same people). The attributes are spelled out as the compact text the importer's
 * JSON.stringify writes: the report groups contacts by that text, so both engines must hold the
 * same. Epoch milliseconds are cast to bigint: id * 1000 overflows PostgreSQL's integer beyond
 * 2,147,483 ids.
 */
function fillStatements(listId: number, n: number, previous: number | null): string[] {
  const base = (listId - 1) * n;
  const range = `id > ${base} AND id <= ${base + n}`;
  const ms = (offset: number) => `${1767600000000 + offset} + CAST(id AS BIGINT) * 1000`;
  return [
    `INSERT INTO lists (id, name, previous_list_id, script, policy, state, created_at) VALUES (${listId}, 'bench-${listId}', ${previous ?? 'NULL'}, '{"company":"Bench"}', '{}', 'ready', 0)`,
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})
    INSERT INTO contacts (id, list_id, row_number, phone_e164, country, language, attributes, status, attempts, updated_at)
    SELECT ${base} + i + 1, ${listId}, i + 2, '+48' || (500000000 + i), 'PL', CASE i % 3 WHEN 0 THEN 'en-US' ELSE 'pl-PL' END,
      '{"region":"' || CASE i % 4 WHEN 0 THEN 'North' WHEN 1 THEN 'South' WHEN 2 THEN 'East' ELSE 'West' END
        || '","segment":"' || CASE i % 2 WHEN 0 THEN 'Retail' ELSE 'SMB' END || '","agent":"Agent ' || (i % 50) || '"}',
      'responded', 1, 0
    FROM seq`,
    `INSERT INTO calls (id, contact_id, list_id, attempt, ref, provider_uuid, state, outcome, answered_by, created_at, answered_at, ended_at, duration_seconds, provider_price_micros)
    SELECT id, id, ${listId}, 1, 'r' || id, 'u' || id, 'ended', 'human', 'human', ${ms(0)}, ${ms(5000)}, ${ms(65000)}, 60, 14000
    FROM contacts WHERE ${range}`,
    // Scores spread over 0–10 with a wave-dependent tilt, so the two waves differ.
    `INSERT INTO responses (id, contact_id, call_id, list_id, score, comment_status, comment_file, comment_seconds, created_at)
    SELECT id, id, id, ${listId}, CASE WHEN ((id * 7) % 11) + ${listId - 1} > 10 THEN 10 ELSE ((id * 7) % 11) + ${listId - 1} END,
      CASE WHEN id % 10 = 0 THEN 'downloaded' ELSE 'none' END,
      CASE WHEN id % 10 = 0 THEN 'list-${listId}/call-' || id || '.mp3' END,
      CASE WHEN id % 10 = 0 THEN 12 END, 0
    FROM contacts WHERE ${range}`,
    `INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at)
    SELECT id, ${listId}, NULL, 60, 12, 'EUR', 14000, 0 FROM calls WHERE ${range}`,
  ];
}

function fillList(db: Database.Database, listId: number, n: number, previous: number | null): void {
  for (const statement of fillStatements(listId, n, previous)) db.exec(statement);
}

/** fillList() on PostgreSQL: the same statements, so the same rows. */
async function fillListOnPostgres(client: pg.ClientBase, listId: number, n: number, previous: number | null): Promise<void> {
  for (const statement of fillStatements(listId, n, previous)) await client.query(statement);
}

function childGenerate(file: string): void {
  const started = performance.now();
  openDatabase({ path: file }).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  fillList(db, 1, rowsWanted, null);
  if (withWave) fillList(db, 2, rowsWanted, 1);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000 }));
}

/** The URL of database `name` on the BENCH_POSTGRES_URL server. */
function postgresDatabaseUrl(name: string): string {
  const target = new URL(postgresUrl!);
  target.pathname = `/${name}`;
  return target.href;
}

/** Runs `statement` on the server's admin database (CREATE and DROP DATABASE run outside the target). */
async function onAdminDatabase(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/**
 * Creates database `name`, migrates it as the product does, fills it like the SQLite file and
 * analyses it: the report is timed on settled tables with fresh statistics, as on a server whose
 * autovacuum has caught up. Commits skip the WAL flush, like the SQLite fill's synchronous = OFF.
 */
async function childGeneratePostgres(name: string): Promise<void> {
  const started = performance.now();
  await onAdminDatabase(`CREATE DATABASE "${name}"`);
  const database = await openPostgres({ url: postgresDatabaseUrl(name), poolSize: 1, applicationName: 'nps-dialer bench' });
  try {
    const client = await database.pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
      await fillListOnPostgres(client, 1, rowsWanted, null);
      if (withWave) await fillListOnPostgres(client, 2, rowsWanted, 1);
      await client.query('VACUUM ANALYZE');
      const size = await client.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes');
      console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, sizeMb: Math.round(size.rows[0]!.bytes / 1e6) }));
    } finally {
      client.release();
    }
  } finally {
    await database.close();
  }
}

/**
 * Drops database `name`, ending any session left on it. An autovacuum worker the server starts on
 * the database can still hold the drop back a moment, hence the few attempts.
 */
async function childDropPostgres(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await onAdminDatabase(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      console.log(JSON.stringify({ dropped: name }));
      return;
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Builds and serialises the report of `listId` through `reader`, timed; writes the JSON to `out` afterwards, untimed. */
async function timeReport(reader: SqlReader, listId: number, out: string): Promise<ReportRun> {
  const config = { defaultTariff: TARIFF, recordingsDir: tmpdir() };
  const started = performance.now();
  const report = await buildReport({ reader, listSettings: (id) => new ListSettingsBook(reader, config).load(id), clock: new ManualClock(), config }, { listId });
  const json = JSON.stringify(report);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(out, json);
  return { seconds, rssMb: peakRssMb(), bytes: json.length, responses: report.responses, nps: report.nps, matched: report.wave?.panel.matched ?? 0 };
}

async function childReport(file: string, listId: number, out: string): Promise<void> {
  const database = openDatabase({ path: file, readonly: true });
  const run = await timeReport(sqliteReader(database), listId, out);
  database.close();
  console.log(JSON.stringify(run));
}

async function childReportPostgres(name: string, listId: number, out: string): Promise<void> {
  const database = await openPostgres({ url: postgresDatabaseUrl(name), migrate: false, applicationName: 'nps-dialer bench' });
  try {
    // Connected before the clock starts, as the SQLite file is opened before it.
    await database.pool.query('SELECT 1');
    console.log(JSON.stringify(await timeReport(new PostgresReader(database.pool), listId, out)));
  } finally {
    await database.close();
  }
}

/** The same figures from plain SQL: statuses, scores, comments, calls, billing, segments by GROUP BY. */
function childBare(file: string, listId: number): void {
  const db = new Database(file, { readonly: true });
  const started = performance.now();
  db.prepare('SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status').all(listId);
  db.prepare('SELECT score, count(*) AS n FROM responses WHERE list_id = ? GROUP BY score').all(listId);
  db.prepare('SELECT comment_status, count(*), sum(comment_seconds) FROM responses WHERE list_id = ? GROUP BY comment_status').all(listId);
  db.prepare(`SELECT count(*), sum(outcome = 'human'), min(created_at), max(coalesce(ended_at, answered_at, created_at)), sum(provider_price_micros) FROM calls WHERE list_id = ?`).get(listId);
  db.prepare('SELECT count(*), sum(billable_seconds), sum(amount_minor), max(currency), sum(provider_price_micros) FROM billing_lines WHERE list_id = ?').get(listId);
  db.prepare(
    `SELECT c.attributes, c.language, count(*), count(r.id), sum(r.score >= 9), sum(r.score <= 6)
     FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id WHERE c.list_id = ? GROUP BY c.attributes, c.language`,
  ).all(listId);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  console.log(JSON.stringify({ seconds, rssMb: peakRssMb() }));
}

interface ReportRun {
  seconds: number;
  rssMb: number;
  bytes: number;
  responses: number;
  nps: number | null;
  matched: number;
}

/** Where two JSON values differ, as paths with both values: the first `limit` of them. */
function differences(a: unknown, b: unknown, at = '$', found: string[] = [], limit = 10): string[] {
  if (found.length >= limit || isDeepStrictEqual(a, b)) return found;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`, found, limit);
  } else {
    found.push(`${at}: SQLite ${JSON.stringify(a)}, PostgreSQL ${JSON.stringify(b)}`);
  }
  return found;
}

/**
 * Throws unless the two reports (JSON files) are equal but for generatedAt, the report's own
 * timestamp: everything else (counts, scores, NPS and its interval, segments, agents, the wave) is
 * computed from the rows, and the rows are the same.
 */
function assertSameReport(sqliteJson: string, postgresJson: string, listId: number): void {
  const read = (file: string) => {
    const { generatedAt: _generatedAt, ...report } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return report;
  };
  const found = differences(read(sqliteJson), read(postgresJson));
  if (found.length > 0) {
    throw new Error(`the report of list ${listId} on PostgreSQL differs from the one on SQLite, so its time would not compare:\n  ${found.join('\n  ')}`);
  }
}

export function benchReport(): Figure[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'nps-bench-report-'));
  const file = path.join(dir, 'report.db');
  const out = (engine: string, listId: number) => path.join(dir, `report-${engine}-${listId}.json`);
  const postgresName = `bench_report_${process.pid}`;
  const self = new URL(import.meta.url);
  const args = process.argv.slice(2).filter((a) => a !== '--child');
  try {
    const generated = runChild<{ seconds: number }>(self, 'generate', [...args, '--file', file]);
    const sizeMb = Math.round(statSync(file).size / 1e6);
    const report = runChild<ReportRun>(self, 'report', [...args, '--file', file, '--list', '1', '--out', out('sqlite', 1)]);
    const bare = runChild<{ seconds: number; rssMb: number }>(self, 'bare', [...args, '--file', file, '--list', '1']);
    const label = `report ${report.responses.toLocaleString('en-US')} responses (${sizeMb} MB db, built in ${generated.seconds.toFixed(0)} s)`;
    const figures: Figure[] = [
      { bench: label, metric: 'JSON report time', value: report.seconds, unit: 's', baseline: bare.seconds, baselineLabel: 'same aggregates, plain SQL GROUP BY', ratio: report.seconds / bare.seconds, target: '< 2 s' },
      { bench: 'report', metric: 'peak RSS', value: report.rssMb, unit: 'MB', baseline: bare.rssMb, baselineLabel: 'plain SQL', ratio: report.rssMb / bare.rssMb, target: '< 300 MB' },
    ];
    const wave = withWave ? runChild<ReportRun>(self, 'report', [...args, '--file', file, '--list', '2', '--out', out('sqlite', 2)]) : undefined;
    if (wave) {
      figures.push(
        { bench: `follow-up wave, ${wave.matched.toLocaleString('en-US')} matched people`, metric: 'JSON report time', value: wave.seconds, unit: 's', baseline: report.seconds, baselineLabel: 'first wave', ratio: wave.seconds / report.seconds },
        { bench: 'follow-up wave', metric: 'peak RSS', value: wave.rssMb, unit: 'MB', target: '< 300 MB' },
      );
    }
    if (!postgresUrl) {
      process.stderr.write('report on PostgreSQL: not measured; set BENCH_POSTGRES_URL=postgres://user:password@host:port/database (a role that may create databases) to measure it beside SQLite\n');
      return figures;
    }
    try {
      const built = runChild<{ seconds: number; sizeMb: number }>(self, 'pg-generate', [...args, '--database', postgresName]);
      const onPostgres = runChild<ReportRun>(self, 'pg-report', [...args, '--database', postgresName, '--list', '1', '--out', out('postgres', 1)]);
      assertSameReport(out('sqlite', 1), out('postgres', 1), 1);
      const pgLabel = `report ${onPostgres.responses.toLocaleString('en-US')} responses on PostgreSQL (${built.sizeMb} MB db, built in ${built.seconds.toFixed(0)} s)`;
      figures.push(
        { bench: pgLabel, metric: 'JSON report time', value: onPostgres.seconds, unit: 's', baseline: report.seconds, baselineLabel: 'same report on SQLite', ratio: onPostgres.seconds / report.seconds },
        { bench: 'report on PostgreSQL', metric: 'peak RSS (Node only)', value: onPostgres.rssMb, unit: 'MB', baseline: report.rssMb, baselineLabel: 'same report on SQLite', ratio: onPostgres.rssMb / report.rssMb },
      );
      if (wave) {
        const waveOnPostgres = runChild<ReportRun>(self, 'pg-report', [...args, '--database', postgresName, '--list', '2', '--out', out('postgres', 2)]);
        assertSameReport(out('sqlite', 2), out('postgres', 2), 2);
        figures.push(
          { bench: 'follow-up wave on PostgreSQL', metric: 'JSON report time', value: waveOnPostgres.seconds, unit: 's', baseline: wave.seconds, baselineLabel: 'same report on SQLite', ratio: waveOnPostgres.seconds / wave.seconds },
          { bench: 'follow-up wave on PostgreSQL', metric: 'peak RSS (Node only)', value: waveOnPostgres.rssMb, unit: 'MB', baseline: wave.rssMb, baselineLabel: 'same report on SQLite', ratio: waveOnPostgres.rssMb / wave.rssMb },
        );
      }
    } finally {
      // Also when the fill or a report failed. A failed drop is said, not thrown: it would hide the error that brought us here.
      try {
        runChild(self, 'pg-drop', ['--database', postgresName]);
      } catch (error) {
        process.stderr.write(`could not drop the bench database ${postgresName}; drop it by hand (DROP DATABASE "${postgresName}" WITH (FORCE)): ${String(error)}\n`);
      }
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = childMode();
const file = argValue('--file');
const postgresName = argValue('--database');
const listId = Number(argValue('--list') ?? 1);
const out = argValue('--out');
if (mode === 'generate') childGenerate(file!);
else if (mode === 'report') await childReport(file!, listId, out!);
else if (mode === 'bare') childBare(file!, listId);
else if (mode === 'pg-generate') await childGeneratePostgres(postgresName!);
else if (mode === 'pg-report') await childReportPostgres(postgresName!, listId, out!);
else if (mode === 'pg-drop') await childDropPostgres(postgresName!);
else if (import.meta.url === `file://${process.argv[1]}`) printFigures(benchReport());
