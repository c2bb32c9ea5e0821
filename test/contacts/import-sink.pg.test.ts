import { PostgresImportSink } from '../../src/contacts/index.js';
import { openPostgres, rows } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { importSinkConformance, type StoredImportContact } from './import-sink-conformance.js';

/** The application name of the other importer's connections: what the kill cuts. */
const OTHER = 'nps-test-other-importer';

describeOnPostgres('the CSV import', () => {
  importSinkConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4, applicationName: OTHER });
    const { pool } = fresh.database;
    return {
      sink: new PostgresImportSink(pool),
      other: new PostgresImportSink(second.pool),
      // Another node dies: the server ends its connections, and with them the locks they held.
      kill: async () => {
        await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [OTHER]);
      },
      client: async (name) => (await rows<{ id: number }>(pool, 'INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [name]))[0]!.id,
      suppress: async (numbers) => {
        await pool.query(`INSERT INTO suppressions (phone_e164, source, created_at) SELECT n, 'operator', 0 FROM unnest($1::text[]) n`, [numbers]);
      },
      lists: () => rows(pool, 'SELECT id AS "listId", name, state FROM lists ORDER BY id'),
      contacts: async (listId) => {
        const stored = await rows<Omit<StoredImportContact, 'attributes'> & { attributes: string }>(
          second.pool,
          `SELECT row_number AS row, phone_e164 AS phone, country, name, language, timezone, attributes, value, status, attempts, next_attempt_at AS "nextAttemptAt"
           FROM contacts WHERE list_id = $1 ORDER BY row_number`,
          [listId],
        );
        return stored.map((r) => ({ ...r, attributes: JSON.parse(r.attributes) as Record<string, string> }));
      },
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
