import path from 'node:path';
import { SqliteScheduleStore } from '../../src/schedules/store.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { scheduleStoreConformance } from './store-conformance.js';

/** The schedules' store on SQLite, in a real database file with the committed migrations. */
scheduleStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-schedules-'), 'nps.db') });
  const { sqlite } = database;
  return Promise.resolve({
    store: new SqliteScheduleStore(database),
    seedList: (list) => {
      const listId = (
        sqlite
          .prepare(`INSERT INTO lists (name, script, policy, state, accepts_triggers, created_at) VALUES (?, '{}', '{}', ?, ?, 0) RETURNING id`)
          .get(list.name, list.importing ? 'importing' : 'ready', list.acceptsTriggers ? 1 : 0) as { id: number }
      ).id;
      const insert = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, 0)`);
      for (let i = 0; i < list.open + list.final; i++) {
        insert.run(listId, i + 2, `+4850100${listId}${String(i).padStart(4, '0')}`, i < list.open ? 'pending' : 'responded', i < list.open ? (list.nextAt?.[i] ?? null) : null);
      }
      return Promise.resolve(listId);
    },
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
