import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { SqliteAlertStore } from '../../src/followup/alert-store.js';
import { SqliteCaseStore } from '../../src/followup/case-store.js';
import { SqliteDeliveryStore } from '../../src/notifications/delivery-store.js';
import { tempDir } from '../support/factories.js';
import { alertStoreConformance } from './alert-store-conformance.js';
import { sqliteFollowUpScene } from './sqlite-scene.js';

/** The detractor alerts' read side on SQLite, in a real database file with the committed migrations. */
alertStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-alerts-'), 'nps.db') });
  return Promise.resolve({
    ...sqliteFollowUpScene(database),
    store: new SqliteAlertStore(database),
    cases: new SqliteCaseStore(database),
    deliveries: new SqliteDeliveryStore(database),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
