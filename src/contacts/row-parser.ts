import type { CountryCode } from 'libphonenumber-js/max';
import { canonicalLanguage, canonicalTimeZone, mapColumns, parseValue, type ColumnMap } from './columns.js';
import { parseCsvChunk, type ChunkFailure, type CsvChunk, type CsvDialect } from './csv-source.js';
import { normalizePhone } from './phone.js';

export const REJECTED_SAMPLE = 100;
const MAX_TEXT = 1_000;

export interface RejectedRow {
  /** Position in the file; the header is row 1. */
  row: number;
  /** The column the problem is in ("*" for the row as a whole). */
  field: string;
  value: string;
  reason: string;
}

export interface RowParserConfig {
  dialect: CsvDialect;
  country: CountryCode | undefined;
  /** An example number for messages, e.g. "+48512345678". */
  example: string;
  /** Undefined until the header has been read: the chunk that holds it maps the columns. */
  columns: ColumnMap | undefined;
  /** The `--value-column` header, if any. */
  valueColumn?: string | undefined;
  /** Key range boundaries (see ContactWriter); set by the chunk that holds the header, from its numbers. */
  bounds: string[] | undefined;
}

/**
 * Number of key ranges the accepted rows are sorted into (see ContactWriter in import-writer.ts).
 * Ten ranges of 20,000-row transactions: the writer holds up to ~200,000 rows (~22 MB).
 */
export const KEY_RANGES = 10;
/** Accepted rows of the header chunk whose numbers set the key range boundaries. */
const BOUNDS_SAMPLE = 1_000;

/**
 * Accepted rows of one key range of a chunk, ready for SQLite's jsonb_each: UTF-8 JSON arrays
 * [e164, country, name, language, timezone, attributes JSON, chunk-local row] joined by ",\n".
 * JSON text never holds a raw line feed, so the line feeds mark the rows. Bytes rather than
 * strings keep the rows the importer holds off the V8 heap (whose garbage otherwise grows to twice
 * what is live), and each range has its own buffer so that rows written early do not keep the rows
 * of slower ranges alive, or the other way round.
 */
export interface RangeRows {
  bytes: Uint8Array;
  /** Chunk-local row number (1 = the chunk's first record) of each row, ascending. */
  rows: Int32Array;
}

export interface ParsedChunk {
  /** Records in the chunk, blank lines and the header included: how far the next chunk's rows start. */
  records: number;
  /** The column map and key range boundaries, when this chunk held the header. */
  columns: ColumnMap | undefined;
  bounds: string[] | undefined;
  /** Data rows (not blank, not the header). */
  dataRows: number;
  /** Accepted rows by key range; empty when the chunk has none (blank lines, or the header not reached yet). */
  ranges: RangeRows[];
  /** Up to REJECTED_SAMPLE rejections, in row order, with chunk-local row numbers. */
  rejected: RejectedRow[];
  rejectedCount: number;
  failure: ChunkFailure | undefined;
}

/**
 * Parses and validates one chunk of whole records. Deterministic (its only state is scratch
 * buffers), so it runs the same inline and in the import's worker threads; row numbers are local
 * to the chunk because a worker cannot know how many records the chunks before it hold.
 */
