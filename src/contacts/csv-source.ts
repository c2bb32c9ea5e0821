import { isUtf8 } from 'node:buffer';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Parser, type Options as CsvParseOptions } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { AppError } from '../errors/index.js';
import { EXAMPLE_ENCODINGS, guessEncoding } from './encoding.js';

export type Delimiter = ',' | ';' | '\t';
export type RecordDelimiter = '\r\n' | '\n' | '\r';

/** Largest record csv-parse accepts; a field beyond it is a broken file, not a contact. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** Bytes of the first chunk: enough for the header row, small so the workers start early. */
const FIRST_CHUNK_BYTES = 64 * 1024;
/**
 * Bytes of every later chunk (512 KiB, ~9,000 rows of a typical list): the unit of work handed to
 * the two parse workers, at most 4 chunks in flight (import.ts). A chunk does not set the size of
 * a write: the workers sort its rows into the writer's key ranges, and a range is written once it
 * holds enough rows (import-writer.ts). Smaller chunks cost more messages between the threads;
 * larger ones, more memory in flight (4 chunks and their parsed rows).
 */
const CHUNK_BYTES = 512 * 1024;
/**
 * A chunk is parsed in slices of about this many bytes (cut at record boundaries): the records of
 * one slice are validated and dropped before the next is parsed, so they die in V8's young
 * generation instead of being copied by every scavenge while the whole chunk is worked through.
 * The parse workers' young generation is small (row-parser-pool.ts), so the slice must be too:
 * 64 KiB slices (~1,100 rows, ~15 ms of work) outlived several scavenges and were promoted, and
 * the old generation's collections cost ~20 % more CPU than 8 KiB slices (measured A/B, 1M rows).
 */
const SLICE_BYTES = 8 * 1024;
/**
 * A run of this many bytes without a record boundary outside quotes holds a record longer than
 * MAX_RECORD_BYTES (quotes can at most double a record's size), which csv-parse refuses; the
 * chunker hands it over as the last chunk so that csv-parse reports it, instead of reading on.
 */
const FORCED_CHUNK_BYTES = CHUNK_BYTES + 2 * MAX_RECORD_BYTES + 1024;
/** UTF-8 errors in the first 256 KiB also name the line, as the import always did. */
const LINE_HINT_BYTES = 256 * 1024;

/** How the file is written: what csv-parse needs to parse any chunk of it on its own. */
export interface CsvDialect {
  delimiter: Delimiter;
  /** The record delimiter csv-parse would discover (the first line end outside quotes); undefined for a one-line file. */
  recordDelimiter: RecordDelimiter | undefined;
  /** The file starts with Excel's `sep=;` line, which names the delimiter and is not the header. */
  sepLine?: boolean;
}

/**
 * A run of whole records: it starts at the beginning of the file or just after a record
 * delimiter outside quotes, and ends just after one (or at the end of the file). csv-parse
 * therefore yields exactly the records the whole file would, in order.
 */
export interface CsvChunk {
  /** Owns its ArrayBuffer, so it can be transferred to a worker without a copy. */
  bytes: Uint8Array;
  /** Offset of bytes[0] in the file. */
  offset: number;
  first: boolean;
  /** Nothing follows: the chunk reaches the end of the file, or is forced. */
  last: boolean;
  /** Cut without a record boundary (see FORCED_CHUNK_BYTES): csv-parse must refuse it. */
  forced: boolean;
}

/** Why a chunk could not be parsed, as data (it crosses the worker boundary); see chunkFailureError. */
export type ChunkFailure =
  | { kind: 'utf8'; byteOffset: number; byte: number }
  | { kind: 'utf8-truncated'; byteOffset: number }
  /** `line` counts from `offset`, a record boundary in the file. */
  | { kind: 'csv'; code: string; message: string; offset: number; line: number | undefined }
  /** No record boundary after `offset`, yet csv-parse accepted the bytes. */
  | { kind: 'unterminated'; offset: number };

