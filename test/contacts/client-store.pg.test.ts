import { PostgresClientStore } from '../../src/contacts/index.js';
import { one, openPostgres } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { clientStoreConformance } from './client-store-conformance.js';

/** The clients' store on PostgreSQL, in a fresh migrated database; a second pool plays another node. */
describeOnPostgres('the clients', () => {
  clientStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    return {
      store: new PostgresClientStore(pool),
      otherNode: new PostgresClientStore(second.pool),
      storedValues: async (clientId) => Object.values((await one<Record<string, unknown>>(pool, 'SELECT * FROM clients WHERE id = $1', [clientId]))!).map(String),
      storedSecret: async (clientId) => (await one<{ secret: string | null }>(pool, 'SELECT alert_secret AS secret FROM clients WHERE id = $1', [clientId]))!.secret,
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
