import { sqliteUnitsOnce, type AppDatabase, type UnitOfWork } from '../db/index.js';
import { SqliteTriggerStore, type TriggerStore } from './store.js';

/** The stores a trigger's unit of work reads and writes: its decision is taken and kept at once. */
export interface TriggerTx {
  triggers: TriggerStore;
}

export type TriggerUnits = UnitOfWork<TriggerTx>;

const units = new WeakMap<AppDatabase, TriggerUnits>();

/** The triggers' unit of work on a SQLite database, one per connection (like `sqliteCallUnits`). */
export function sqliteTriggerUnits(database: AppDatabase): TriggerUnits {
  return sqliteUnitsOnce(units, database, () => ({ triggers: new SqliteTriggerStore(database) }));
}