export interface CsvSourceOptions {
  signal?: AbortSignal;
}

export interface CsvSource {
  file: string;
  totalBytes: number;
  dialect: CsvDialect;
  /** The file in chunks of whole records, in file order. */
  chunks: AsyncIterable<CsvChunk>;
  /**
   * Gives a chunk's buffer back once parsed, to be read into again: the import reads its file
   * through a few buffers instead of allocating one per chunk (a steady churn of 0.5 MB buffers
   * that V8 and malloc free late).
   */
  recycle(buffer: ArrayBuffer): void;
  /** Or, parsed here: the records of each chunk in file order (the first record is the header). */
  batches: AsyncIterable<string[][]>;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Picks the delimiter that occurs most often in the header line, outside quotes. */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  const best = (Object.entries(counts) as [Delimiter, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : ',';
}

/**
 * The record delimiter csv-parse discovers: the first line end outside quotes, CRLF preferred.
 * Undefined when `bytes` (from the start of the file) holds no line end outside quotes, or ends
 * on a CR whose next byte is not known yet (`complete` false).
 */
function detectRecordDelimiter(bytes: Uint8Array, complete: boolean): RecordDelimiter | undefined {
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) quoted = !quoted;
    else if (!quoted && b === LF) return '\n';
    else if (!quoted && b === CR) {
      if (i + 1 < bytes.length) return bytes[i + 1] === LF ? '\r\n' : '\r';
      return complete ? '\r' : undefined;
    }
  }
  return undefined;
}

/**
 * The end of the last whole record in `bytes` (which starts at a record boundary), or 0.
 *
 * Quote parity is exact for the files csv-parse accepts (RFC 4180 with strict quotes): a quote
 * only opens a field, closes it, or is doubled inside it, so a record delimiter lies outside quotes
 * iff an even number of quotes precedes it. In a file csv-parse would refuse, a wrong split can only
 * follow the first offending quote, and the chunk holding that quote starts at a true boundary, so
 * csv-parse still reports the first error in file order.
 */
function lastRecordEnd(bytes: Uint8Array, delimiter: RecordDelimiter): number {
  const end = delimiter === '\r' ? CR : LF;
  const needsCr = delimiter === '\r\n';
  let quoted = false;
  let last = 0;
  // One pass over the bytes (~1 ns each): quotes are counted from the chunk start, where parity is even.
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) quoted = !quoted;
    else if (b === end && !quoted && (!needsCr || (i > 0 && bytes[i - 1] === CR))) last = i + 1;
  }
  return last;
}

/**
 * Opens a CSV file as chunks of whole records: strict UTF-8 (checked per chunk by parseCsvChunk),
 * BOM dropped, comma, semicolon or tab detected from the header, RFC 4180 quoting (delimiters and
 * newlines inside quotes). Chunks can be parsed independently and in parallel; their records,
 * concatenated, are the file's records.
 */
