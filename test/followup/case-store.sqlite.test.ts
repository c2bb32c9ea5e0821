import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { SqliteCaseStore } from '../../src/followup/case-store.js';
import { tempDir } from '../support/factories.js';
import { caseStoreConformance } from './case-store-conformance.js';
import { sqliteFollowUpScene } from './sqlite-scene.js';

/** The follow-up cases' store on SQLite, in a real database file with the committed migrations. */
caseStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-cases-'), 'nps.db') });
  return Promise.resolve({
    ...sqliteFollowUpScene(database),
    store: new SqliteCaseStore(database),
    otherNode: new SqliteCaseStore(database),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
