import { PostgresAlertStore, PostgresCaseStore } from '../../src/followup/index.js';
import { PostgresDeliveryStore } from '../../src/notifications/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { alertStoreConformance } from './alert-store-conformance.js';
import { postgresFollowUpScene } from './postgres-scene.js';

/** The detractor alerts' read side on PostgreSQL, in a fresh migrated database per test. */
describeOnPostgres('the detractor alerts', () => {
  alertStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    return {
      ...postgresFollowUpScene(pool),
      store: new PostgresAlertStore(pool),
      cases: new PostgresCaseStore(pool),
      deliveries: new PostgresDeliveryStore(pool),
      close: () => fresh.close(),
    };
  });
});