export async function openCsv(file: string, options: CsvSourceOptions = {}): Promise<CsvSource> {
  let totalBytes: number;
  try {
    totalBytes = (await stat(file)).size;
  } catch (error) {
    throw new AppError('INPUT_INVALID', `cannot read "${file}": ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (totalBytes === 0) {
    throw new AppError('INPUT_INVALID', `"${file}" is empty; expected a header row naming a phone column, then one row per contact`);
  }

  const handle = await open(file, 'r');
  try {
    // The dialect comes from the head of the file: the header line for the field delimiter, the
    // first line end outside quotes for the record delimiter (what csv-parse would discover).
    let head = Buffer.alloc(0);
    let recordDelimiter: RecordDelimiter | undefined;
    for (;;) {
      const block = await readAt(handle, head.length, FIRST_CHUNK_BYTES);
      head = Buffer.concat([head, block]);
      const complete = head.length >= totalBytes || block.length === 0;
      recordDelimiter = detectRecordDelimiter(skipBom(head), complete);
      if (recordDelimiter || complete || head.length > FORCED_CHUNK_BYTES) break;
    }
    const headText = new TextDecoder('utf-8').decode(skipBom(head).subarray(0, MAX_RECORD_BYTES));
    const lines = headText.split(/\r?\n|\r/);
    // Excel writes (and reads) a first line "sep=;" naming the delimiter; the header follows it.
    const sep = /^sep=([,;\t|])$/i.exec(lines[0] ?? '')?.[1];
    const delimiter = sep === ',' || sep === ';' || sep === '\t' ? sep : detectDelimiter(lines[sep ? 1 : 0] ?? '');
    if (sep === '|') throw new AppError('INPUT_INVALID', `"${file}" line 1: 'sep=|' names a delimiter the importer does not read; use a comma, a semicolon or a tab`);
    const dialect: CsvDialect = { delimiter, recordDelimiter, ...(sep ? { sepLine: true } : {}) };
    const where = { file, totalBytes, dialect };
    const pool: ArrayBuffer[] = [];
    return {
      ...where,
      // Both generators start reading only when iterated; a caller uses one of them.
      chunks: readChunks(file, totalBytes, dialect, pool, options.signal),
      recycle(buffer) {
        if (buffer.byteLength === POOLED_BYTES && pool.length < 8) pool.push(buffer);
      },
      batches: (async function* () {
        for await (const chunk of readChunks(file, totalBytes, dialect, [], options.signal)) {
          const records: string[][] = [];
          const failure = parseCsvChunk(chunk, dialect, (slice) => {
            for (const record of slice) records.push(record);
          });
          if (failure) throw await chunkFailureError(where, failure);
          yield records;
        }
      })(),
    };
  } finally {
    await handle.close();
  }
}

const skipBom = (bytes: Uint8Array) => (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes);

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  // A fresh ArrayBuffer per read (not the shared pool), so that chunks can be transferred.
  const buffer = Buffer.from(new ArrayBuffer(length));
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Size of the pooled read buffers: a chunk plus the start of a record carried over from the last. */
const POOLED_BYTES = CHUNK_BYTES + 2 * MAX_RECORD_BYTES;

async function* readChunks(file: string, totalBytes: number, dialect: CsvDialect, pool: ArrayBuffer[], signal: AbortSignal | undefined): AsyncGenerator<CsvChunk> {
  const handle = await open(file, 'r');
  try {
    let offset = 0;
    // Bytes read but not yet handed out; they start at a record boundary.
    let carry = new Uint8Array(0);
    let first = true;
    while (offset + carry.length < totalBytes) {
      signal?.throwIfAborted();
      const want = first ? FIRST_CHUNK_BYTES : CHUNK_BYTES;
      const readFrom = offset + carry.length;
      const length = Math.min(want, totalBytes - readFrom);
      // carry and the new bytes in one buffer of their own (the carry is less than a record).
      const size = carry.length + length;
      const bytes = size <= POOLED_BYTES ? new Uint8Array(pool.pop() ?? new ArrayBuffer(POOLED_BYTES), 0, size) : new Uint8Array(size);
      bytes.set(carry);
      const { bytesRead } = await handle.read(bytes, carry.length, length, readFrom);
      const filled = carry.length + bytesRead;
      if (bytesRead === 0 || readFrom + bytesRead >= totalBytes) {
        yield { bytes: bytes.subarray(0, filled), offset, first, last: true, forced: false };
        return;
      }
      const split = dialect.recordDelimiter ? lastRecordEnd(bytes.subarray(0, filled), dialect.recordDelimiter) : 0;
      if (split === 0) {
        if (filled > FORCED_CHUNK_BYTES) {
          yield { bytes: bytes.subarray(0, filled), offset, first, last: true, forced: true };
          return;
        }
        carry = bytes.subarray(0, filled);
        continue;
      }
      carry = bytes.slice(split, filled);
      yield { bytes: bytes.subarray(0, split), offset, first, last: false, forced: false };
      offset += split;
      first = false;
    }
    if (carry.length > 0) yield { bytes: carry, offset, first, last: true, forced: false };
  } finally {
    await handle.close();
  }
}

function csvParseOptions(dialect: CsvDialect, first: boolean): CsvParseOptions {
  return {
    delimiter: dialect.delimiter,
    ...(dialect.recordDelimiter ? { record_delimiter: dialect.recordDelimiter } : {}),
    // Only the file's first bytes can be a byte-order mark.
    bom: first,
    relax_column_count: true,
    relax_quotes: false,
    // Blank lines come through as [''] and are skipped by the importer, so that row numbers in
    // messages keep matching the spreadsheet's.
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_BYTES,
  };
}

/**
 * Checks that a chunk is UTF-8 and parses it, passing its records to `onRecords` a slice at a time
 * (in order; the first record of the file is the header). csv-parse reads the bytes directly
 * (decoding each field), which costs less than decoding the chunk to a string it would re-encode.
 * Returns why the chunk cannot be imported, if it cannot.
 */
export function parseCsvChunk(chunk: CsvChunk, dialect: CsvDialect, onRecords: (records: string[][]) => void): ChunkFailure | undefined {
  const utf8 = checkUtf8(chunk);
  if (utf8) return utf8;
  const { bytes } = chunk;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.length;
    if (dialect.recordDelimiter && start + SLICE_BYTES < bytes.length) {
      const cut = lastRecordEnd(bytes.subarray(start, start + SLICE_BYTES), dialect.recordDelimiter);
      if (cut > 0) end = start + cut;
    }
    const slice = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    let records: string[][];
    try {
      records = parseSync(slice, csvParseOptions(dialect, chunk.first && start === 0)) as string[][];
    } catch (error) {
      const e = error as { code?: unknown; message?: string; lines?: number };
      // csv-parse's codes mostly start with CSV_, but not all: INVALID_OPENING_QUOTE does not.
      if (typeof e.code === 'string' && (e.code.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE')) {
        return { kind: 'csv', code: e.code, message: e.message ?? e.code, offset: chunk.offset + start, line: e.lines };
      }
      throw error;
    }
    // The "sep=" line is neither header nor data: the spreadsheet that wrote it hides it too.
    if (dialect.sepLine && chunk.first && start === 0) records.shift();
    onRecords(records);
    start = end;
  }
  // A chunk cut short for lack of a record boundary holds a record csv-parse should have refused;
  // never import it as if the file ended there.
  if (chunk.forced) return { kind: 'unterminated', offset: chunk.offset };
  return undefined;
}

function checkUtf8(chunk: CsvChunk): ChunkFailure | undefined {
  const { bytes } = chunk;
  if (isUtf8(bytes)) return undefined;
  // Find the first bad byte for a precise message. A prefix that fails to decode still fails when
  // extended, so a binary search finds the byte whose addition fails. Streaming decodes accept a
  // prefix that ends inside a character; only the end of the file may not.
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const middle = (good + bad) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      good = middle;
    } catch {
      bad = middle;
    }
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    // The byte that broke the decoding may only end a character begun earlier ("ę" in
    // windows-1250 is 0xEA, a UTF-8 lead byte, and the line end after it fails): name the lead.
    let at = good;
    for (let back = 1; back <= 3 && good - back >= 0; back++) {
      const b = bytes[good - back]!;
      if (b >= 0xc0) {
        const needs = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (back < needs) at = good - back;
        break;
      }
      if (b < 0x80) break;
    }
    return { kind: 'utf8', byteOffset: chunk.offset + at, byte: bytes[at] ?? 0 };
  }
  // The whole chunk decodes as a prefix: it ends inside a character.
  return chunk.last ? { kind: 'utf8-truncated', byteOffset: chunk.offset + bytes.length } : undefined;
}

const CSV_HINTS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed; check for a stray " character',
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a field is not doubled; write "" for a literal quote',
  CSV_MAX_RECORD_SIZE: `a record is longer than ${MAX_RECORD_BYTES} bytes; the file is probably not a contact list or its quoting is broken`,
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote; quote the whole field',
  INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted field; quote the whole field and double the quote ("")',
};

/**
 * The user's error for a chunk that failed, with positions in the whole file. csv-parse counts
 * lines within the chunk, so the lines before it are counted by parsing the file up to the chunk
 * again: a cost paid only when the import fails.
 */
export async function chunkFailureError(source: Pick<CsvSource, 'file' | 'dialect'>, failure: ChunkFailure): Promise<AppError> {
  switch (failure.kind) {
    case 'utf8': {
      const line = failure.byteOffset < LINE_HINT_BYTES ? await physicalLineAt(source.file, failure.byteOffset) : undefined;
      const guess = guessEncoding(await headOf(source.file, GUESS_BYTES));
      const advice = guess
        ? `It looks like ${guess.encoding} (${guess.languages}): import with --encoding ${guess.encoding}, or save the file as "CSV UTF-8".`
        : `Import with --encoding <name> (e.g. ${EXAMPLE_ENCODINGS.slice(1).join(', ')}), or save the file as "CSV UTF-8".`;
      return new AppError(
        'INPUT_INVALID',
        `the file is not valid UTF-8: byte ${failure.byteOffset} (0x${failure.byte.toString(16).padStart(2, '0')}) ` +
          `${line !== undefined ? `on line ${line} ` : ''}is not part of a UTF-8 character. ${advice} Nothing was imported.`,
        { details: { byteOffset: failure.byteOffset, ...(guess ? { likelyEncoding: guess.encoding } : {}) } },
      );
    }
    case 'utf8-truncated':
      return new AppError(
        'INPUT_INVALID',
        `the file is not valid UTF-8: it ends in the middle of a character (byte ${failure.byteOffset}). Save it as "CSV UTF-8" and import again.`,
      );
    case 'unterminated':
    case 'csv': {
      const code = failure.kind === 'csv' ? failure.code : 'CSV_MAX_RECORD_SIZE';
      const local = failure.kind === 'csv' ? failure.line : 1;
      const line = local === undefined ? undefined : (await csvLinesBefore(source, failure.offset)) + local - 1;
      const where = line ? `line ${line}` : 'the file';
      const message = failure.kind === 'csv' ? failure.message : code;
      return new AppError('INPUT_INVALID', `cannot parse CSV at ${where}: ${CSV_HINTS[code] ?? message}. Nothing was imported.`, {
        details: { csvCode: code, line },
      });
    }
  }
}

/** The line csv-parse is on at byte `offset` (a record boundary): 1 plus the lines it counted before. */
async function csvLinesBefore(source: Pick<CsvSource, 'file' | 'dialect'>, offset: number): Promise<number> {
  if (offset === 0) return 1;
  const parser = new Parser(csvParseOptions(source.dialect, true));
  parser.on('data', () => undefined);
  const handle = await open(source.file, 'r');
  try {
    for (let position = 0; position < offset; ) {
      const block = await readAt(handle, position, Math.min(CHUNK_BYTES, offset - position));
      if (block.length === 0) break;
      position += block.length;
      if (!parser.write(block)) await new Promise((resolve) => parser.once('drain', resolve));
    }
  } finally {
    await handle.close();
  }
  await new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
    parser.end();
  });
  return parser.info.lines;
}

/** 1 plus the number of line feeds before `offset`. */
/** Bytes of the file's head the encoding guess reads. */
const GUESS_BYTES = 64 * 1024;

async function headOf(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    return await readAt(handle, 0, bytes);
  } finally {
    await handle.close();
  }
}

async function physicalLineAt(file: string, offset: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const bytes = await readAt(handle, 0, offset);
    let line = 1;
    for (const b of bytes) if (b === LF) line++;
    return line;
  } finally {
    await handle.close();
  }
}
