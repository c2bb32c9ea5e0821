import { one } from '../../src/db/postgres/index.js';
import { PostgresScheduleStore } from '../../src/schedules/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { scheduleStoreConformance } from './store-conformance.js';

/** The schedules' store on PostgreSQL, a fresh migrated database per test. */
describeOnPostgres('the schedules', () => {
  scheduleStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    return {
      store: new PostgresScheduleStore(pool),
      seedList: async (list) => {
        const { id: listId } = (await one<{ id: number }>(
          pool,
          `INSERT INTO lists (name, script, policy, state, accepts_triggers, created_at) VALUES ($1, '{}', '{}', $2, $3, 0) RETURNING id`,
          [list.name, list.importing ? 'importing' : 'ready', list.acceptsTriggers ? 1 : 0],
        ))!;
        for (let i = 0; i < list.open + list.final; i++) {
          await pool.query(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, 0)`, [
            listId,
            i + 2,
            `+4850100${listId}${String(i).padStart(4, '0')}`,
            i < list.open ? 'pending' : 'responded',
            i < list.open ? (list.nextAt?.[i] ?? null) : null,
          ]);
        }
        return listId;
      },
      close: () => fresh.close(),
    };
  });
});
