import { SqliteBillingStore, type BillingStore } from '../billing/index.js';
import { ListNotLoadedError, SqliteContactStore, type ContactStore, type ListSettingsBook } from '../contacts/index.js';
import { sqliteUnitsOnce, type AppDatabase, type UnitOfWork } from '../db/index.js';
import { SqliteCaseStore, type CaseStore } from '../followup/index.js';
import { SqliteDeliveryStore, type DeliveryStore } from '../notifications/index.js';
import { SqliteResponseStore, type ResponseStore } from './response-store.js';
import { SqliteCallStore, type CallStore } from './store.js';

/**
 * The stores a callback's unit of work writes (docs/adr/0013-store-ports.md): a status event ends
 * the call, settles the contact and bills; a score opens its case and queues its alert; a star
 * suppresses the number — each all at once or not at all.
 */
export interface CallTx {
  calls: CallStore;
  responses: ResponseStore;
  contacts: ContactStore;
  billing: BillingStore;
  cases: CaseStore;
  deliveries: DeliveryStore;
}

export type CallUnits = UnitOfWork<CallTx>;

const units = new WeakMap<AppDatabase, CallUnits>();

/** The call handling's unit of work on a SQLite database, one per connection. */
export function sqliteCallUnits(database: AppDatabase): CallUnits {
  return sqliteUnitsOnce(units, database, () => ({
    calls: new SqliteCallStore(database),
    responses: new SqliteResponseStore(database),
    contacts: new SqliteContactStore(database),
    billing: new SqliteBillingStore(database),
    cases: new SqliteCaseStore(database),
    deliveries: new SqliteDeliveryStore(database),
  }));
}

/**
 * Runs `work` in a unit of the call handling once the settings of the list it reads are loaded.
 * A unit reads them synchronously (`lists.get`), and only the call it reads says which list: a
 * unit that meets a list this process has not loaded (its first callback here, or the first since
 * `lists set` invalidated it) fails before it commits, is rolled back whole, and runs again once
 * the list was read outside it. A loaded list costs nothing. So `work` may run more than once: what
 * it collects for after the commit starts afresh on each run.
 */
export async function runCallUnit<T>(deps: { units: CallUnits; lists: ListSettingsBook }, work: (tx: CallTx) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await deps.units.run(work);
    } catch (error) {
      // A list forgotten again between the load and the next run (another `lists set`) is read
      // again, a few times at most.
      if (!(error instanceof ListNotLoadedError) || tries === 3) throw error;
      await deps.lists.load(error.listId);
    }
  }
}
