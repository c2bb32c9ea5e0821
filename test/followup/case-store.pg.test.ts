import { openPostgres } from '../../src/db/postgres/index.js';
import { PostgresCaseStore } from '../../src/followup/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { caseStoreConformance } from './case-store-conformance.js';
import { postgresFollowUpScene } from './postgres-scene.js';

/** The follow-up cases' store on PostgreSQL: a fresh migrated database per test, a second pool as the other node. */
describeOnPostgres('the follow-up cases', () => {
  caseStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 2 });
    // Connected before the test starts, so that the other node's statements race the first's rather than its connecting.
    await second.pool.query('SELECT 1');
    const { pool } = fresh.database;
    return {
      ...postgresFollowUpScene(pool),
      store: new PostgresCaseStore(pool),
      otherNode: new PostgresCaseStore(second.pool),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
