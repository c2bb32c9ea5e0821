import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { resolveFromRoot } from '../../config/index.js';
import * as schema from './schema/index.js';

export interface PostgresDatabase {
  readonly pool: pg.Pool;
  /** The connection URL, for a connection of its own (LISTEN). */
  readonly url: string;
  close(): Promise<void>;
}

export interface OpenPostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Apply the committed migrations in drizzle-postgres/ (default true). */
  migrate?: boolean;
  /** Sent with every connection: the application name PostgreSQL shows in pg_stat_activity. */
  applicationName?: string;
}

const INT8 = 20;
const NUMERIC = 1700;

/**
 * bigint columns hold epoch milliseconds and micro-units, far below 2^53: they are read as numbers,
 * not as the strings node-postgres gives by default. count(*) is a bigint too. Per pool, never the
 * driver's global parsers, so that nothing else in the process is surprised.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Opens a pool on a PostgreSQL database and applies the committed migrations (drizzle-kit's, for the
 * postgresql dialect, in drizzle-postgres/). Nodes starting at once take turns under an advisory
 * lock: drizzle's migrator takes none of its own.
 */
export async function openPostgres(options: OpenPostgresOptions): Promise<PostgresDatabase> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    Client: PreparingClient,
    application_name: options.applicationName ?? 'nps-dialer',
  });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    if (options.migrate !== false) await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { pool, url: options.url, close: () => pool.end() };
}

/** Statements named so far in this process, by their text (the same name on every connection). */
const statementNames = new Map<string, string>();
/** Past this many distinct texts (SQL built per call), statements go unnamed: a bound on each connection's memory. */
const MAX_NAMED_STATEMENTS = 2_000;

/**
 * A connection that prepares each parameterised statement once and then only binds and executes
 * it: the server parses and plans a store's statement on the first use per connection instead of
 * on every one (docs/performance.md, "A cluster on PostgreSQL"). Statements without parameters
 * (BEGIN, COMMIT, LOCK, a savepoint) go as they are.
 */
class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    (this as { query: unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      if (typeof text !== 'string' || !Array.isArray(values)) return query(...args);
      let name = statementNames.get(text);
      if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) statementNames.set(text, (name = `nps_${statementNames.size + 1}`));
      return name === undefined ? query(...args) : query({ name, text, values }, ...args.slice(2));
    };
  }
}

/** The advisory lock the nodes' migrations take turns on. */
const MIGRATION_LOCK = 7_263_541_001;

async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder: resolveFromRoot('drizzle-postgres') });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export { changes, one, rows, transaction, type Queryable } from './query.js';
export { PostgresUnits } from './units.js';
