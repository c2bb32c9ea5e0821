import { existsSync } from 'node:fs';
import { systemClock, type Clock } from '../clock/index.js';
import { readConfig, type AppConfig } from '../config/index.js';
import { openDatabase, type AppDatabase } from '../db/index.js';
import { openPostgres } from '../db/postgres/index.js';
import { AppError } from '../errors/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { postgresBackend, sqliteBackend, type Backend } from './backend.js';

/** What every command and server is built from; created once per process. */
export interface AppContext {
  config: AppConfig;
  logger: Logger;
  clock: Clock;
  /** The stores, on SQLite (DATABASE_PATH) or PostgreSQL (DATABASE_URL). */
  backend: Backend;
  /**
   * The SQLite database, for what still speaks SQLite only (the one-dialer lock of `run`, the
   * commands docs/deployment.md lists). On PostgreSQL, reading it refuses with a clear error.
   */
  readonly database: AppDatabase;
  close(): Promise<void>;
}

export interface OpenContextOptions {
  needsVonage?: boolean;
  /**
   * Open the database read-only and never create it: dry runs promise to write nothing. A missing
   * database is replaced by an empty in-memory one.
   */
  readOnly?: boolean;
  config?: AppConfig;
  clock?: Clock;
  logger?: Logger;
}

export async function openContext(options: OpenContextOptions = {}): Promise<AppContext> {
  const config = options.config ?? readConfig({ needsVonage: options.needsVonage ?? false });
  const logger =
    options.logger ??
    createLogger({
      level: config.logLevel,
      format: config.nodeEnv === 'production' || !process.stderr.isTTY ? 'json' : 'pretty',
    });
  const base = { config, logger, clock: options.clock ?? systemClock };
  if (config.databaseUrl) {
    const postgres = await openPostgres({ url: config.databaseUrl, poolSize: config.databasePoolSize, migrate: !options.readOnly, applicationName: `nps-dialer ${config.nodeName ?? ''}`.trim() });
    return {
      ...base,
      backend: postgresBackend(postgres),
      get database(): AppDatabase {
        throw new AppError('CONFIG_INVALID', 'this command works on SQLite only (DATABASE_PATH), and DATABASE_URL names PostgreSQL; docs/deployment.md lists what runs on a cluster');
      },
      close: () => postgres.close(),
    };
  }
  let database: AppDatabase;
  if (options.readOnly) {
    database = existsSync(config.databasePath) ? openDatabase({ path: config.databasePath, readonly: true }) : openDatabase({ path: ':memory:' });
  } else {
    database = openDatabase({ path: config.databasePath });
  }
  return {
    ...base,
    backend: sqliteBackend(database),
    database,
    close: () => {
      database.close();
      return Promise.resolve();
    },
  };
}
