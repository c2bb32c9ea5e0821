import { PostgresUnits, type PostgresDatabase } from '../db/postgres/index.js';
import { PostgresTriggerStore } from './store.pg.js';
import type { TriggerUnits } from './units.js';

/**
 * The triggers' unit of work on PostgreSQL: a transaction on a client of the pool per unit, its
 * store built on that client. Units run concurrently; the store's locks keep a decision whole.
 */
export function postgresTriggerUnits(database: PostgresDatabase): TriggerUnits {
  return new PostgresUnits(database.pool, (q) => ({ triggers: new PostgresTriggerStore(q) }));
}
