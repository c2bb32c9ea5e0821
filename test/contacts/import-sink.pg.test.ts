import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from '@jest/globals';
import { PostgresImportSink, type ImportSession } from '../../src/contacts/index.js';
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

describeOnPostgres('the CSV import beside the do-not-call list', () => {
  it('marks a number put on the do-not-call list while the import publishes, whichever commits first', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    const adding = await pool.connect();
    let session: ImportSession | undefined;
    try {
      const sink = new PostgresImportSink(pool);
      const outcome = await sink.begin({ name: 'wave', clientId: null, sourceFile: 'contacts.csv', defaultCountry: 'PL', defaultTimezone: null, previousListId: null, script: {}, valueColumn: null, now: 0 });
      if (outcome.kind !== 'begun') throw new Error('expected the import to begin');
      session = outcome.session;
      // An addition that stops the waiting contacts it sees, before the import wrote this number.
      await adding.query('BEGIN');
      await adding.query(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES ('+48501000001', 'operator', 0)`);
      await adding.query(`UPDATE contacts SET status = 'suppressed' WHERE phone_e164 = '+48501000001' AND status = 'pending'`);
      await session.write([{ json: Buffer.from(JSON.stringify(['+48501000001', 'PL', null, null, null, '{}', 2, null])), base: 0 }]);
      // The import publishes while the addition is still open, and the addition commits after.
      let published: number | undefined | 'pending' = 'pending';
      const publishing = session.commit().then((n) => (published = n));
      await pollFor(async () => published !== 'pending' || (await rows(pool, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).length > 0);
      await adding.query('COMMIT');
      await expect(publishing).resolves.toBe(1);
      expect(await rows(pool, 'SELECT status FROM contacts')).toEqual([{ status: 'suppressed' }]);
    } finally {
      // The session holds a connection of the pool, which could not close while it is out.
      await session?.close();
      adding.release();
      await fresh.close();
    }
  });
});

/** Polls until `probe` holds: a bounded number of short waits, never a timing assertion. */
async function pollFor(probe: () => Promise<boolean>, attempts = 500, waitMs = 10): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await probe()) return;
    await delay(waitMs);
  }
  throw new Error(`condition not met after ${attempts} polls`);
}
