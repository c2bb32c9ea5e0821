import { PostgresReader } from '../../src/db/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { readerConformance } from './reader-conformance.js';

describeOnPostgres('the read models', () => {
  readerConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    return {
      reader: new PostgresReader(pool),
      addClient: async (name, createdAt, taxonomy) => {
        await pool.query('INSERT INTO clients (name, created_at, taxonomy) VALUES ($1, $2, $3)', [name, createdAt, taxonomy ?? null]);
      },
      close: () => fresh.close(),
    };
  });
});
