/**
 * Report benchmark: a list of 1,000,000 contacts (--rows N to change), every one with a call, a
 * response and a billing line, 10 % with a recorded comment, three attribute columns and two
 * languages, in a temporary SQLite file. Times the JSON report (buildReport + JSON.stringify)
 * against bare SQL that computes the same aggregates with plain GROUP BY statements (the obvious
 * implementation, docs/adr/0005-report-aggregation.md), each in its own process so that peak RSS
 * is that side's alone. With --wave, a second list of the same people is built and its report (with the
 * wave comparison and migration table) is timed too.
 *
 *   npx tsx scripts/bench/report.ts [--rows N] [--wave]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { openDatabase, sqliteReader } from '../../src/db/index.js';
import { buildReport } from '../../src/reports/index.js';
import { argValue, childMode, peakRssMb, printFigures, runChild, type Figure } from './lib.js';

const rowsWanted = Number(argValue('--rows') ?? 1_000_000);
const withWave = process.argv.includes('--wave');
const TARIFF = { currency: 'EUR', callFeeMinor: 0, perMinuteMinor: 12, firstIncrementSeconds: 60, nextIncrementSeconds: 60 };

/**
 * Fills list `listId` with `n` contacts in a few INSERT … SELECT statements over a recursive
 * sequence: about ten times faster than row-by-row inserts, and nothing is held in JavaScript.
 * Ids are offset per list so that both waves share phone numbers (the same people).
 */
function fillList(db: Database.Database, listId: number, n: number, previous: number | null): void {
  const base = (listId - 1) * n;
  db.prepare(`INSERT INTO lists (id, name, previous_list_id, script, policy, state, created_at) VALUES (?, ?, ?, '{"company":"Bench"}', '{}', 'ready', 0)`).run(
    listId,
    `bench-${listId}`,
    previous,
  );
  db.exec(`
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})
    INSERT INTO contacts (id, list_id, row_number, phone_e164, country, language, attributes, status, attempts, updated_at)
    SELECT ${base} + i + 1, ${listId}, i + 2, '+48' || (500000000 + i), 'PL', CASE i % 3 WHEN 0 THEN 'en-US' ELSE 'pl-PL' END,
      json_object('region', CASE i % 4 WHEN 0 THEN 'North' WHEN 1 THEN 'South' WHEN 2 THEN 'East' ELSE 'West' END,
                  'segment', CASE i % 2 WHEN 0 THEN 'Retail' ELSE 'SMB' END, 'agent', 'Agent ' || (i % 50)),
      'responded', 1, 0
    FROM seq`);
  const range = `id > ${base} AND id <= ${base + n}`;
  db.exec(`
    INSERT INTO calls (id, contact_id, list_id, attempt, ref, provider_uuid, state, outcome, answered_by, created_at, answered_at, ended_at, duration_seconds, provider_price_micros)
    SELECT id, id, ${listId}, 1, 'r' || id, 'u' || id, 'ended', 'human', 'human', 1767600000000 + id * 1000, 1767600005000 + id * 1000, 1767600065000 + id * 1000, 60, 14000
    FROM contacts WHERE ${range}`);
  // Scores spread over 0–10 with a wave-dependent tilt, so the two waves differ.
  db.exec(`
    INSERT INTO responses (id, contact_id, call_id, list_id, score, comment_status, comment_file, comment_seconds, created_at)
    SELECT id, id, id, ${listId}, min(10, ((id * 7) % 11) + ${listId - 1}),
      CASE WHEN id % 10 = 0 THEN 'downloaded' ELSE 'none' END,
      CASE WHEN id % 10 = 0 THEN 'list-${listId}/call-' || id || '.mp3' END,
      CASE WHEN id % 10 = 0 THEN 12 END, 0
    FROM contacts WHERE ${range}`);
  db.exec(`
    INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at)
    SELECT id, ${listId}, NULL, 60, 12, 'EUR', 14000, 0 FROM calls WHERE ${range}`);
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

async function childReport(file: string, listId: number): Promise<void> {
  const database = openDatabase({ path: file, readonly: true });
  const config = { defaultTariff: TARIFF, recordingsDir: tmpdir() };
  const started = performance.now();
  const report = await buildReport({ reader: sqliteReader(database), listSettings: (id) => new ListSettingsBook(sqliteReader(database), config).load(id), clock: new ManualClock(), config }, { listId });
  const json = JSON.stringify(report);
  const seconds = (performance.now() - started) / 1000;
  database.close();
  console.log(JSON.stringify({ seconds, rssMb: peakRssMb(), bytes: json.length, responses: report.responses, nps: report.nps, matched: report.wave?.panel.matched ?? 0 }));
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

export function benchReport(): Figure[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'nps-bench-report-'));
  const file = path.join(dir, 'report.db');
  const self = new URL(import.meta.url);
  const args = process.argv.slice(2).filter((a) => a !== '--child');
  try {
    const generated = runChild<{ seconds: number }>(self, 'generate', [...args, '--file', file]);
    const sizeMb = Math.round(statSync(file).size / 1e6);
    const report = runChild<ReportRun>(self, 'report', [...args, '--file', file, '--list', '1']);
    const bare = runChild<{ seconds: number; rssMb: number }>(self, 'bare', [...args, '--file', file, '--list', '1']);
    const label = `report ${report.responses.toLocaleString('en-US')} responses (${sizeMb} MB db, built in ${generated.seconds.toFixed(0)} s)`;
    const figures: Figure[] = [
      { bench: label, metric: 'JSON report time', value: report.seconds, unit: 's', baseline: bare.seconds, baselineLabel: 'same aggregates, plain SQL GROUP BY', ratio: report.seconds / bare.seconds, target: '< 2 s' },
      { bench: 'report', metric: 'peak RSS', value: report.rssMb, unit: 'MB', baseline: bare.rssMb, baselineLabel: 'plain SQL', ratio: report.rssMb / bare.rssMb, target: '< 300 MB' },
    ];
    if (withWave) {
      const wave = runChild<ReportRun>(self, 'report', [...args, '--file', file, '--list', '2']);
      figures.push(
        { bench: `follow-up wave, ${wave.matched.toLocaleString('en-US')} matched people`, metric: 'JSON report time', value: wave.seconds, unit: 's', baseline: report.seconds, baselineLabel: 'first wave', ratio: wave.seconds / report.seconds },
        { bench: 'follow-up wave', metric: 'peak RSS', value: wave.rssMb, unit: 'MB', target: '< 300 MB' },
      );
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = childMode();
const file = argValue('--file');
const listId = Number(argValue('--list') ?? 1);
if (mode === 'generate') childGenerate(file!);
else if (mode === 'report') await childReport(file!, listId);
else if (mode === 'bare') childBare(file!, listId);
else if (import.meta.url === `file://${process.argv[1]}`) printFigures(benchReport());
