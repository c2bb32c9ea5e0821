import { PostgresTaxonomyStore } from '../../src/comments/index.js';
import { one } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { taxonomyStoreConformance } from './taxonomy-store-conformance.js';

/** The clients' taxonomies on PostgreSQL, in a fresh migrated database per test. */
describeOnPostgres("the clients' taxonomies", () => {
  taxonomyStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    let lists = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      store: new PostgresTaxonomyStore(pool),
      client: (name) => id('INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [name]),
      list: (clientId) => id(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, '{}', '{}', 'ready', 0) RETURNING id`, [`list ${++lists}`, clientId]),
      close: () => fresh.close(),
    };
  });
});
