import type Database from 'better-sqlite3';
import { REJECTED_SAMPLE, type RangeRows } from './row-parser.js';

export interface DuplicateRow {
  row: number;
  value: string;
  /** The row whose contact was kept. */
  firstRow: number;
}

/**
 * Rows per write transaction: long enough to amortise the commit, short enough (~0.1 s for
 * 20,000 rows of one key range at 1M contacts) that a dialer writing beside the import waits
 * well within its busy timeout.
 */
export const WRITE_BATCH_ROWS = 20_000;

export interface ContactWriterOptions {
  sqlite: Database.Database;
  /** The list being filled; null for a dry run, whose rows go to temp.dry_run_contacts. */
  listId: number | null;
  /** Clock time (ms) stamped on the new contacts. */
  now: number;
  signal?: AbortSignal | undefined;
  /** Called after each committed transaction. */
  onCommit?: (() => void) | undefined;
  /**
   * Receives the buffers of rows once written. The importer hands them to a parse worker: moved
   * out of the main thread, they are freed at once, whereas here V8 would free them only at its
   * next full collection, which a main thread that allocates little seldom runs (~40 MB of dead
   * buffers at any time, measured).
   */
  onWritten?: ((buffers: ArrayBuffer[]) => void) | undefined;
}

/** A chunk's rows of one key range, not yet (all) written. */
interface Segment extends RangeRows {
  /** Added to the chunk-local row numbers. */
  base: number;
  /** Index of the first row not yet written, and where its bytes start. */
  next: number;
  nextByte: number;
}

/** Rows [from, to) of a segment, bytes [segment.nextByte, endByte): one statement. */
interface Piece {
  segment: Segment;
  from: number;
  to: number;
  endByte: number;
}

/**
 * Writes accepted rows into the contacts table in short transactions, so that a repeated number
 * keeps its first occurrence.
 *
 * Why key ranges: the unique (phone_e164, list_id) index is what an import pays for. Random numbers
 * in file order spread every 20,000-row transaction over nearly all of the index's leaf pages, and
 * each commit writes every page it touched to the WAL (and the checkpoint copies it again): at 1M
 * contacts that cost ~8 µs a row, more than parsing and validating together. So the parse workers
 * sort rows by number into KEY_RANGES contiguous ranges (boundaries from the numbers of the
 * header's chunk), and once the first transaction is written, a range is written when it holds
 * WRITE_BATCH_ROWS rows: each transaction then touches about a tenth of the index (~3–4 µs a row).
 *
 * Why the first occurrence still wins: every occurrence of a number is in the same range; a range's
 * rows are written in file order (segments oldest first, each statement in (number, row) order);
 * and the first transaction takes the oldest rows of all ranges. A later occurrence therefore meets
 * the earlier one in the unique index and inserts nothing (ON CONFLICT DO NOTHING): that is how
 * duplicates are counted.
 */
export class ContactWriter {
  imported = 0;
  duplicates = 0;
  /** The first REJECTED_SAMPLE duplicate rows in file order (ranges are written out of file order). */
  readonly duplicateRows: DuplicateRow[] = [];

  readonly #options: ContactWriterOptions;
  readonly #insert: Database.Statement;
  readonly #findDuplicates: Database.Statement;
  readonly #write: (pieces: Piece[]) => void;
  /** Per key range, the rows held: segments in file order. */
  #ranges: Segment[][] = [];
  #buffered = 0;
  #committed = false;

