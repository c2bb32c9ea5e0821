import { SqliteBillingStore, type BillingStore } from '../billing/index.js';
import { SqliteContactStore, type ContactStore } from '../contacts/index.js';
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
