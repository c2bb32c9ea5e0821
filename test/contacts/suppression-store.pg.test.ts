import { PostgresSuppressionStore } from '../../src/contacts/index.js';
import { one, openPostgres } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { suppressionStoreConformance, type SuppressionStoreFixture } from './suppression-store-conformance.js';

/** The do-not-call list's store on PostgreSQL, in a fresh migrated database; a second pool plays another node. */
describeOnPostgres('the do-not-call list', () => {
  suppressionStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    let rows = 1;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      store: new PostgresSuppressionStore(pool),
      otherNode: new PostgresSuppressionStore(second.pool),
      list: (name) => id(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ($1, '{}', '{}', 'ready', 0) RETURNING id`, [name]),
      contact: (listId, c) =>
        id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, 0) RETURNING id`, [
          listId,
          ++rows,
          c.phone,
          c.status,
          c.nextAttemptAt ?? null,
        ]),
      inspect: async (contactId) =>
        (await one<Awaited<ReturnType<SuppressionStoreFixture['inspect']>>>(
          pool,
          'SELECT status, next_attempt_at AS "nextAttemptAt", updated_at AS "updatedAt" FROM contacts WHERE id = $1',
          [contactId],
        ))!,
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
