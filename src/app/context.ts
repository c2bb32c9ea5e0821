import { existsSync } from 'node:fs';
import { systemClock, type Clock } from '../clock/index.js';
import { readConfig, type AppConfig } from '../config/index.js';
import { openDatabase, type AppDatabase } from '../db/index.js';
import { createLogger, type Logger } from '../logging/index.js';

/** What every command and server is built from; created once per process. */
export interface AppContext {
  config: AppConfig;
  logger: Logger;
  clock: Clock;
  database: AppDatabase;
  close(): void;
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

export function openContext(options: OpenContextOptions = {}): AppContext {
  const config = options.config ?? readConfig({ needsVonage: options.needsVonage ?? false });
  const logger =
    options.logger ??
    createLogger({
      level: config.logLevel,
      format: config.nodeEnv === 'production' || !process.stderr.isTTY ? 'json' : 'pretty',
    });
  let database: AppDatabase;
  if (options.readOnly) {
    database = existsSync(config.databasePath)
      ? openDatabase({ path: config.databasePath, readonly: true })
      : openDatabase({ path: ':memory:' });
  } else {
    database = openDatabase({ path: config.databasePath });
  }
  return {
    config,
    logger,
    clock: options.clock ?? systemClock,
    database,
    close: () => database.close(),
  };
}