  constructor(options: ContactWriterOptions) {
    this.#options = options;
    const { sqlite, listId, now } = options;
    // One statement per piece: jsonb_each reads the rows from the bytes (made a JSON array by
    // SQLite; jsonb rather than json, so that ->> reads each row's fields without re-parsing its
    // text: ~25% less time) and @base turns chunk-local row numbers into the file's.
    // Row fields: 0 e164, 1 country, 2 name, 3 language, 4 timezone, 5 attributes, 6 row.
    // Duplicates are looked up with a subquery per row, not a join: joined, SQLite may loop over the
    // list's contacts outside and the rows inside (jsonb_each has no index), quadratic in the list.
    const rows = `jsonb_each('[' || CAST(@json AS TEXT) || ']') r`;
    if (listId === null) {
      this.#insert = sqlite.prepare(
        `INSERT INTO temp.dry_run_contacts (row_number, phone_e164)
         SELECT r.value->>6 + @base, r.value->>0 FROM ${rows} WHERE true ORDER BY r.value->>0, r.value->>6
         ON CONFLICT DO NOTHING`,
      );
      this.#findDuplicates = sqlite.prepare(
        `SELECT * FROM (
           SELECT r.value->>6 + @base AS row, r.value->>0 AS value,
                  (SELECT d.row_number FROM temp.dry_run_contacts d WHERE d.phone_e164 = r.value->>0) AS firstRow
           FROM ${rows})
         WHERE firstRow <> row`,
      );
    } else {
      this.#insert = sqlite.prepare(
        `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, value, status, attempts, next_attempt_at, updated_at)
         SELECT ${listId}, r.value->>6 + @base, r.value->>0, r.value->>1, r.value->>2, r.value->>3, r.value->>4, r.value->>5, r.value->>7, 'pending', 0, ${now}, ${now}
         FROM ${rows} WHERE true ORDER BY r.value->>0, r.value->>6
         ON CONFLICT DO NOTHING`,
      );
      this.#findDuplicates = sqlite.prepare(
        `SELECT * FROM (
           SELECT r.value->>6 + @base AS row, r.value->>0 AS value,
                  (SELECT c.row_number FROM contacts c WHERE c.phone_e164 = r.value->>0 AND c.list_id = ${listId}) AS firstRow
           FROM ${rows})
         WHERE firstRow <> row`,
      );
    }
    // IMMEDIATE: the write lock is taken at BEGIN, so no reader of ours ever needs to upgrade.
    this.#write = sqlite.transaction((pieces: Piece[]) => {
      for (const piece of pieces) this.#insertPiece(piece);
    }).immediate;
  }

  /** Rows held, not yet written. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk's accepted rows, by key range; `base` turns its local row numbers into the file's. */
  add(ranges: RangeRows[], base: number): void {
    for (let r = 0; r < ranges.length; r++) {
      const range = ranges[r]!;
      if (range.rows.length === 0) continue;
      while (this.#ranges.length <= r) this.#ranges.push([]);
      this.#ranges[r]!.push({ ...range, base, next: 0, nextByte: 0 });
      this.#buffered += range.rows.length;
    }
  }

  /**
   * Writes what is due: the oldest WRITE_BATCH_ROWS rows first (so a list's first rows are
   * committed early), then any range holding WRITE_BATCH_ROWS rows, until about `budgetRows` rows
   * are written (more while the writer holds more than its ranges should). Called between chunks,
   * so that the parse workers keep working while the main thread writes.
   */
  writeDue(budgetRows: number): void {
    if (!this.#committed) {
      if (this.#buffered >= WRITE_BATCH_ROWS) this.#commit(this.#oldest(WRITE_BATCH_ROWS));
      return;
    }
    let written = 0;
    for (;;) {
      let fullest: Segment[] | undefined;
      let most = 0;
      for (const segments of this.#ranges) {
        const held = heldRows(segments);
        if (held > most) [fullest, most] = [segments, held];
      }
      if (!fullest || most < WRITE_BATCH_ROWS) return;
      if (written >= budgetRows && this.#buffered <= this.#ranges.length * WRITE_BATCH_ROWS) return;
      written += this.#commit(oldestOf(fullest, WRITE_BATCH_ROWS));
    }
  }

  /** Writes everything held, neighbouring ranges together in transactions of about WRITE_BATCH_ROWS rows. */
  finish(): void {
    while (this.#buffered > 0) {
      const batch: Piece[] = [];
      let rows = 0;
      for (const segments of this.#ranges) {
        if (rows >= WRITE_BATCH_ROWS) break;
        const taken = oldestOf(segments, WRITE_BATCH_ROWS - rows);
        batch.push(...taken);
        for (const piece of taken) rows += piece.to - piece.from;
      }
      if (batch.length === 0) throw new Error(`import writer holds ${this.#buffered} rows it cannot find`);
      this.#commit(batch);
    }
  }

  /** The `limit` oldest rows held, whatever their range. */
  #oldest(limit: number): Piece[] {
    const all: number[] = [];
    for (const segments of this.#ranges) for (const s of segments) for (let i = s.next; i < s.rows.length; i++) all.push(s.base + s.rows[i]!);
    all.sort((a, b) => a - b);
    const last = all[limit - 1] ?? Infinity;
    const batch: Piece[] = [];
    for (const segments of this.#ranges) {
      for (const segment of segments) {
        let to = segment.next;
        while (to < segment.rows.length && segment.base + segment.rows[to]! <= last) to++;
        if (to > segment.next) batch.push(piece(segment, to));
      }
    }
    return batch;
  }

  /** One transaction; segments written to their end are let go. */
  #commit(batch: Piece[]): number {
    this.#options.signal?.throwIfAborted();
    this.#write(batch);
    let written = 0;
    for (const piece of batch) {
      piece.segment.next = piece.to;
      piece.segment.nextByte = piece.endByte + 2;
      written += piece.to - piece.from;
    }
    const done: ArrayBuffer[] = [];
    for (const segments of this.#ranges) {
      let count = 0;
      while (count < segments.length && segments[count]!.next === segments[count]!.rows.length) {
        const { bytes, rows } = segments[count]!;
        done.push(bytes.buffer as ArrayBuffer, rows.buffer as ArrayBuffer);
        count++;
      }
      if (count > 0) segments.splice(0, count);
    }
    this.#buffered -= written;
    this.#committed = true;
    if (done.length > 0) this.#options.onWritten?.(done);
    this.#options.onCommit?.();
    return written;
  }

  #insertPiece({ segment, from, to, endByte }: Piece): void {
    const { bytes, base, nextByte } = segment;
    const json = Buffer.from(bytes.buffer, bytes.byteOffset + nextByte, endByte - nextByte);
    const changes = this.#insert.run({ json, base }).changes;
    this.imported += changes;
    const repeated = to - from - changes;
    if (repeated === 0) return;
    this.duplicates += repeated;
    // Name the first duplicates in file order: look them up only while they could be among them.
    const sample = this.duplicateRows;
    if (sample.length >= REJECTED_SAMPLE && base + segment.rows[from]! > sample[sample.length - 1]!.row) return;
    for (const duplicate of this.#findDuplicates.all({ json, base }) as DuplicateRow[]) {
      if (sample.length >= REJECTED_SAMPLE && duplicate.row > sample[sample.length - 1]!.row) continue;
      let at = sample.length;
      while (at > 0 && sample[at - 1]!.row > duplicate.row) at--;
      sample.splice(at, 0, duplicate);
      if (sample.length > REJECTED_SAMPLE) sample.pop();
    }
  }
}

const heldRows = (segments: Segment[]) => segments.reduce((n, s) => n + s.rows.length - s.next, 0);

/** The oldest `limit` rows of one range, a piece per segment (each statement binds one base). */
function oldestOf(segments: Segment[], limit: number): Piece[] {
  const batch: Piece[] = [];
  let rows = 0;
  for (const segment of segments) {
    if (rows >= limit) break;
    const from = segment.next;
    const to = Math.min(segment.rows.length, from + limit - rows);
    if (to > from) batch.push(piece(segment, to));
    rows += to - from;
  }
  return batch;
}

/** The segment's rows from `next` up to `to`; their bytes end before the to-th line feed. */
function piece(segment: Segment, to: number): Piece {
  let endByte = segment.bytes.length;
  if (to < segment.rows.length) {
    const bytes = Buffer.from(segment.bytes.buffer, segment.bytes.byteOffset, segment.bytes.length);
    endByte = segment.nextByte;
    for (let row = segment.next; row < to; row++) endByte = bytes.indexOf(0x0a, endByte) + 1;
    endByte -= 2; // before ",\n"
  }
  return { segment, from: segment.next, to, endByte };
}
