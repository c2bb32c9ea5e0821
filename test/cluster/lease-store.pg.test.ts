import { PostgresLeaseStore } from '../../src/cluster/index.js';
import { openPostgres } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { leaseStoreConformance } from './lease-store-conformance.js';

describeOnPostgres('the election', () => {
  leaseStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    return {
      nodes: [new PostgresLeaseStore(fresh.database.pool), new PostgresLeaseStore(second.pool)],
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
