import path from 'node:path';
import { getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { Clock } from '../clock/index.js';
import type { AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { canonicalTimeZone, mapColumns, type ColumnMap } from './columns.js';
import { openCsv } from './csv-source.js';
import { removeAbandonedImports } from './lists.js';
import { inlineRowParser, workerRowParser, type RowParser } from './row-parser-pool.js';
import { REJECTED_SAMPLE, ROW_WIDTH, type ParsedBatch, type RejectedRow } from './row-parser.js';
import type { SurveyScript } from './settings.js';

export { REJECTED_SAMPLE, type RejectedRow } from './row-parser.js';

export interface DuplicateRow {
  row: number;
  value: string;
  /** The row whose contact was kept. */
  firstRow: number;
}

export interface ImportSummary {
  listId: number | null;
  name: string;
  dryRun: boolean;
  /** Data rows read (the header excluded). */
  rows: number;
  /** Contacts in the list (or that would be), suppressed ones included. */
  imported: number;
  /** Rows whose number, once normalised, repeated an earlier row: imported once. */
  duplicates: number;
  /** Contacts on the do-not-call list: kept in the list for the report, never dialled. */
  suppressed: number;
  /** The first REJECTED_SAMPLE rejected rows. */
  rejected: RejectedRow[];
  rejectedCount: number;
  /** The first REJECTED_SAMPLE duplicate rows. */
  duplicateRows: DuplicateRow[];
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface ImportListOptions {
  database: AppDatabase;
  clock: Clock;
  logger: Logger;
  file: string;
  name: string;
  clientId?: number | undefined;
  /** Country for numbers written in national format. */
  country?: CountryCode | undefined;
  /** Marks the list as a follow-up wave of this one. */
  previousListId?: number | undefined;
  /** IANA zone for callees of a multi-zone country (US, RU, …) who have no `timezone` column. */
  defaultTimezone?: string | undefined;
  script?: SurveyScript | undefined;
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /**
   * Validate numbers in a worker thread. 'auto' (default) does so for files of PARALLEL_MIN_BYTES
   * or more, where the thread start-up pays for itself.
   */
  parallel?: boolean | 'auto' | undefined;
}

const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;
const IMPORT_CACHE_KIB = 24 * 1024;
/** Rows per write transaction: long enough to amortise the WAL commit, short enough (~0.2 s for
 *  20k rows) that a dialer writing beside the import waits well within its busy timeout. */
const WRITE_BATCH_ROWS = 20_000;
/** Parse batches in flight to the worker: enough that it never idles while the main thread spends
 *  ~0.1 s committing a write batch. */
const IN_FLIGHT = 16;

/**
 * Imports a CSV contact list.
 *
 * The list is created first in state `importing`, which every query treats as absent; contacts go
 * straight into the contacts table in batched transactions (the unique (number, list) index turns
 * a repeated number into a no-op insert, counted as a duplicate); the last transaction marks the
 * list `ready`. An error or Ctrl-C deletes the list; after kill -9 the next import or list command
 * removes it (removeAbandonedImports). So the user sees a complete list or none.
 */
export async function importList(options: ImportListOptions): Promise<ImportSummary> {
  const { database, clock, logger } = options;
  const name = options.name.trim();
  if (!name) throw new AppError('USAGE', '--name must not be empty');
  if (name.length > 200) throw new AppError('USAGE', `--name is ${name.length} characters long; at most 200 are accepted`);
  const { sqlite } = database;
  const dryRun = options.dryRun ?? false;
  if (!dryRun) removeAbandonedImports(database);
  checkReferences(sqlite, options.clientId, options.previousListId);
  checkNameFree(sqlite, name, options.clientId);
  const defaultTimezone = options.defaultTimezone === undefined ? null : canonicalTimeZone(options.defaultTimezone);
  if (options.defaultTimezone !== undefined && !defaultTimezone) {
    throw new AppError('USAGE', `--timezone '${options.defaultTimezone}' is not an IANA time zone; use a name such as Europe/Moscow or America/Chicago`);
  }

  let bytesRead = 0;
  const source = await openCsv(options.file, {
    ...(options.signal ? { signal: options.signal } : {}),
    onBytes: (bytes) => {
      bytesRead = bytes;
    },
  });

  // Where rows go: the real list, or for a dry run a TEMP table with the same uniqueness rule.
  const now = clock.now();
  let listId: number | null = null;
  if (dryRun) {
    sqlite.exec('DROP TABLE IF EXISTS temp.dry_run_contacts');
    sqlite.exec('CREATE TEMP TABLE dry_run_contacts (phone_e164 TEXT PRIMARY KEY, row_number INTEGER NOT NULL)');
  } else {
    listId = sqlite.transaction(() => {
      checkNameFree(sqlite, name, options.clientId);
      return (
        sqlite
          .prepare(
            `INSERT INTO lists (client_id, name, source_file, default_country, default_timezone, previous_list_id, script, policy, state, import_pid, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'importing', ?, ?) RETURNING id`,
          )
          .get(
            options.clientId ?? null,
            name,
            path.basename(options.file),
            options.country ?? null,
            defaultTimezone,
            options.previousListId ?? null,
            JSON.stringify(options.script ?? {}),
            process.pid,
            now,
          ) as { id: number }
      ).id;
    })();
  }

  // Random inserts into the unique (number, list) index are what an import pays for; a larger page
  // cache keeps more of that index in memory (measured: 200k rows 87k → 100k rows/s at 16 MB).
  const cacheBefore = sqlite.pragma('cache_size', { simple: true }) as number;
  sqlite.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
  const insert = dryRun
    ? sqlite.prepare(`INSERT INTO temp.dry_run_contacts (row_number, phone_e164) VALUES (?, ?) ON CONFLICT DO NOTHING`)
    : sqlite.prepare(
        `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, status, attempts, next_attempt_at, updated_at)
         VALUES (${listId}, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ${now}, ${now}) ON CONFLICT DO NOTHING`,
      );
  const firstRowOf = sqlite
    .prepare(dryRun ? 'SELECT row_number FROM temp.dry_run_contacts WHERE phone_e164 = ?' : `SELECT row_number FROM contacts WHERE phone_e164 = ? AND list_id = ${listId}`)
    .pluck();
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  let imported = 0;
  let duplicates = 0;
  const duplicateRows: DuplicateRow[] = [];
  let pendingValues: (string | number | null)[] = [];

  // A repeated number hits the unique (number, list) index and inserts nothing: a duplicate.
  const write = sqlite.transaction((values: (string | number | null)[]) => {
    for (let i = 0; i < values.length; i += ROW_WIDTH) {
      const row = values[i] as number;
      const e164 = values[i + 1] as string;
      const changes = dryRun ? insert.run(row, e164).changes : insert.run(row, e164, values[i + 2], values[i + 3], values[i + 4], values[i + 5], values[i + 6]).changes;
      if (changes === 1) {
        imported++;
      } else {
        duplicates++;
        if (duplicateRows.length < REJECTED_SAMPLE) duplicateRows.push({ row, value: e164, firstRow: firstRowOf.get(e164) as number });
      }
    }
  });
  const absorb = (batch: ParsedBatch) => {
    rejectedCount += batch.rejectedCount;
    for (const r of batch.rejected) if (rejected.length < REJECTED_SAMPLE) rejected.push(r);
    for (const v of batch.values) pendingValues.push(v);
    if (pendingValues.length >= WRITE_BATCH_ROWS * ROW_WIDTH) {
      options.signal?.throwIfAborted();
      write(pendingValues);
      pendingValues = [];
      options.onProgress?.({ bytesRead, totalBytes: source.totalBytes, rows: dataRows });
    }
  };

  let parser: RowParser | undefined;
  let dataRows = 0;
  try {
    let columns: ColumnMap | undefined;
    let row = 0;
    const inFlight: Promise<ParsedBatch>[] = [];
    for await (const records of source.batches) {
      let first = 0;
      if (!columns) {
        // Blank lines before the header count as rows but are otherwise ignored.
        while (first < records.length && isBlank(records[first]!)) {
          first++;
          row++;
        }
        if (first === records.length) continue;
        columns = mapColumns(records[first]!);
        parser = makeParser(options.parallel ?? 'auto', source.totalBytes, { columns, country: options.country, example: exampleFor(options.country) });
        row++;
        first++;
      }
      const width = columns.width;
      const fields: string[] = [];
      const rows: number[] = [];
      for (let i = first; i < records.length; i++) {
        const record = records[i]!;
        row++;
        if (isBlank(record)) continue;
        dataRows++;
        if (record.length !== width && !(record.length > width && record.slice(width).every((v) => v.trim() === ''))) {
          rejectedCount++;
          if (rejected.length < REJECTED_SAMPLE) {
            rejected.push({ row, field: '*', value: record.join(source.delimiter).slice(0, 200), reason: `has ${record.length} fields but the header has ${width}; check the quoting of this row` });
          }
          continue;
        }
        for (let f = 0; f < width; f++) fields.push(record[f]!);
        rows.push(row);
      }
      // Results are absorbed in submission order, so the first occurrence of a number is the one kept.
      inFlight.push(parser!.parse(fields, rows));
      while (inFlight.length >= IN_FLIGHT) absorb(await inFlight.shift()!);
    }
    for (const pending of inFlight) absorb(await pending);
    options.signal?.throwIfAborted();
    if (!columns) throw new AppError('INPUT_INVALID', `"${options.file}" has no header row`);
    if (dataRows === 0) throw new AppError('INPUT_INVALID', `"${options.file}" has a header but no contact rows; nothing was imported`);
    write(pendingValues);
    pendingValues = [];
    options.onProgress?.({ bytesRead: source.totalBytes, totalBytes: source.totalBytes, rows: dataRows });
    if (imported === 0) {
      throw new AppError('INPUT_INVALID', `no row of "${options.file}" has a valid phone number (${rejectedCount} rejected); nothing was imported`, {
        details: { rejected, rejectedCount },
      });
    }

    let suppressed: number;
    if (dryRun) {
      suppressed = (sqlite.prepare('SELECT count(*) AS n FROM temp.dry_run_contacts d JOIN main.suppressions s ON s.phone_e164 = d.phone_e164').get() as { n: number }).n;
    } else {
      suppressed = sqlite.transaction(() => {
        // Suppressed numbers stay in the list (the report counts them) but are never dialled.
        const n = sqlite
          .prepare(
            `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL
             WHERE list_id = ? AND phone_e164 IN (SELECT phone_e164 FROM suppressions)`,
          )
          .run(listId).changes;
        const published = sqlite.prepare(`UPDATE lists SET state = 'ready', import_pid = NULL WHERE id = ? AND state = 'importing'`).run(listId).changes;
        if (published !== 1) throw new AppError('CONFLICT', `list ${listId} was removed while it was being imported`);
        return n;
      })();
    }
    const summary: ImportSummary = { listId, name, dryRun, rows: dataRows, imported, duplicates, suppressed, rejected, rejectedCount, duplicateRows };
    if (!dryRun) {
      logger.info('list imported', { listId, rows: dataRows, imported, duplicates, suppressed, rejected: rejectedCount });
    }
    return summary;
  } catch (error) {
    if (listId !== null) sqlite.prepare(`DELETE FROM lists WHERE id = ? AND state = 'importing'`).run(listId);
    if ((error as Error).name === 'AbortError') {
      throw new AppError('INTERRUPTED', 'import interrupted; nothing was imported', { cause: error });
    }
    throw error;
  } finally {
    await parser?.close();
    sqlite.pragma(`cache_size = ${cacheBefore}`);
    if (dryRun) sqlite.exec('DROP TABLE IF EXISTS temp.dry_run_contacts');
  }
}

const isBlank = (record: string[]) => record.length === 1 && record[0]!.trim() === '';

function makeParser(parallel: boolean | 'auto', totalBytes: number, config: Parameters<typeof inlineRowParser>[0]): RowParser {
  const useWorker = parallel === true || (parallel === 'auto' && totalBytes >= PARALLEL_MIN_BYTES);
  return useWorker ? workerRowParser(config) : inlineRowParser(config);
}

function exampleFor(country: CountryCode | undefined): string {
  return (country && getExampleNumber(country, examples)?.number) || '+48512345678';
}

function checkReferences(sqlite: AppDatabase['sqlite'], clientId: number | undefined, previousListId: number | undefined): void {
  if (clientId !== undefined && !sqlite.prepare('SELECT 1 FROM clients WHERE id = ?').get(clientId)) {
    throw new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);
  }
  if (previousListId !== undefined && !sqlite.prepare(`SELECT 1 FROM lists WHERE id = ? AND state = 'ready'`).get(previousListId)) {
    throw new AppError('NOT_FOUND', `list ${previousListId} (--previous) does not exist; see \`nps-dialer lists\``);
  }
}

function checkNameFree(sqlite: AppDatabase['sqlite'], name: string, clientId: number | undefined): void {
  const existing = sqlite.prepare('SELECT id, state FROM lists WHERE name = ? AND client_id IS ?').get(name, clientId ?? null) as
    | { id: number; state: string }
    | undefined;
  if (existing) {
    throw new AppError(
      'CONFLICT',
      existing.state === 'importing'
        ? `a list named "${name}" is being imported right now (list ${existing.id}); wait for it or choose another --name`
        : `a list named "${name}" already exists${clientId !== undefined ? ` for client ${clientId}` : ''} (list ${existing.id}); choose another --name`,
      { details: { listId: existing.id } },
    );
  }
}