export function parseChunk(config: RowParserConfig, chunk: CsvChunk): ParsedChunk {
  const { country, example, dialect } = config;
  let columns = config.columns;
  let found: ColumnMap | undefined;
  let bounds = config.bounds;
  let ranges: RangeBuilder[] | undefined;
  // Rows accepted before the key range boundaries are known (the header's slice), routed after it.
  const early: { key: string; text: string; row: number }[] = [];
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  let dataRows = 0;
  let records = 0;
  const reject = (row: number, field: string, value: string, reason: string) => {
    rejectedCount++;
    if (rejected.length < REJECTED_SAMPLE) rejected.push({ row, field, value: value.slice(0, 200), reason });
  };
  const context: RecordContext = { country, delimiter: dialect.delimiter, hint: `; write numbers in E.164 like ${example}${country ? '' : ' or import with --country'}` };

  const route = () => {
    bounds ??= rangeBounds(early.map((r) => r.key));
    ranges = Array.from({ length: bounds.length + 1 }, (_, index) => new RangeBuilder(index));
    for (const r of early.splice(0)) ranges[rangeOf(bounds, r.key)]!.add(r.text, r.row);
  };

  const failure = parseCsvChunk(chunk, dialect, (slice) => {
    let first = 0;
    if (!columns) {
      // Blank lines before the header count as rows but are otherwise ignored.
      while (first < slice.length && isBlank(slice[first]!)) first++;
      if (first < slice.length) {
        columns = found = mapColumns(slice[first]!, { valueColumn: config.valueColumn });
        first++;
      }
    }
    if (!columns) {
      records += slice.length;
      return;
    }
    for (let i = first; i < slice.length; i++) {
      const record = slice[i]!;
      const row = records + i + 1;
      if (isBlank(record)) continue;
      dataRows++;
      const contact = contactOfRecord(record, row, columns, context);
      if (!contact.ok) {
        reject(row, contact.field, contact.value, contact.reason);
        continue;
      }
      if (ranges) ranges[rangeOf(bounds!, contact.key)]!.add(contact.json, row);
      else early.push({ key: contact.key, text: contact.json, row });
    }
    records += slice.length;
    // Once the boundaries are known (given, or sampled from the header chunk's first BOUNDS_SAMPLE
    // rows), rows go straight to their ranges.
    if (!ranges && (bounds || early.length >= BOUNDS_SAMPLE)) route();
    for (const range of ranges ?? []) range.flush();
  });
  // A header chunk with fewer rows than the sample: its rows are the sample (none: one range). The
  // chunk that maps the columns always sets the boundaries every later chunk uses.
  if (!failure && !ranges && columns) {
    route();
    for (const range of ranges!) range.flush();
  }
  if (failure) return { records: 0, columns: undefined, bounds: undefined, dataRows: 0, ranges: [], rejected: [], rejectedCount: 0, failure };
  return {
    records,
    columns: found,
    bounds: config.bounds ? undefined : bounds,
    dataRows,
    ranges: ranges?.map((range) => range.build()) ?? [],
    rejected,
    rejectedCount,
    failure: undefined,
  };
}

interface RecordContext {
  country: CountryCode | undefined;
  delimiter: string;
  /** Appended to a number's format problem: how to write numbers. */
  hint: string;
}

/** One data record as a contact (its key and its JSON row), or the first problem found in it. */
type RecordVerdict = { ok: true; key: string; json: string } | { ok: false; field: string; value: string; reason: string };

const problem = (field: string, value: string, reason: string): RecordVerdict => ({ ok: false, field, value, reason });

/** An optional column's value made canonical: null when empty, undefined when present but not valid. */
function optional(record: string[], index: number, canonical: (raw: string) => string | null): { raw: string | null; value: string | null | undefined } {
  const raw = index >= 0 ? text(record[index]) : null;
  return { raw, value: raw ? canonical(raw) || undefined : null };
}

/**
 * One data record, in steps: its shape (as many fields as the header), the number, the language
 * and time zone columns, the attributes, the value column, the name; the first step that fails
 * names the field, the value and what is accepted.
 */
function contactOfRecord(record: string[], row: number, columns: ColumnMap, context: RecordContext): RecordVerdict {
  const width = columns.width;
  if (record.length !== width && !(record.length > width && record.slice(width).every((v) => v.trim() === ''))) {
    return problem('*', record.join(context.delimiter), `has ${record.length} fields but the header has ${width}; check the quoting of this row`);
  }
  const raw = record[columns.phoneIndex] ?? '';
  const phone = normalizePhone(raw, context.country);
  if (!phone.ok) return problem(columns.phoneHeader, raw, phone.formatHint ? phone.reason + context.hint : phone.reason);
  const language = optional(record, columns.languageIndex, canonicalLanguage);
  if (language.value === undefined) return problem('language', language.raw!, 'is not a language tag; use BCP 47 such as en-US, pl-PL, ru-RU or bg-BG');
  const timezone = optional(record, columns.timezoneIndex, canonicalTimeZone);
  if (timezone.value === undefined) return problem('timezone', timezone.raw!, 'is not an IANA time zone; use a name such as Europe/Warsaw or America/New_York');
  const valueRaw = columns.valueIndex >= 0 ? text(record[columns.valueIndex]) : null;
  const value = valueRaw ? parseValue(valueRaw) : null;
  if (valueRaw && value === null) {
    return problem(columns.header[columns.valueIndex]!, valueRaw, 'is not a number; write a currency-free value such as 1234.50, 1 234,50 or 1,234.50 (or leave it empty)');
  }
  const name = columns.nameIndex >= 0 ? text(record[columns.nameIndex]) : joinName(text(record[columns.givenNameIndex]), text(record[columns.familyNameIndex]));
  // JSON by hand (half the time of JSON.stringify on an array): the number, country, language
  // tag and zone name are canonical (no quote or backslash), only free text is escaped.
  const json =
    `["${phone.e164}",${phone.country ? `"${phone.country}"` : 'null'},${name === null ? 'null' : JSON.stringify(name)},` +
    `${language.value === null ? 'null' : `"${language.value}"`},${timezone.value === null ? 'null' : `"${timezone.value}"`},${JSON.stringify(attributesOf(record, columns))},${row},${value === null ? 'null' : value}]`;
  return { ok: true, key: phone.e164, json };
}

