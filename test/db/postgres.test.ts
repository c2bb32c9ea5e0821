import { describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { openPostgres, PostgresUnits, rows, type Queryable } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { freshFixture, refusal } from '../support/conformance.js';

describeOnPostgres('the PostgreSQL database', () => {
  const open = freshFixture(() => freshPostgres());

  it('carries the committed migrations: every table of the SQLite schema, times as bigint read as numbers', async () => {
    const { database } = await open();
    const tables = await rows<{ name: string }>(database.pool, `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['billing_lines', 'call_events', 'calls', 'cases', 'clients', 'contacts', 'leases', 'lists', 'responses', 'schedules', 'suppressions', 'survey_triggers', 'webhook_deliveries']),
    );
    await database.pool.query(`INSERT INTO clients (name, created_at) VALUES ('a', 1764806400123)`);
    const [client] = await rows<{ createdAt: unknown; n: unknown }>(database.pool, 'SELECT created_at AS "createdAt", count(*) OVER () AS n FROM clients');
    expect(client).toEqual({ createdAt: 1764806400123, n: 1 });
  });

  it('migrates an empty database once, whichever of several nodes starts first', async () => {
    const fresh = await open();
    await fresh.database.pool.query('DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS drizzle CASCADE; CREATE SCHEMA public');
    const nodes = await Promise.all([1, 2, 3].map(() => openPostgres({ url: fresh.url, poolSize: 1 })));
    try {
      const [applied] = await rows<{ n: number }>(fresh.database.pool, 'SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
      expect(applied!.n).toBeGreaterThan(0);
      const [leases] = await rows<{ n: number }>(fresh.database.pool, 'SELECT count(*) AS n FROM leases');
      expect(leases!.n).toBe(0);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it("prepares a store's parameterised statement once per connection and then only executes it", async () => {
    const fresh = await open();
    const node = await openPostgres({ url: fresh.url, poolSize: 1, migrate: false });
    try {
      const statement = 'SELECT $1::int + 1 AS n';
      for (const v of [1, 2, 3]) expect(await rows<{ n: number }>(node.pool, statement, [v])).toEqual([{ n: v + 1 }]);
      await node.pool.query('SELECT 42 AS unparameterised');
      // The pool's one connection: what it holds prepared.
      const prepared = await rows<{ statement: string; calls: number }>(node.pool, 'SELECT statement, generic_plans + custom_plans AS calls FROM pg_prepared_statements ORDER BY statement', []);
      expect(prepared.filter((p) => p.statement === statement)).toEqual([{ statement, calls: 3 }]);
      expect(prepared.some((p) => p.statement.includes('unparameterised'))).toBe(false);
    } finally {
      await node.close();
    }
  });

  describe('PostgresUnits', () => {
    const table = async (q: Queryable) => {
      await q.query('CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL UNIQUE)');
    };
    const unitsOn = (pool: pg.Pool) =>
      new PostgresUnits(pool, (q) => ({ insert: async (v: string) => (await q.query<{ id: number }>('INSERT INTO t (v) VALUES ($1) RETURNING id', [v])).rows[0]!.id }));
    const values = async (q: Queryable) => (await rows<{ v: string }>(q, 'SELECT v FROM t ORDER BY v')).map((r) => r.v);

    it('commits a unit whole, and settles it after the commit', async () => {
      const { database } = await open();
      await table(database.pool);
      const units = unitsOn(database.pool);
      const id = await units.run(async (tx) => {
        await tx.insert('a');
        return tx.insert('b');
      });
      expect(id).toBe(2);
      expect(await values(database.pool)).toEqual(['a', 'b']);
    });

    it('rolls a failing unit back whole, and leaves the others', async () => {
      const { database } = await open();
      await table(database.pool);
      const units = unitsOn(database.pool);
      const results = await Promise.allSettled([
        units.run((tx) => tx.insert('a')),
        units.run(async (tx) => {
          await tx.insert('b');
          await tx.insert('a'); // unique violation: b goes too
        }),
        units.run((tx) => tx.insert('c')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await values(database.pool)).toEqual(['a', 'c']);
      await refusal(units.run(() => Promise.reject(new Error('boom'))));
      expect(await values(database.pool)).toEqual(['a', 'c']);
    });

    it('keeps a unit invisible to others until it commits', async () => {
      const { database } = await open();
      await table(database.pool);
      const units = unitsOn(database.pool);
      let seenInside: string[] = [];
      await units.run(async (tx) => {
        await tx.insert('x');
        seenInside = await values(database.pool);
      });
      expect(seenInside).toEqual([]);
      expect(await values(database.pool)).toEqual(['x']);
    });
  });
});
