import path from 'node:path';
import { SqliteListStore } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { listStoreConformance } from './list-store-conformance.js';

/** The lists' store on SQLite, in a real database file with the committed migrations. */
listStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-lists-'), 'nps.db') });
  const { sqlite } = database;
  const rowNumbers = new Map<number, number>();
  return Promise.resolve({
    store: new SqliteListStore(database),
    otherNode: new SqliteListStore(database),
    client: (name) => Promise.resolve((sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(name) as { id: number }).id),
    contacts: (listId, contacts) => {
      const insert = sqlite.prepare('INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, attributes, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, 0)');
      for (const c of contacts) {
        const row = (rowNumbers.get(listId) ?? 1) + 1;
        rowNumbers.set(listId, row);
        insert.run(listId, row, c.phone, c.status, c.nextAttemptAt ?? null, JSON.stringify(c.attributes ?? {}));
      }
      return Promise.resolve();
    },
    importing: (name, pid) =>
      Promise.resolve((sqlite.prepare(`INSERT INTO lists (name, state, import_pid, created_at) VALUES (?, 'importing', ?, 0) RETURNING id`).get(name, pid) as { id: number }).id),
    schedule: (listId, status) => {
      sqlite.prepare(`INSERT INTO schedules (list_id, cron, timezone, status, created_at) VALUES (?, '0 20 * * *', 'UTC', ?, 0)`).run(listId, status);
      return Promise.resolve();
    },
    listIds: () => Promise.resolve(sqlite.prepare('SELECT id FROM lists ORDER BY id').pluck().all() as number[]),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
