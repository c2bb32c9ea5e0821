import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openDatabase, SqliteUnits, type AppDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';

describe('SqliteUnits (the unit of work on SQLite, with group commit)', () => {
  let database: AppDatabase | undefined;
  let reader: Database.Database | undefined;
  afterEach(() => {
    reader?.close();
    database?.close();
  });

  /** A file database with one table, its units (the stores: one insert), and a second connection that sees only commits. */
  function open() {
    const file = path.join(tempDir('write-batch-'), 'batch.db');
    const db = openDatabase({ path: file });
    database = db;
    db.sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
    const other = new Database(file, { readonly: true });
    reader = other;
    const insert = db.sqlite.prepare('INSERT INTO t (v) VALUES (?)');
    return {
      db,
      batch: new SqliteUnits(db, { insert: async (v: string) => Number(insert.run(v).lastInsertRowid) }),
      insert,
      reader: other,
      visible: () => (other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n,
    };
  }

  it('commits the units queued in one event-loop round in one transaction, and settles each after the commit', async () => {
    const { db, batch, reader, visible } = open();
    const units = ['a', 'b', 'c'].map((v) =>
      batch.run(async (tx) => {
        expect(db.sqlite.inTransaction).toBe(true);
        return tx.insert(v);
      }),
    );
    // Nothing runs before the round ends, and nothing is visible to another connection.
    expect(visible()).toBe(0);
    const ids = await Promise.all(units);
    expect(ids).toEqual([1, 2, 3]);
    // Settled only once durable: another connection sees all three.
    expect(visible()).toBe(3);
    // One transaction: the data_version of the other connection moved once for the three.
    const before = reader.pragma('data_version', { simple: true });
    await Promise.all([batch.run((tx) => tx.insert('d')), batch.run((tx) => tx.insert('e'))]);
    expect(reader.pragma('data_version', { simple: true })).toBe((before as number) + 1);
  });

  it('puts at most 32 units in one transaction and runs a busy round whole: every unit of it settles once its last transaction committed', async () => {
    const { batch, visible } = open();
    const committedBefore: number[] = [];
    const seen: number[] = [];
    const units = Array.from({ length: 70 }, (_, i) =>
      batch
        .run(async (tx) => {
          // What another connection sees while this unit runs: the rows of the round's earlier transactions.
          committedBefore.push(visible());
          return tx.insert(`v${i}`);
        })
        .then(() => seen.push(visible())),
    );
    await Promise.all(units);
    expect(committedBefore).toEqual([...Array<number>(32).fill(0), ...Array<number>(32).fill(32), ...Array<number>(6).fill(64)]);
    expect(new Set(seen)).toEqual(new Set([70]));
  });

  it('rolls a failing unit back alone: it rejects, the others commit', async () => {
    const { db, batch } = open();
    const outcomes = await Promise.allSettled([
      batch.run((tx) => tx.insert('x')),
      batch.run(async (tx) => {
        await tx.insert('half-done');
        await tx.insert('x'); // unique violation: the whole unit goes, 'half-done' with it
      }),
      batch.run((tx) => tx.insert('y')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(db.sqlite.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['x', 'y']);
  });

  it('keeps batches apart across rounds: a later unit is not held for an earlier round', async () => {
    const { db, batch } = open();
    await batch.run((tx) => tx.insert('first'));
    await batch.run((tx) => tx.insert('second'));
    expect(db.sqlite.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['first', 'second']);
  });

  it('takes the write lock at BEGIN: a writer committing between a unit\'s read and its write cannot make it fail with "database is locked"', async () => {
    const { db, batch, insert } = open();
    insert.run('seed');
    // Another process's writer (an import): it gives up at once instead of waiting.
    const importer = new Database(db.sqlite.name);
    importer.pragma('busy_timeout = 0');
    const importerWrites: string[] = [];
    try {
      const result = await batch.run(async (tx) => {
        const before = (db.sqlite.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
        // The import commits right after the webhook's read. With a deferred BEGIN it got in and
        // the webhook's write then failed at once with SQLITE_BUSY_SNAPSHOT, whatever the busy timeout.
        try {
          importer.prepare("INSERT INTO t (v) VALUES ('import')").run();
          importerWrites.push('committed');
        } catch (error) {
          importerWrites.push((error as { code?: string }).code ?? 'error');
        }
        await tx.insert('webhook');
        return before;
      });
      expect(result).toBe(1);
      expect(importerWrites).toEqual(['SQLITE_BUSY']);
      expect(db.sqlite.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['seed', 'webhook']);
    } finally {
      importer.close();
    }
  });

  it('rolls the whole batch back when a unit awaits anything but its stores: other code could have written inside it', async () => {
    const { db, batch } = open();
    const outcomes = await Promise.allSettled([
      batch.run((tx) => tx.insert('a')),
      batch.run(async (tx) => {
        await new Promise((resolve) => setImmediate(resolve));
        return tx.insert('b');
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('awaited something other than its stores');
    expect(db.sqlite.inTransaction).toBe(false);
    expect(db.sqlite.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    // The next batch works.
    await batch.run((tx) => tx.insert('c'));
    expect(db.sqlite.prepare('SELECT v FROM t').pluck().all()).toEqual(['c']);
  });
});
