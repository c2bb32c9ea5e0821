import type pg from 'pg';

/**
 * Anything a statement runs on: the pool (each statement its own transaction) or a client holding a
 * transaction open (inside a unit of work). A PostgreSQL store is built on one and never asks which.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The rows of a statement. */
export async function rows<R extends pg.QueryResultRow>(q: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>(text, values)).rows;
}

/** The first row of a statement, or undefined. */
export async function one<R extends pg.QueryResultRow>(q: Queryable, text: string, values: unknown[] = []): Promise<R | undefined> {
  return (await q.query<R>(text, values)).rows[0];
}

/** How many rows a statement changed. */
export async function changes(q: Queryable, text: string, values: unknown[] = []): Promise<number> {
  return (await q.query(text, values)).rowCount ?? 0;
}

let savepoints = 0;

/**
 * Runs `work` in a transaction of its own: on a pool, a client's BEGIN … COMMIT; on a client that
 * is already in one (a unit of work), a savepoint. For a store method that must be atomic alone
 * (an erasure, a replan), whoever built the store.
 */
export async function transaction<T>(q: Queryable, work: (q: Queryable) => Promise<T>): Promise<T> {
  if (!isPool(q)) {
    const name = `store_${++savepoints}`;
    await q.query(`SAVEPOINT ${name}`);
    try {
      const value = await work(q);
      await q.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (error) {
      await q.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }
  const client = await q.connect();
  let broken: unknown;
  try {
    await client.query('BEGIN');
    try {
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A client whose rollback failed (the connection broke) is discarded, not reused.
    client.release(broken instanceof Error ? broken : undefined);
  }
}

function isPool(q: Queryable): q is pg.Pool {
  return typeof (q as Partial<pg.Pool>).totalCount === 'number';
}
