import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { tempDir } from '../support/factories.js';
import { triggerStoreConformance, type StoredTriggeredContact, type StoredTriggerFacts } from './store-conformance.js';

/** The triggered surveys' store and its unit of work on SQLite, in a real database file with the committed migrations. */
triggerStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-triggers-'), 'nps.db') });
  const { sqlite } = database;
  let names = 0;
  let refs = 0;
  const id = (row: unknown) => (row as { id: number }).id;
  const units = sqliteTriggerUnits(database);
  return Promise.resolve({
    units,
    nodes: [units, units],
    list: (scene = {}) => {
      const clientId =
        scene.client === undefined ? null : scene.client === true ? id(sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(`client ${++names}`)) : scene.client;
      const listId = id(
        sqlite
          .prepare(`INSERT INTO lists (name, client_id, default_country, accepts_triggers, script, policy, state, created_at) VALUES (?, ?, ?, ?, '{}', '{}', ?, 0) RETURNING id`)
          .get(`list ${++names}`, clientId, scene.defaultCountry ?? null, scene.acceptsTriggers ? 1 : 0, scene.importing ? 'importing' : 'ready'),
      );
      return Promise.resolve({ listId, clientId });
    },
    contact: (listId, contact) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES (?, ?, ?, ?, 0, 0) RETURNING id`)
            .get(listId, contact.row, contact.phone, contact.status ?? 'pending'),
        ),
      ),
    call: (contactId, call) => {
      sqlite
        .prepare(
          `INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, created_at, ended_at)
           SELECT id, list_id, ?, ?, ?, ?, ?, ? FROM contacts WHERE id = ?`,
        )
        .run(call.attempt, `ref-${++refs}`, call.endedAt === null ? 'started' : 'ended', call.outcome, call.createdAt, call.endedAt, contactId);
      return Promise.resolve();
    },
    suppress: (phone) => {
      sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES (?, 'operator', 0)`).run(phone);
      return Promise.resolve();
    },
    storedContact: (contactId) => {
      const row = sqlite
        .prepare(
          `SELECT list_id AS listId, row_number AS row, phone_e164 AS phone, country, language, timezone, attributes, status, attempts,
                  next_attempt_at AS nextAttemptAt, not_before AS notBefore, updated_at AS updatedAt FROM contacts WHERE id = ?`,
        )
        .get(contactId) as (Omit<StoredTriggeredContact, 'attributes'> & { attributes: string }) | undefined;
      return Promise.resolve(row && { ...row, attributes: JSON.parse(row.attributes) as unknown });
    },
    contactsIn: (listId) => Promise.resolve(sqlite.prepare('SELECT count(*) FROM contacts WHERE list_id = ?').pluck().get(listId) as number),
    storedTrigger: (surveyId) =>
      Promise.resolve(
        sqlite
          .prepare(
            `SELECT client_id AS clientId, contact_id AS contactId, phone_e164 AS phone, agent, idempotency_scope AS scope, idempotency_key AS key, created_at AS createdAt
             FROM survey_triggers WHERE id = ?`,
          )
          .get(surveyId) as StoredTriggerFacts | undefined,
      ),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
