import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { resolveFromRoot } from '../config/index.js';
import * as schema from './schema/index.js';

export * as schema from './schema/index.js';
export type Db = BetterSQLite3Database<typeof schema>;

export interface AppDatabase {
  /** Typed query builder. */
  db: Db;
  /** The raw connection, for bulk statements and pragmas. */
  sqlite: Database.Database;
  /**
   * A read-only connection to the same file, opened on first use, for the read models' snapshots
   * (db/reader.ts); the connection itself for an in-memory or read-only database.
   */
  readConnection(): Database.Database;
  close(): void;
}

export interface OpenDatabaseOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  readonly?: boolean;
  /** Apply pending migrations (default true; read-only connections never migrate). */
  migrate?: boolean;
}

/**
 * Opens the database with WAL, foreign keys and a busy timeout, and applies the committed
 * migrations in drizzle/. WAL lets read-only commands (reports, plans) run beside a dialer.
 */
export function openDatabase(options: OpenDatabaseOptions): AppDatabase {
  const memory = options.path === ':memory:';
  if (!memory && !options.readonly) mkdirSync(path.dirname(options.path), { recursive: true });
  const sqlite = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  if (!options.readonly) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // A second process (a report beside the dialer) waits for a writer instead of failing at once.
  sqlite.pragma('busy_timeout = 5000');
  // WAL with synchronous=NORMAL is durable against process crashes (kill -9); only an OS crash
  // can lose the last transactions, and the dialer reconciles calls with the provider after one.
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema });
  if (!options.readonly && options.migrate !== false) {
    migrate(db, { migrationsFolder: resolveFromRoot('drizzle') });
  }
  let reader: Database.Database | undefined;
  const separate = !memory && !options.readonly;
  return {
    db,
    sqlite,
    readConnection: () => {
      if (!separate) return sqlite;
      if (!reader) {
        reader = new Database(options.path, { readonly: true, fileMustExist: true });
        reader.pragma('busy_timeout = 5000');
      }
      return reader;
    },
    close: () => {
      reader?.close();
      sqlite.close();
    },
  };
}

/** A fresh, migrated in-memory database: what each test suite starts from. */
export function openMemoryDatabase(): AppDatabase {
  return openDatabase({ path: ':memory:' });
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement for `sql`, prepared once per connection. Webhook handlers run the same few
 * statements thousands of times; preparing each time cost a measurable share of a call's CPU.
 * Do not change a cached statement's mode (`pluck`, `raw`): every caller shares it.
 */
export function prepared(database: AppDatabase, sql: string): Database.Statement {
  let cache = statements.get(database.sqlite);
  if (!cache) {
    cache = new Map();
    statements.set(database.sqlite, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = database.sqlite.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
export { SqliteUnits, sqliteUnitsOnce, type UnitOfWork } from './units.js';
export { jsonText, numbered, PostgresReader, sqliteReader, type Dialect, type SqlReader } from './reader.js';
