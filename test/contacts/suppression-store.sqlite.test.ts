import path from 'node:path';
import { SqliteSuppressionStore } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { suppressionStoreConformance, type SuppressionStoreFixture } from './suppression-store-conformance.js';

/** The do-not-call list's store on SQLite, in a real database file with the committed migrations. */
suppressionStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-suppressions-'), 'nps.db') });
  const { sqlite } = database;
  let rows = 1;
  return Promise.resolve({
    store: new SqliteSuppressionStore(database),
    otherNode: new SqliteSuppressionStore(database),
    list: (name) => Promise.resolve((sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES (?, '{}', '{}', 'ready', 0) RETURNING id`).get(name) as { id: number }).id),
    contact: (listId, c) =>
      Promise.resolve(
        (
          sqlite
            .prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, 0) RETURNING id`)
            .get(listId, ++rows, c.phone, c.status, c.nextAttemptAt ?? null) as { id: number }
        ).id,
      ),
    inspect: (contactId) =>
      Promise.resolve(
        sqlite.prepare('SELECT status, next_attempt_at AS nextAttemptAt, updated_at AS updatedAt FROM contacts WHERE id = ?').get(contactId) as Awaited<ReturnType<SuppressionStoreFixture['inspect']>>,
      ),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