/** The record's attribute columns as a JSON object of the non-empty ones ('{}' for none). */
function attributesOf(record: string[], columns: ColumnMap): string {
  if (columns.attributes.length === 0) return '{}';
  const values: Record<string, string> = {};
  let any = false;
  for (const [index, key] of columns.attributes) {
    const value = text(record[index]);
    if (value) {
      values[key] = value;
      any = true;
    }
  }
  return any ? JSON.stringify(values) : '{}';
}

/** "Anna" + "Nowak" → "Anna Nowak"; either alone; null when both are empty or absent. */
function joinName(given: string | null, family: string | null): string | null {
  if (given && family) return `${given} ${family}`;
  return given ?? family;
}

/**
 * Scratch buffers of the range builders, kept from one chunk to the next: grown once, they are
 * not garbage for every chunk (in a worker, buffers that outlive a few scavenges are only freed by
 * a full collection).
 */
const scratch: Uint8Array[] = [];

/**
 * Collects one range's rows as UTF-8 bytes. Rows are encoded a slice at a time (one call for ~100
 * rows, not one per row) into a scratch buffer; build() copies them out at their exact size.
 */
class RangeBuilder {
  readonly #index: number;
  #used = 0;
  #pending: string[] = [];
  #rows: number[] = [];

  constructor(index: number) {
    this.#index = index;
    scratch[index] ??= new Uint8Array(256 * 1024);
  }

  add(json: string, row: number): void {
    this.#pending.push(json);
    this.#rows.push(row);
  }

  /** Encodes the rows added since the last flush. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const text = (this.#used > 0 ? ',\n' : '') + this.#pending.join(',\n');
    this.#pending.length = 0;
    let bytes = scratch[this.#index]!;
    // A UTF-8 encoding takes at most 3 bytes per UTF-16 unit.
    if (this.#used + text.length * 3 > bytes.length) {
      const bigger = new Uint8Array(Math.max(bytes.length * 2, this.#used + text.length * 3));
      bigger.set(bytes.subarray(0, this.#used));
      bytes = scratch[this.#index] = bigger;
    }
    this.#used += encoder.encodeInto(text, bytes.subarray(this.#used)).written;
  }

  /** An exact-size copy, with a buffer of its own that can be transferred. */
  build(): RangeRows {
    this.flush();
    return { bytes: scratch[this.#index]!.slice(0, this.#used), rows: Int32Array.from(this.#rows) };
  }
}

/** KEY_RANGES - 1 ascending boundaries at the quantiles of a sample of numbers ([] for too small a sample). */
export function rangeBounds(sample: string[]): string[] {
  if (sample.length < 10 * KEY_RANGES) return [];
  const keys = [...sample].sort();
  const bounds: string[] = [];
  for (let r = 1; r < KEY_RANGES; r++) {
    const key = keys[Math.floor((r * keys.length) / KEY_RANGES)]!;
    if (key !== bounds[bounds.length - 1]) bounds.push(key);
  }
  return bounds;
}

/** The range of a number: how many boundaries are at or below it. Equal numbers share a range. */
export function rangeOf(bounds: string[], key: string): number {
  let low = 0;
  let high = bounds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (bounds[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

const encoder = new TextEncoder();

const isBlank = (record: string[]) => record.length === 1 && record[0]!.trim() === '';

function text(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.length > MAX_TEXT ? trimmed.slice(0, MAX_TEXT) : trimmed;
}
