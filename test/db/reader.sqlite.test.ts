import path from 'node:path';
import { openDatabase, sqliteReader } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { readerConformance } from './reader-conformance.js';

readerConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-reader-'), 'nps.db') });
  const insert = database.sqlite.prepare('INSERT INTO clients (name, created_at, taxonomy) VALUES (?, ?, ?)');
  return Promise.resolve({
    reader: sqliteReader(database),
    addClient: (name, createdAt, taxonomy) => {
      insert.run(name, createdAt, taxonomy ?? null);
      return Promise.resolve();
    },
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
