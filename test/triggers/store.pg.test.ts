import { one, openPostgres } from '../../src/db/postgres/index.js';
import { postgresTriggerUnits } from '../../src/triggers/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { triggerStoreConformance, type StoredTriggeredContact, type StoredTriggerFacts } from './store-conformance.js';

/** The triggered surveys' store and its unit of work on PostgreSQL: a fresh migrated database per test, a second pool as the other node. */
describeOnPostgres('the triggered surveys', () => {
  triggerStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    const { pool } = fresh.database;
    let names = 0;
    let refs = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    const units = postgresTriggerUnits(fresh.database);
    return {
      units,
      nodes: [units, postgresTriggerUnits(second)],
      list: async (scene = {}) => {
        const clientId =
          scene.client === undefined ? null : scene.client === true ? await id('INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [`client ${++names}`]) : scene.client;
        const listId = await id(
          `INSERT INTO lists (name, client_id, default_country, accepts_triggers, script, policy, state, created_at) VALUES ($1, $2, $3, $4, '{}', '{}', $5, 0) RETURNING id`,
          [`list ${++names}`, clientId, scene.defaultCountry ?? null, scene.acceptsTriggers ? 1 : 0, scene.importing ? 'importing' : 'ready'],
        );
        return { listId, clientId };
      },
      contact: (listId, contact) =>
        id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES ($1, $2, $3, $4, 0, 0) RETURNING id`, [
          listId,
          contact.row,
          contact.phone,
          contact.status ?? 'pending',
        ]),
      call: async (contactId, call) => {
        await pool.query(
          `INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, created_at, ended_at)
           SELECT id, list_id, $1, $2, $3, $4, $5, $6 FROM contacts WHERE id = $7`,
          [call.attempt, `ref-${++refs}`, call.endedAt === null ? 'started' : 'ended', call.outcome, call.createdAt, call.endedAt, contactId],
        );
      },
      suppress: async (phone) => {
        await pool.query(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES ($1, 'operator', 0)`, [phone]);
      },
      storedContact: async (contactId) => {
        const row = await one<Omit<StoredTriggeredContact, 'attributes'> & { attributes: string }>(
          pool,
          `SELECT list_id AS "listId", row_number AS row, phone_e164 AS phone, country, language, timezone, attributes, status, attempts,
                  next_attempt_at AS "nextAttemptAt", not_before AS "notBefore", updated_at AS "updatedAt" FROM contacts WHERE id = $1`,
          [contactId],
        );
        return row && { ...row, attributes: JSON.parse(row.attributes) as unknown };
      },
      contactsIn: async (listId) => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM contacts WHERE list_id = $1', [listId]))!.n,
      storedTrigger: (surveyId) =>
        one<StoredTriggerFacts>(
          pool,
          `SELECT client_id AS "clientId", contact_id AS "contactId", phone_e164 AS phone, agent, idempotency_scope AS scope, idempotency_key AS key, created_at AS "createdAt"
           FROM survey_triggers WHERE id = $1`,
          [surveyId],
        ),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
