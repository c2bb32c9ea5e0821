import path from 'node:path';
import { SqliteClientStore } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { clientStoreConformance } from './client-store-conformance.js';

/** The clients' store on SQLite, in a real database file with the committed migrations. */
clientStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-clients-'), 'nps.db') });
  const { sqlite } = database;
  return Promise.resolve({
    store: new SqliteClientStore(database),
    otherNode: new SqliteClientStore(database),
    storedValues: (clientId) => {
      const row = sqlite.prepare('SELECT * FROM clients WHERE id = ?').get(clientId) as Record<string, unknown>;
      return Promise.resolve(Object.values(row).map(String));
    },
    storedSecret: (clientId) => Promise.resolve(sqlite.prepare('SELECT alert_secret FROM clients WHERE id = ?').pluck().get(clientId) as string | null),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
