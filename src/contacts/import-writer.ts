import type { ContactRows, DuplicateRow, ImportSession } from './import-sink.js';
import { REJECTED_SAMPLE, type RangeRows } from './row-parser.js';

/**
 * Rows per write transaction: long enough to amortise the commit, short enough (~0.1 s for
 * 20,000 rows of one key range at 1M contacts) that a dialer writing beside the import waits
 * well within its busy timeout.
 */
export const WRITE_BATCH_ROWS = 20_000;

export interface ContactWriterOptions {
  /** Where the rows go: the list being filled, or a dry run's scratch table. */
  session: ImportSession;
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
 * Writes accepted rows into the contacts table in short transactions (ImportSession.write, one per
 * batch), so that a repeated number keeps its first occurrence.
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
  /** Per key range, the rows held: segments in file order. */
  #ranges: Segment[][] = [];
  #buffered = 0;
  #committed = false;

  constructor(options: ContactWriterOptions) {
    this.#options = options;
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
  async writeDue(budgetRows: number): Promise<void> {
    if (!this.#committed) {
      if (this.#buffered >= WRITE_BATCH_ROWS) await this.#commit(this.#oldest(WRITE_BATCH_ROWS));
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
      written += await this.#commit(oldestOf(fullest, WRITE_BATCH_ROWS));
    }
  }

  /** Writes everything held, neighbouring ranges together in transactions of about WRITE_BATCH_ROWS rows. */
  async finish(): Promise<void> {
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
      await this.#commit(batch);
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
  async #commit(batch: Piece[]): Promise<number> {
    this.#options.signal?.throwIfAborted();
    const pieces = batch.map(rowsOf);
    const inserted = await this.#options.session.write(pieces);
    let written = 0;
    for (let i = 0; i < batch.length; i++) {
      const piece = batch[i]!;
      await this.#count(piece, pieces[i]!, inserted[i]!);
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

  /** Counts a written piece's rows, and names its duplicates while they could be among the first REJECTED_SAMPLE. */
  async #count({ segment, from, to }: Piece, rows: ContactRows, inserted: number): Promise<void> {
    this.imported += inserted;
    const repeated = to - from - inserted;
    if (repeated === 0) return;
    this.duplicates += repeated;
    const sample = this.duplicateRows;
    if (sample.length >= REJECTED_SAMPLE && rows.base + segment.rows[from]! > sample[sample.length - 1]!.row) return;
    for (const duplicate of await this.#options.session.duplicates(rows)) {
      if (sample.length >= REJECTED_SAMPLE && duplicate.row > sample[sample.length - 1]!.row) continue;
      let at = sample.length;
      while (at > 0 && sample[at - 1]!.row > duplicate.row) at--;
      sample.splice(at, 0, duplicate);
      if (sample.length > REJECTED_SAMPLE) sample.pop();
    }
  }
}

/** A piece's rows as the session takes them: their bytes, not copied. */
function rowsOf({ segment, endByte }: Piece): ContactRows {
  const { bytes, base, nextByte } = segment;
  return { json: Buffer.from(bytes.buffer, bytes.byteOffset + nextByte, endByte - nextByte), base };
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
