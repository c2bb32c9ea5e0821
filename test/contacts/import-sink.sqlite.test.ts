import path from 'node:path';
import { SqliteImportSink } from '../../src/contacts/index.js';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { importSinkConformance, type StoredImportContact } from './import-sink-conformance.js';

/** No process has this id (Linux's pid_max is at most 2^22). */
const DEAD_PID = 2_147_483_646;

/** The import on SQLite, in a real database file; the other importer is a second connection to it, as another process has. */
importSinkConformance('SQLite', () => {
  const file = path.join(tempDir('nps-import-sink-'), 'nps.db');
  const database = openDatabase({ path: file });
  const second = openDatabase({ path: file });
  const { sqlite } = database;
  return Promise.resolve({
    sink: new SqliteImportSink(database),
    other: new SqliteImportSink(second),
    // A process of this machine that is gone: what SQLite's importer is judged by.
    kill: (listId) => {
      sqlite.prepare('UPDATE lists SET import_pid = ? WHERE id = ?').run(DEAD_PID, listId);
      return Promise.resolve();
    },
    client: (name) => Promise.resolve((sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(name) as { id: number }).id),
    suppress: (numbers) => {
      const insert = sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES (?, 'operator', 0)`);
      for (const n of numbers) insert.run(n);
      return Promise.resolve();
    },
    lists: () => Promise.resolve(sqlite.prepare('SELECT id AS listId, name, state FROM lists ORDER BY id').all() as { listId: number; name: string; state: string }[]),
    contacts: (listId) => Promise.resolve(storedContacts(second, listId)),
    close: () => {
      second.close();
      database.close();
      return Promise.resolve();
    },
  });
});

function storedContacts(database: AppDatabase, listId: number): StoredImportContact[] {
  const rows = database.sqlite
    .prepare(
      `SELECT row_number AS row, phone_e164 AS phone, country, name, language, timezone, attributes, value, status, attempts, next_attempt_at AS nextAttemptAt
       FROM contacts WHERE list_id = ? ORDER BY row_number`,
    )
    .all(listId) as (Omit<StoredImportContact, 'attributes'> & { attributes: string })[];
  return rows.map((r) => ({ ...r, attributes: JSON.parse(r.attributes) as Record<string, string> }));
}
