import { SqliteUnits, type AppDatabase, type UnitOfWork } from '../db/index.js';
import { SqliteTriggerStore, type TriggerStore } from './store.js';

/** The stores a trigger's unit of work reads and writes: its decision is taken and kept at once. */
export interface TriggerTx {
  triggers: TriggerStore;
}

export type TriggerUnits = UnitOfWork<TriggerTx>;

const units = new WeakMap<AppDatabase, TriggerUnits>();

/**
 * The triggers' unit of work on a SQLite database, one per connection (like `sqliteCallUnits`).
 * Beside the call handling's units on the same connection (the daemon serves the API and the
 * webhooks) their batches never overlap: each runs from BEGIN to COMMIT within one turn of the
 * event loop, since a unit awaits nothing but its stores.
 */
export function sqliteTriggerUnits(database: AppDatabase): TriggerUnits {
  let unit = units.get(database);
  if (!unit) {
    const stores: TriggerTx = { triggers: new SqliteTriggerStore(database) };
    units.set(database, (unit = new SqliteUnits(database, stores)));
  }
  return unit;
}
