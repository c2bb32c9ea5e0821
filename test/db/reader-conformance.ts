import { describe, expect, it } from '@jest/globals';
import { jsonText, type SqlReader } from '../../src/db/index.js';
import { freshFixture } from '../support/conformance.js';

export interface ReaderFixture {
  reader: SqlReader;
  /** Inserts a client the way a writer does (another connection than the reader's, committed at once). */
  addClient(name: string, createdAt: number, taxonomy?: string): Promise<void>;
  close(): Promise<void>;
}

/** The read models' port: one suite, every backend (SQLite, PostgreSQL). */
export function readerConformance(name: string, open: () => Promise<ReaderFixture>): void {
  describe(`SqlReader on ${name}`, () => {
    const fixture = freshFixture(open);

    it('numbers `?` placeholders, keeps quoted camelCase aliases, and answers counts, sums and bigints as numbers', async () => {
      const { reader, addClient } = await fixture();
      await addClient('a?b', 1764806400123);
      await addClient('c', 5);
      const row = await reader.get<{ n: number; total: number; firstAt: number; name: string }>(
        `SELECT count(*) AS n, sum(created_at) AS total, min(created_at) AS "firstAt", max(name) AS name FROM clients WHERE name <> '?' AND created_at >= ?`,
        [1],
      );
      expect(row).toEqual({ n: 2, total: 1764806400128, firstAt: 5, name: 'c' });
      expect(await reader.all(`SELECT name FROM clients WHERE created_at > ? AND name = ? ORDER BY name`, [4, 'a?b'])).toEqual([{ name: 'a?b' }]);
      expect(await reader.get('SELECT name FROM clients WHERE created_at = CAST(? AS bigint) OR CAST(? AS bigint) IS NULL', [99, 99])).toBeUndefined();
    });

    it('reads a key of a JSON text column, null when absent', async () => {
      const { reader, addClient } = await fixture();
      await addClient('t', 1, JSON.stringify({ region: 'North', n: 3 }));
      const sql = `SELECT ${jsonText(reader.dialect, 'taxonomy', 'region')} AS region, ${jsonText(reader.dialect, 'taxonomy', 'missing')} AS missing FROM clients`;
      expect(await reader.get(sql)).toEqual({ region: 'North', missing: null });
    });

    it('reads one snapshot: a commit made while it runs is not seen inside, and is seen after', async () => {
      const { reader, addClient } = await fixture();
      await addClient('first', 1);
      const seen = await reader.snapshot(async (r) => {
        const before = await r.get<{ n: number }>('SELECT count(*) AS n FROM clients');
        await addClient('second', 2);
        const nested = await r.snapshot((inner) => inner.get<{ n: number }>('SELECT count(*) AS n FROM clients'));
        const after = await r.get<{ n: number }>('SELECT count(*) AS n FROM clients');
        return [before!.n, nested!.n, after!.n];
      });
      expect(seen).toEqual([1, 1, 1]);
      expect((await reader.get<{ n: number }>('SELECT count(*) AS n FROM clients'))!.n).toBe(2);
    });

    it('runs snapshots asked for at once one after another, each whole', async () => {
      const { reader, addClient } = await fixture();
      await addClient('x', 1);
      const counts = await Promise.all(
        [0, 1, 2].map((i) => reader.snapshot(async (r) => (await r.get<{ n: number }>('SELECT count(*) AS n FROM clients WHERE created_at >= ?', [i]))!.n)),
      );
      expect(counts).toEqual([1, 1, 0]);
    });
  });
}
