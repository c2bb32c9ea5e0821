import path from 'node:path';
import { SqliteTaxonomyStore } from '../../src/comments/taxonomy-store.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { taxonomyStoreConformance } from './taxonomy-store-conformance.js';

/** The clients' taxonomies on SQLite, in a real database file with the committed migrations. */
taxonomyStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-taxonomies-'), 'nps.db') });
  const { sqlite } = database;
  let lists = 0;
  return Promise.resolve({
    store: new SqliteTaxonomyStore(database),
    client: (name) => Promise.resolve((sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(name) as { id: number }).id),
    list: (clientId) =>
      Promise.resolve((sqlite.prepare(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES (?, ?, '{}', '{}', 'ready', 0) RETURNING id`).get(`list ${++lists}`, clientId) as { id: number }).id),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
