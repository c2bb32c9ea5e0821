import type Database from 'better-sqlite3';
import type { AppDatabase } from './index.js';
import { transaction, type Queryable } from './postgres/query.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The read models' port (docs/adr/0014-cluster-on-postgresql.md): the report, the plans, the
 * status screens read through it on either backend, with SQL both dialects read alike:
 * - `?` placeholders (the PostgreSQL adapter numbers them);
 * - camelCase aliases quoted (`AS "firstAt"`): PostgreSQL folds unquoted names to lower case;
 * - no boolean values in results or sums (`sum(CASE WHEN … THEN 1 ELSE 0 END)`): PostgreSQL's
 *   comparisons are booleans, SQLite's are 0/1;
 * - a parameter PostgreSQL cannot type alone (`? IS NULL`) is cast: `CAST(? AS bigint)`;
 * - JSON inside a text column through `jsonText` below.
 * Where a query cannot be written once, the read model branches on `dialect`.
 */
export interface SqlReader {
  readonly dialect: Dialect;
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /**
   * Runs `read` on one consistent snapshot, so that a dialer writing meanwhile cannot make the
   * parts of a report disagree. Inside a snapshot, `snapshot` just runs `read`.
   */
  snapshot<T>(read: (reader: SqlReader) => Promise<T>): Promise<T>;
}

/** The text of `key` in a JSON object stored as text (null when absent). */
export function jsonText(dialect: Dialect, column: string, key: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(key)) throw new Error(`jsonText: not a plain key: ${key}`);
  return dialect === 'sqlite' ? `json_extract(${column}, '$.${key}')` : `(${column}::jsonb ->> '${key}')`;
}

/**
 * The read models on SQLite. A file database is read on a read-only connection of its own: a
 * snapshot is a transaction there, which the writers' connection (the units' group commit) never
 * sees; snapshots take turns on it. An in-memory database has one connection only (tests, dry runs).
 */
export class SqliteReader implements SqlReader {
  readonly dialect = 'sqlite' as const;
  readonly #connection: Database.Database;
  #statements = new Map<string, Database.Statement>();
  readonly #inSnapshot: boolean;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(connection: Database.Database, inSnapshot = false) {
    this.#connection = connection;
    this.#inSnapshot = inSnapshot;
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#connection.prepare(sql)));
    return statement;
  }

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#statement(sql).all(...params) as R[];
  }

  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return this.#statement(sql).get(...params) as R | undefined;
  }

  /** Snapshots take turns; the reader given to `read` runs a nested snapshot in the same one. */
  snapshot<T>(read: (reader: SqlReader) => Promise<T>): Promise<T> {
    if (this.#inSnapshot) return read(this);
    const run = this.#turn.then(async () => {
      const own = !this.#connection.inTransaction;
      if (own) this.#statement('BEGIN DEFERRED').run();
      try {
        const inside = new SqliteReader(this.#connection, true);
        inside.#statements = this.#statements;
        return await read(inside);
      } finally {
        if (own && this.#connection.inTransaction) this.#statement('COMMIT').run();
      }
    });
    this.#turn = run.catch(() => undefined);
    return run;
  }
}

const readers = new WeakMap<AppDatabase, SqliteReader>();

/** The reader of a SQLite database, one per database (closed with it). */
export function sqliteReader(database: AppDatabase): SqliteReader {
  let reader = readers.get(database);
  if (!reader) readers.set(database, (reader = new SqliteReader(database.readConnection())));
  return reader;
}

/** The read models on PostgreSQL: statements on the pool; a snapshot is a REPEATABLE READ READ ONLY transaction. */
export class PostgresReader implements SqlReader {
  readonly dialect = 'postgres' as const;
  readonly #q: Queryable;
  readonly #inSnapshot: boolean;

  constructor(q: Queryable, inSnapshot = false) {
    this.#q = q;
    this.#inSnapshot = inSnapshot;
  }

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.#q.query(numbered(sql), [...params])).rows as R[];
  }

  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }

  snapshot<T>(read: (reader: SqlReader) => Promise<T>): Promise<T> {
    if (this.#inSnapshot) return read(this);
    return transaction(this.#q, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return read(new PostgresReader(client, true));
    });
  }
}

const numberedCache = new Map<string, string>();

/** `?` → `$1`, `$2`, … outside quoted strings and names. */
export function numbered(sql: string): string {
  let out = numberedCache.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  let quote: string | null = null;
  out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  numberedCache.set(sql, out);
  return out;
}
