import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import type { ImportProgress } from '../../src/contacts/index.js';
import { testEnv, type TestEnv } from '../support/factories.js';
import { countRows, importCsv, rejection, storedContacts } from '../support/imports.js';

/**
 * The importer reads files of more than a few hundred KB in chunks cut at record boundaries, parses
 * them in worker threads, and writes rows by ranges of numbers rather than in file order. These
 * files span many chunks, so that those mechanics are exercised; what is checked is what the user
 * sees: row numbers, the first occurrence kept, rejections in file order, short transactions.
 */

/** A valid Polish mobile number for n (distinct n, distinct numbers), spread over several prefixes. */
function mobile(n: number): string {
  const prefixes = ['50', '51', '53', '60', '66', '69', '72', '73', '78', '79', '88'];
  return `+48${prefixes[n % prefixes.length]}${String((n * 7_654_321 + 12_345) % 10_000_000).padStart(7, '0')}`;
}

/** Deterministic pseudo-random integers (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647);
}

interface Expected {
  row: number;
  phone: string;
  name: string;
  note: string;
}

describe('importList: files of many chunks', () => {
  it('numbers rows exactly across chunk boundaries, with quoted newlines and quotes, blank lines and CRLF', async () => {
    // ~3 MB: several 512 KiB chunks and many 64 KiB slices, with multi-line records on their edges.
    const records: string[] = ['phone,name,note'];
    const accepted: Expected[] = [];
    const rejected: { row: number; value: string }[] = [];
    for (let i = 0; records.length < 45_000; i++) {
      const row = records.length + 1;
      if (i % 997 === 5) {
        records.push('');
      } else if (i % 1009 === 7) {
        records.push(`55${i % 100},Short ${i},x`);
        rejected.push({ row, value: `55${i % 100}` });
      } else {
        const name = `Nowak, "Jan" ${i}`;
        const note = i % 3 === 0 ? `line one ${i}\r\nline two, "quoted"` : `plain ${i}`;
        records.push(`${mobile(i)},"${name.replace(/"/g, '""')}","${note.replace(/"/g, '""')}"`);
        accepted.push({ row, phone: mobile(i), name, note });
      }
    }
    const content = `${records.join('\r\n')}\r\n`;
    expect(Buffer.byteLength(content)).toBeGreaterThan(2.5 * 1024 * 1024);
    // The expectation agrees with csv-parse reading the whole file at once.
    const reference = parse(content, { relax_column_count: true, skip_empty_lines: false }) as string[][];
    expect(reference).toHaveLength(records.length);
    expect(reference[accepted[10]!.row - 1]).toEqual([accepted[10]!.phone, accepted[10]!.name, accepted[10]!.note]);

    for (const parallel of [false, true]) {
      const env = testEnv();
      const summary = await importCsv(env, content, { parallel });
      expect(summary).toMatchObject({ imported: accepted.length, duplicates: 0, rejectedCount: rejected.length });
      expect(summary.rejected.map((r) => ({ row: r.row, value: r.value }))).toEqual(rejected.slice(0, 100));
      const stored = storedContacts(env, summary.listId);
      expect(stored.map((c) => ({ row: c.row, phone: c.phone, name: c.name, note: c.attributes.note }))).toEqual(accepted);
    }
  });

  it('keeps the first occurrence of every number when rows are written by ranges of numbers, and names the first duplicates in file order', async () => {
    // The first rows spread over all numbers (they set the ranges); the rest crowd into one range
    // (+4888…), which is then written on its own, several times, while the others wait.
    const draw = random(7);
    const lines: string[] = [];
    const phones: string[] = [];
    for (let i = 0; i < 2_000; i++) phones.push(mobile(i));
    for (let i = 0; i < 58_000; i++) {
      const r = draw();
      // Mostly numbers of one narrow band, a third of them repeated; now and then one of the first rows again.
      phones.push(r % 50 === 0 ? mobile(r % 2_000) : `+4888${String(r % 30_000).padStart(7, '0')}`);
    }
    phones.forEach((phone, i) => lines.push(`${phone},Row ${i + 2}`));
    const content = `phone,name\n${lines.join('\n')}\n`;

    const firstRow = new Map<string, number>();
    const duplicateRows: { row: number; value: string; firstRow: number }[] = [];
    phones.forEach((phone, i) => {
      const row = i + 2;
      const first = firstRow.get(phone);
      if (first === undefined) firstRow.set(phone, row);
      else duplicateRows.push({ row, value: phone, firstRow: first });
    });
    expect(duplicateRows.length).toBeGreaterThan(20_000);

    const runs = [];
    for (const parallel of [false, true]) {
      const env = testEnv();
      const { reports, onProgress } = progressRecorder(env);
      const summary = await importCsv(env, content, { parallel, onProgress });
      expect(summary).toMatchObject({ rows: phones.length, imported: firstRow.size, duplicates: duplicateRows.length, rejectedCount: 0 });
      expect(summary.duplicateRows).toEqual(duplicateRows.slice(0, 100));
      const stored = storedContacts(env, summary.listId);
      expect(stored).toHaveLength(firstRow.size);
      for (const contact of stored) {
        expect(contact.row).toBe(firstRow.get(contact.phone));
        expect(contact.name).toBe(`Row ${contact.row}`);
      }
      runs.push(reports.map((r) => r.committed));
    }
    // The first transaction holds the file's first 20,000 rows (early commits); each holds at most
    // 20,000 rows, so a dialer writing beside the import waits little.
    const firstTransaction = [...firstRow.values()].filter((row) => row <= 20_001).length;
    for (const committed of runs) {
      expect(committed.length).toBeGreaterThan(2);
      expect(committed[0]).toBe(firstTransaction);
      committed.forEach((n, i) => expect(n - (committed[i - 1] ?? 0)).toBeLessThanOrEqual(20_000));
      expect(committed[committed.length - 1]).toBe(firstRow.size);
    }
  });

  it('names the line of a quoting error far into the file, as csv-parse reading the whole file does', async () => {
    const lines = ['phone,name,note'];
    for (let i = 0; lines.length < 40_000; i++) lines.push(i % 500 === 0 ? `${mobile(i)},"Multi\nline ${i}",x` : `${mobile(i)},Name ${i},x`);
    lines.push('601234567,"Anna"x,y');
    for (let i = 0; i < 100; i++) lines.push(`${mobile(50_000 + i)},After ${i},x`);
    const content = `${lines.join('\n')}\n`;
    let expectedLine: number | undefined;
    try {
      parse(content, { relax_column_count: true, skip_empty_lines: false });
    } catch (error) {
      expectedLine = (error as { lines: number }).lines;
    }
    expect(expectedLine).toBeGreaterThan(40_000);

    const env = testEnv();
    const error = await rejection(importCsv(env, content, { parallel: true }));
    expect(error.message).toBe(
      `cannot parse CSV at line ${expectedLine}: a quote inside a field is not doubled; write "" for a literal quote. Nothing was imported.`,
    );
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });

  it('reads a file whose records end in a lone CR over many chunks', async () => {
    const lines = ['phone;name'];
    const rejected: number[] = [];
    for (let i = 0; lines.length < 60_000; i++) {
      if (i % 4_999 === 3) rejected.push(lines.length + 1);
      lines.push(i % 4_999 === 3 ? `123;Bad ${i}` : `${mobile(i)};Name ${i}`);
    }
    const env = testEnv();
    const summary = await importCsv(env, `${lines.join('\r')}\r`, { parallel: true });
    expect(summary).toMatchObject({ rows: lines.length - 1, imported: lines.length - 1 - rejected.length });
    expect(summary.rejected.map((r) => r.row)).toEqual(rejected);
  });
});

/** Records each progress report with the number of contacts committed at that moment. */
function progressRecorder(env: TestEnv) {
  const reports: (ImportProgress & { committed: number })[] = [];
  const onProgress = (progress: ImportProgress) => reports.push({ ...progress, committed: countRows(env, 'contacts') });
  return { reports, onProgress };
}
