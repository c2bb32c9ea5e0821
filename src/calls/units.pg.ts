import { PostgresBillingStore } from '../billing/index.js';
import { PostgresContactStore } from '../contacts/index.js';
import { PostgresUnits, type PostgresDatabase } from '../db/postgres/index.js';
import { PostgresCaseStore } from '../followup/index.js';
import { PostgresDeliveryStore } from '../notifications/index.js';
import { PostgresResponseStore } from './response-store.pg.js';
import { PostgresCallStore } from './store.pg.js';
import type { CallUnits } from './units.js';

const units = new WeakMap<PostgresDatabase, CallUnits>();

/**
 * The call handling's unit of work on PostgreSQL, one per pool: each unit a transaction on a client
 * of its own, the six stores built on that client. Units run concurrently, on this node and on the
 * others; every write of the stores is conditional, so the second of two units racing on one call,
 * contact or response changes nothing it should not.
 */
export function postgresCallUnits(database: PostgresDatabase): CallUnits {
  let found = units.get(database);
  if (!found) {
    found = new PostgresUnits(database.pool, (q) => ({
      calls: new PostgresCallStore(q),
      responses: new PostgresResponseStore(q),
      contacts: new PostgresContactStore(q),
      billing: new PostgresBillingStore(q),
      cases: new PostgresCaseStore(q),
      deliveries: new PostgresDeliveryStore(q),
    }));
    units.set(database, found);
  }
  return found;
}
