import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError } from '../errors/index.js';

export type Delimiter = ',' | ';' | '\t';

/** Largest record csv-parse accepts; a field beyond it is a broken file, not a contact. */
export const MAX_RECORD_BYTES = 64 * 1024;

export interface CsvSourceOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes read so far, for progress bars. */
  onBytes?: (bytesRead: number) => void;
}

export interface CsvSource {
  totalBytes: number;
  delimiter: Delimiter;
  /**
   * Records in file order, in batches (the first record is the header). Batches keep the
   * per-record cost synchronous: one promise per batch instead of two per row.
   */
  batches: AsyncIterable<string[][]>;
}

/**
 * Decodes the file as strict UTF-8 (a BOM is dropped), so that a file saved in another encoding is
 * refused with its byte offset instead of being imported with mangled names.
 */
async function* decodeUtf8(file: string, options: CsvSourceOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let previous: Buffer | undefined;
  const stream = createReadStream(file, { highWaterMark: 256 * 1024, signal: options.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw invalidUtf8(chunk, offset, incompleteTail(previous));
    }
    previous = chunk;
    offset += chunk.length;
    options.onBytes?.(offset);
    if (text) yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw new AppError('INPUT_INVALID', `the file is not valid UTF-8: it ends in the middle of a character (byte ${offset}). Save it as "CSV UTF-8" and import again.`);
  }
}

function invalidUtf8(chunk: Buffer, chunkOffset: number, pending: Buffer): AppError {
  // Find the first bad byte in this chunk for a precise message. The decoder may hold the first
  // bytes of a character split across the chunk boundary, so the search starts from them. A prefix
  // that fails to decode still fails when extended, so a binary search finds the byte whose
  // addition fails (a byte-by-byte scan re-decoded the prefix each time: minutes for one chunk).
  const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
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
  const at = good;
  const byteOffset = chunkOffset - pending.length + at;
  const line = bytes.subarray(0, at).toString('utf8').split('\n').length;
  return new AppError(
    'INPUT_INVALID',
    `the file is not valid UTF-8: byte ${byteOffset} (0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}) ` +
      `${chunkOffset === 0 ? `on line ${line} ` : ''}is not part of a UTF-8 character. ` +
      'Save the file as "CSV UTF-8" (or convert it with iconv) and import again.',
    { details: { byteOffset } },
  );
}

/** The bytes at the end of a chunk that begin a character the next chunk completes. */
function incompleteTail(chunk: Buffer | undefined): Buffer {
  if (!chunk) return Buffer.alloc(0);
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const byte = chunk[chunk.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? chunk.subarray(chunk.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

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
 * Opens a CSV file as a stream of records: strict UTF-8, BOM dropped, comma, semicolon or tab
 * detected from the header, RFC 4180 quoting (commas and newlines inside quotes), blank lines
 * skipped. Parse errors become INPUT_INVALID errors that name the line.
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

  const chunks = decodeUtf8(file, options);
  const iterator = chunks[Symbol.asyncIterator]();
  const head: string[] = [];
  let headText = '';
  while (!/\r|\n/.test(headText) && headText.length < MAX_RECORD_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headText += next.value;
  }
  const firstLine = headText.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0] ?? '';
  const delimiter = detectDelimiter(firstLine);

  async function* all(): AsyncGenerator<string> {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: false,
    // Blank lines come through as [''] and are skipped by the importer, so that row numbers in
    // messages keep matching the spreadsheet's.
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_BYTES,
  });
  const input = Readable.from(all());
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  parser.on('readable', () => wake?.());
  parser.on('end', () => {
    ended = true;
    wake?.();
  });
  parser.on('error', (error) => {
    failure = error;
    wake?.();
  });

  async function* batches(): AsyncGenerator<string[][]> {
    try {
      for (;;) {
        if (failure) throw failure;
        const batch: string[][] = [];
        let record: string[] | null;
        while (batch.length < BATCH_RECORDS && (record = parser.read() as string[] | null) !== null) batch.push(record);
        if (batch.length > 0) {
          yield batch;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } catch (error) {
      throw csvError(error);
    } finally {
      input.destroy();
      parser.destroy();
    }
  }
  return { totalBytes, delimiter, batches: batches() };
}

const BATCH_RECORDS = 2_000;

function csvError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const e = error as { code?: string; message?: string; lines?: number; name?: string };
  if (e.name === 'AbortError') return error;
  if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    const hints: Record<string, string> = {
      CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed; check for a stray " character',
      CSV_INVALID_CLOSING_QUOTE: 'a quote inside a field is not doubled; write "" for a literal quote',
      CSV_MAX_RECORD_SIZE: `a record is longer than ${MAX_RECORD_BYTES} bytes; the file is probably not a contact list or its quoting is broken`,
      CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote; quote the whole field',
    };
    const where = e.lines ? `line ${e.lines}` : 'the file';
    return new AppError('INPUT_INVALID', `cannot parse CSV at ${where}: ${hints[e.code] ?? e.message ?? e.code}. Nothing was imported.`, {
      details: { csvCode: e.code, line: e.lines },
      cause: error,
    });
  }
  return error;
}
