import { PostgresListStore } from '../../src/contacts/index.js';
import { openPostgres, rows } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { listStoreConformance } from './list-store-conformance.js';

/** The lists' store on PostgreSQL, in a fresh migrated database; a second pool plays another node. */
describeOnPostgres('the lists', () => {
  listStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    const rowNumbers = new Map<number, number>();
    const id = async (sql: string, values: unknown[]) => (await rows<{ id: number }>(pool, sql, values))[0]!.id;
    return {
      store: new PostgresListStore(pool),
      otherNode: new PostgresListStore(second.pool),
      client: (name) => id('INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [name]),
      contacts: async (listId, contacts) => {
        for (const c of contacts) {
          const row = (rowNumbers.get(listId) ?? 1) + 1;
          rowNumbers.set(listId, row);
          await pool.query('INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, attributes, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, 0)', [
            listId,
            row,
            c.phone,
            c.status,
            c.nextAttemptAt ?? null,
            JSON.stringify(c.attributes ?? {}),
          ]);
        }
      },
      importing: (name, pid) => id(`INSERT INTO lists (name, state, import_pid, created_at) VALUES ($1, 'importing', $2, 0) RETURNING id`, [name, pid]),
      schedule: async (listId, status) => {
        await pool.query(`INSERT INTO schedules (list_id, cron, timezone, status, created_at) VALUES ($1, '0 20 * * *', 'UTC', $2, 0)`, [listId, status]);
      },
      listIds: async () => (await rows<{ id: number }>(pool, 'SELECT id FROM lists ORDER BY id')).map((r) => r.id),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
