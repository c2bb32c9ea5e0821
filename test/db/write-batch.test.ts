import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openDatabase, WriteBatch, type AppDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';

describe('WriteBatch (group commit)', () => {
  let database: AppDatabase | undefined;
  let reader: Database.Database | undefined;
  afterEach(() => {
    reader?.close();
    database?.close();
  });

  /** A file database with one table, its batch, and a second connection that sees only commits. */
  function open() {
    const file = path.join(tempDir('write-batch-'), 'batch.db');
    const db = openDatabase({ path: file });
    database = db;
    db.sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
    const other = new Database(file, { readonly: true });
    reader = other;
    return {
      db,
      batch: new WriteBatch(db),
      insert: db.sqlite.prepare('INSERT INTO t (v) VALUES (?)'),
      reader: other,
      visible: () => (other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n,
    };
  }

  it('commits the units queued in one event-loop round in one transaction, and settles each after the commit', async () => {
    const { db, batch, insert, reader, visible } = open();
    const units = ['a', 'b', 'c'].map((v) =>
      batch.run(() => {
        expect(db.sqlite.inTransaction).toBe(true);
        return Number(insert.run(v).lastInsertRowid);
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
    await Promise.all([batch.run(() => insert.run('d')), batch.run(() => insert.run('e'))]);
    expect(reader.pragma('data_version', { simple: true })).toBe((before as number) + 1);
  });

  it('commits at once when a round has queued 32 units, so the first of a busy round does not wait for the last', async () => {
    const { batch, insert, visible } = open();
    const units = Array.from({ length: 40 }, (_, i) => batch.run(() => insert.run(`v${i}`)));
    expect(visible()).toBe(32);
    await Promise.all(units);
    expect(visible()).toBe(40);
  });

  it('rolls a failing unit back alone: it rejects, the others commit', async () => {
    const { db, batch, insert } = open();
    const outcomes = await Promise.allSettled([
      batch.run(() => insert.run('x')),
      batch.run(() => {
        insert.run('half-done');
        insert.run('x'); // unique violation: the whole unit goes, 'half-done' with it
      }),
      batch.run(() => insert.run('y')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(db.sqlite.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['x', 'y']);
  });

  it('keeps batches apart across rounds: a later unit is not held for an earlier round', async () => {
    const { db, batch, insert } = open();
    await batch.run(() => insert.run('first'));
    await batch.run(() => insert.run('second'));
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
      const result = await batch.run(() => {
        const before = (db.sqlite.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
        // The import commits right after the webhook's read. With a deferred BEGIN it got in and
        // the webhook's write then failed at once with SQLITE_BUSY_SNAPSHOT, whatever the busy timeout.
        try {
          importer.prepare("INSERT INTO t (v) VALUES ('import')").run();
          importerWrites.push('committed');
        } catch (error) {
          importerWrites.push((error as { code?: string }).code ?? 'error');
        }
        insert.run('webhook');
        return before;
      });
      expect(result).toBe(1);
      expect(importerWrites).toEqual(['SQLITE_BUSY']);
      expect(db.sqlite.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['seed', 'webhook']);
    } finally {
      importer.close();
    }
  });
});
