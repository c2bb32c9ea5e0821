import { describe, expect, it } from '@jest/globals';
import { KEY_RANGES, parseChunk, rangeOf, type RowParserConfig } from '../../src/contacts/row-parser.js';

/**
 * The chunk that holds the header sets the key ranges every chunk's rows are sorted into (the
 * writer relies on all occurrences of a number landing in one range). It samples its first
 * accepted rows, across the small slices a chunk is parsed in.
 */
const config = (): RowParserConfig => ({ country: 'PL', example: '+48512345678', dialect: { delimiter: ',', recordDelimiter: '\n' }, columns: undefined, bounds: undefined });

function chunkOf(lines: string[]) {
  return { bytes: new TextEncoder().encode(`${lines.join('\n')}\n`), offset: 0, first: true, last: true, forced: false };
}

const number = (i: number) => `+4850${String((i * 7_919) % 10_000_000).padStart(7, '0')}`;
const decode = (bytes: Uint8Array) => JSON.parse(`[${new TextDecoder().decode(bytes)}]`) as [string, ...unknown[]][];

describe('parseChunk: the key ranges of the header chunk', () => {
  it('samples more rows than one slice holds, and puts every row in the range its number falls in', () => {
    // ~3,000 rows: many 8 KiB slices; the boundaries come from the first 1,000 accepted rows.
    const lines = ['phone,name', ...Array.from({ length: 3_000 }, (_, i) => `${number(i)},Contact ${i}`)];
    const parsed = parseChunk(config(), chunkOf(lines));
    expect(parsed.failure).toBeUndefined();
    expect(parsed.dataRows).toBe(3_000);
    expect(parsed.bounds).toHaveLength(KEY_RANGES - 1);
    expect(parsed.bounds).toEqual([...parsed.bounds!].sort());
    let total = 0;
    parsed.ranges.forEach((range, index) => {
      const rows = decode(range.bytes);
      total += rows.length;
      for (const [e164] of rows) expect(rangeOf(parsed.bounds!, e164)).toBe(index);
      // Sampled from a third of the rows, the ranges still share the rest roughly evenly.
      expect(rows.length).toBeGreaterThan(3_000 / KEY_RANGES / 2);
    });
    expect(total).toBe(3_000);
  });

  it('sets boundaries from a header chunk smaller than the sample, and none (one range) from a chunk without rows', () => {
    const small = parseChunk(config(), chunkOf(['phone', ...Array.from({ length: 200 }, (_, i) => number(i))]));
    expect(small.bounds).toHaveLength(KEY_RANGES - 1);
    expect(small.ranges.reduce((n, r) => n + r.rows.length, 0)).toBe(200);
    const empty = parseChunk(config(), chunkOf(['phone', 'not a number']));
    expect(empty.bounds).toEqual([]);
    expect(empty.rejectedCount).toBe(1);
  });
});
