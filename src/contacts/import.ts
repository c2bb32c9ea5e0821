import path from 'node:path';
import { getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { canonicalTimeZone, EMAIL_VALUE, PHONE_VALUE, segmentVerdict, type ColumnMap, type ColumnValues } from './columns.js';
import { chunkFailureError, openCsv, type CsvChunk } from './csv-source.js';
import { ContactWriter, WRITE_BATCH_ROWS } from './import-writer.js';
import type { DuplicateRow, ImportSession, ImportSink, NamedList } from './import-sink.js';
import { checkEncoding, isUtf8Name, utf8Copy } from './encoding.js';
import { workerChunkParser, type WorkerResult } from './row-parser-pool.js';
import { parseChunk, REJECTED_SAMPLE, type RejectedRow, type RowParserConfig } from './row-parser.js';
import type { SurveyScript } from './settings.js';

export { type RejectedRow } from './row-parser.js';
export type { DuplicateRow } from './import-sink.js';

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
  /** What became of the file's columns besides the phone. */
  columns: ImportedColumns;
}

export interface ImportedColumns {
  /** The header(s) the contact's name was read from. */
  name: string[];
  /** Attribute columns broken down in the report. */
  segments: string[];
  /** Attribute columns kept on the contacts (CSV export) but not broken down, and why. */
  notSegments: { column: string; reason: string }[];
  /** Columns not stored at all, and why. */
  ignored: { column: string; reason: string }[];
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface ImportListOptions {
  /** Where the list is written: SqliteImportSink, PostgresImportSink. */
  sink: ImportSink;
  clock: Clock;
  logger: Logger;
  file: string;
  name: string;
  clientId?: number | undefined;
  /** Country for numbers written in national format. */
  country?: CountryCode | undefined;
  /** The column holding what each contact is worth (currency-free numbers), for the report's revenue at risk. */
  valueColumn?: string | undefined;
  /** The file's character encoding (any name iconv-lite knows); UTF-8 when absent. */
  encoding?: string | undefined;
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
/**
 * Parse workers. Parsing and validating cost ~11 µs a row of CPU against ~4 µs for the writes on
 * the main thread, so two workers keep the writer fed on a 2-core machine. Parsing on the main
 * thread instead of a second worker was measured too: its V8 heap (which, unlike a worker's, has
 * no resource limits) grew by more than the worker costs (~40 MB).
 */
const PARSE_WORKERS = 2;
/** Chunks (1 MiB each) handed out and not yet absorbed: two per worker, so none idles while the main thread commits. */
const MAX_PENDING = 2 * PARSE_WORKERS;

/**
 * Imports a CSV contact list.
 *
 * The list is created first in state `importing`, which every query treats as absent; contacts go
 * straight into the contacts table in short transactions (ContactWriter: the unique (number, list)
 * index turns a repeated number into a no-op insert, counted as a duplicate); the last transaction
 * marks the list `ready`. An error or Ctrl-C deletes the list; after kill -9 the next import removes
 * it (ImportSink.abandoned). So the user sees a complete list or none. The SQL is the sink's
 * (import-sink.ts, import-sink.pg.ts); parsing, ordering and counting are here and in ContactWriter.
 *
 * The file is read in chunks of whole records (csv-source.ts). For files of PARALLEL_MIN_BYTES or
 * more, worker threads parse and validate the chunks while the main thread writes.
 * Results are absorbed strictly in file order, which keeps row numbers exact and rejections in
 * file order, with bounded memory.
 */
export async function importList(options: ImportListOptions): Promise<ImportSummary> {
  if (options.encoding !== undefined && !isUtf8Name(checkEncoding(options.encoding))) {
    // Converted once into a UTF-8 copy: the chunked, parallel reader stays byte-exact UTF-8.
    const copy = await utf8Copy(options.file, options.encoding, options.signal);
    try {
      return await importUtf8({ ...options, file: copy.file }, options.file);
    } finally {
      await copy.dispose();
    }
  }
  return importUtf8(options, options.file);
}

/**
 * The import in steps: check the options → open where the rows go (the new list, `importing`, or a
 * dry run's temporary table) → read and write the contacts, chunk by chunk → check that something
 * was imported → publish the list (suppressed numbers marked) → the summary.
 */
async function importUtf8(options: ImportListOptions, shownFile: string): Promise<ImportSummary> {
  const { sink, clock, logger } = options;
  const { name, defaultTimezone } = checkOptions(options);
  const dryRun = options.dryRun ?? false;
  if (!dryRun) for (const listId of await sink.abandoned()) await sink.discardImporting(listId);
  await checkReferences(sink, options.clientId, options.previousListId);
  await checkNameFree(sink, name, options.clientId);

  const source = await openCsv(options.file, options.signal ? { signal: options.signal } : {});
  const parallel = options.parallel ?? 'auto';
  const useWorkers = parallel === true || (parallel === 'auto' && source.totalBytes >= PARALLEL_MIN_BYTES);
  // Started now: loading libphonenumber's metadata overlaps with reading the header.
  const workers = useWorkers ? workerChunkParser(PARSE_WORKERS) : undefined;
  let session: ImportSession | undefined;
  try {
    session = await openDestination(sink, { dryRun, name, shownFile, defaultTimezone, options, now: clock.now() });
    const { listId } = session;
    const read = await readContacts({ options, source, workers, session });
    options.signal?.throwIfAborted();
    if (!read.columns) throw new AppError('INPUT_INVALID', `"${shownFile}" has no header row`);
    if (read.dataRows === 0) throw new AppError('INPUT_INVALID', `"${shownFile}" has a header but no contact rows; nothing was imported`);
    const { writer, rejected, rejectedCount } = read;
    await writer.finish();
    const { imported, duplicates, duplicateRows } = writer;
    if (imported === 0) {
      throw new AppError('INPUT_INVALID', `no row of "${shownFile}" has a valid phone number (${rejectedCount} rejected); nothing was imported`, {
        details: { rejected, rejectedCount },
      });
    }
    const suppressed = await session.commit();
    if (suppressed === undefined) throw new AppError('CONFLICT', `list ${listId} was removed while it was being imported`);
    const columns = await describeColumns(session, read.columns);
    const summary: ImportSummary = { listId, name, dryRun, rows: read.dataRows, imported, duplicates, suppressed, rejected, rejectedCount, duplicateRows, columns };
    if (!dryRun) {
      logger.info('list imported', { listId, rows: read.dataRows, imported, duplicates, suppressed, rejected: rejectedCount, segments: columns.segments });
    }
    return summary;
  } catch (error) {
    await session?.abort();
    if ((error as Error).name === 'AbortError') {
      throw new AppError('INTERRUPTED', 'import interrupted; nothing was imported', { cause: error });
    }
    throw error;
  } finally {
    await workers?.close();
    await session?.close();
  }
}

/** The list's name and default zone, checked; a usage error names what is wrong. */
function checkOptions(options: ImportListOptions): { name: string; defaultTimezone: string | null } {
  const name = options.name.trim();
  if (!name) throw new AppError('USAGE', '--name must not be empty');
  if (name.length > 200) throw new AppError('USAGE', `--name is ${name.length} characters long; at most 200 are accepted`);
  const defaultTimezone = options.defaultTimezone === undefined ? null : canonicalTimeZone(options.defaultTimezone);
  if (options.defaultTimezone !== undefined && !defaultTimezone) {
    throw new AppError('USAGE', `--timezone '${options.defaultTimezone}' is not an IANA time zone; use a name such as Europe/Moscow or America/Chicago`);
  }
  return { name, defaultTimezone };
}

/**
 * Where rows go: the new list, created `importing` (absent to every query until published), or
 * for a dry run a scratch table with the same uniqueness rule.
 */
async function openDestination(
  sink: ImportSink,
  input: { dryRun: boolean; name: string; shownFile: string; defaultTimezone: string | null; options: ImportListOptions; now: number },
): Promise<ImportSession> {
  const { options } = input;
  if (input.dryRun) return sink.beginDryRun();
  const begun = await sink.begin({
    name: input.name,
    clientId: options.clientId ?? null,
    sourceFile: path.basename(input.shownFile),
    defaultCountry: options.country ?? null,
    defaultTimezone: input.defaultTimezone,
    previousListId: options.previousListId ?? null,
    script: options.script ?? {},
    valueColumn: options.valueColumn ?? null,
    now: input.now,
  });
  if (begun.kind === 'name-taken') throw nameTaken(input.name, options.clientId, begun.list);
  return begun.session;
}

/**
 * Reads the file chunk by chunk (parsed here, or by the workers once the header configured them),
 * absorbs the results strictly in file order (exact row numbers, rejections in file order) and
 * hands the accepted rows to the writer. Returns what was read; the writer is not finished.
 */
async function readContacts(input: {
  options: ImportListOptions;
  source: Awaited<ReturnType<typeof openCsv>>;
  workers: ReturnType<typeof workerChunkParser> | undefined;
  session: ImportSession;
}): Promise<{ columns: ColumnMap | undefined; dataRows: number; rejected: RejectedRow[]; rejectedCount: number; writer: ContactWriter }> {
  const { options, source, workers } = input;
  let bytesDone = 0;
  let dataRows = 0;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  const writer = new ContactWriter({
    session: input.session,
    signal: options.signal,
    onCommit: () => options.onProgress?.({ bytesRead: bytesDone, totalBytes: source.totalBytes, rows: dataRows }),
    onWritten: workers ? (buffers) => workers.release(buffers) : undefined,
  });

  // Records absorbed so far, the header and blank lines included: where the next chunk's rows start.
  let rowBase = 0;
  const absorb = async (chunk: Pick<CsvChunk, 'offset'> & { length: number }, parsed: WorkerResult) => {
    if (parsed.input) source.recycle(parsed.input);
    if (parsed.failure) throw await chunkFailureError(source, parsed.failure);
    for (const r of parsed.rejected) {
      if (rejected.length === REJECTED_SAMPLE) break;
      rejected.push({ ...r, row: r.row + rowBase });
    }
    rejectedCount += parsed.rejectedCount;
    dataRows += parsed.dataRows;
    writer.add(parsed.ranges, rowBase);
    rowBase += parsed.records;
    bytesDone = chunk.offset + chunk.length;
    await writer.writeDue(Math.max(parsed.dataRows, WRITE_BATCH_ROWS));
  };

  let config: RowParserConfig = {
    dialect: source.dialect,
    country: options.country,
    example: exampleFor(options.country),
    columns: undefined,
    bounds: undefined,
    ...(options.valueColumn !== undefined ? { valueColumn: options.valueColumn } : {}),
  };
  // Chunks in file order, parsed or being parsed; absorbed from the front.
  const pending: { position: Pick<CsvChunk, 'offset'> & { length: number }; parsed: WorkerResult | Promise<WorkerResult> }[] = [];
  for await (const chunk of source.chunks) {
    const position = { offset: chunk.offset, length: chunk.bytes.length };
    if (workers && config.columns) {
      pending.push({ position, parsed: workers.parse(chunk) });
    } else {
      // Until the header is known (it configures the workers), and for small files, here.
      const parsed = parseChunk(config, chunk);
      source.recycle(chunk.bytes.buffer as ArrayBuffer);
      if (parsed.columns) {
        config = { ...config, columns: parsed.columns, bounds: parsed.bounds };
        workers?.configure(config);
      }
      pending.push({ position, parsed });
    }
    while (pending.length >= (workers ? MAX_PENDING : 1)) {
      const next = pending.shift()!;
      await absorb(next.position, await next.parsed);
    }
  }
  for (const next of pending.splice(0)) await absorb(next.position, await next.parsed);
  return { columns: config.columns, dataRows, rejected, rejectedCount, writer };
}

function exampleFor(country: CountryCode | undefined): string {
  return (country && getExampleNumber(country, examples)?.number) || '+48512345678';
}

async function checkReferences(sink: ImportSink, clientId: number | undefined, previousListId: number | undefined): Promise<void> {
  if (clientId !== undefined && !(await sink.clientExists(clientId))) {
    throw new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);
  }
  if (previousListId !== undefined && !(await sink.readyListExists(previousListId))) {
    throw new AppError('NOT_FOUND', `list ${previousListId} (--previous) does not exist; see \`nps-dialer lists\``);
  }
}

async function checkNameFree(sink: ImportSink, name: string, clientId: number | undefined): Promise<void> {
  const existing = await sink.listNamed(name, clientId ?? null);
  if (existing) throw nameTaken(name, clientId, existing);
}

function nameTaken(name: string, clientId: number | undefined, existing: NamedList): AppError {
  return new AppError(
    'CONFLICT',
    existing.state === 'importing'
      ? `a list named "${name}" is being imported right now (list ${existing.listId}); wait for it or choose another --name`
      : `a list named "${name}" already exists${clientId !== undefined ? ` for client ${clientId}` : ''} (list ${existing.listId}); choose another --name`,
    { details: { listId: existing.listId } },
  );
}

/** Contacts whose values decide the segments: enough to tell a region from an id, cheap on a million rows. */
const SEGMENT_SAMPLE = 5_000;

/**
 * The import report's account of the columns: the name's headers, and which attribute columns the
 * report will break down (segmentVerdict on the values of the list's first SEGMENT_SAMPLE
 * contacts; the report applies the same rule to all of them). A dry run stores no attributes: its columns are all candidate segments.
 */
async function describeColumns(session: ImportSession, map: ColumnMap): Promise<ImportedColumns> {
  const headers = map.header;
  const name = [map.nameIndex, map.givenNameIndex, map.familyNameIndex].filter((i) => i >= 0).map((i) => headers[i]!);
  const segments: string[] = [];
  const notSegments: { column: string; reason: string }[] = [];
  const listId = session.listId;
  const stats = listId === null ? new Map<string, ColumnValues>() : attributeValues(await session.attributesSample(SEGMENT_SAMPLE));
  for (const [, key] of map.attributes) {
    const values = stats.get(key);
    if (listId === null) segments.push(key);
    else if (!values) notSegments.push({ column: key, reason: 'no values' });
    else {
      const verdict = segmentVerdict(values);
      if (verdict.segment) segments.push(key);
      else notSegments.push({ column: key, reason: verdict.reason });
    }
  }
  return { name, segments, notSegments, ignored: map.ignored };
}

/**
 * Each attribute's values among the contacts' attributes (JSON objects of non-empty strings),
 * classified by the same patterns the report applies (columns.ts). Counted here rather than in SQL
 * so that every engine counts alike: the patterns are JavaScript's.
 */
function attributeValues(sample: string[]): Map<string, ColumnValues> {
  const seen = new Map<string, { values: ColumnValues; distinct: Set<string> }>();
  for (const text of sample) {
    for (const [key, value] of Object.entries(JSON.parse(text) as Record<string, string>)) {
      let entry = seen.get(key);
      if (!entry) seen.set(key, (entry = { values: { contacts: 0, distinct: 0, emails: 0, phones: 0 }, distinct: new Set() }));
      entry.values.contacts++;
      entry.distinct.add(value);
      if (EMAIL_VALUE.test(value)) entry.values.emails++;
      else if (PHONE_VALUE.test(value)) entry.values.phones++;
    }
  }
  return new Map([...seen].map(([key, { values, distinct }]) => [key, { ...values, distinct: distinct.size }]));
}
