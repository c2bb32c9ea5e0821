import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { SqliteRunStore } from '../../src/dialer/index.js';
import { tempDir } from '../support/factories.js';
import { runStoreConformance } from './run-store-conformance.js';

/** The outbound side's store on SQLite, in a real database file with the committed migrations. */
runStoreConformance('SQLite', () => {
  const file = path.join(tempDir('nps-run-store-'), 'nps.db');
  const database = openDatabase({ path: file });
  // A second connection to the same file, as a second process has.
  const secondDatabase = openDatabase({ path: file });
  const { sqlite } = database;
  let rows = 0;
  const id = (row: unknown) => (row as { id: number }).id;
  return Promise.resolve({
    runs: new SqliteRunStore(database),
    second: new SqliteRunStore(secondDatabase),
    list: (scene = {}) => {
      const clientId = scene.client ? id(sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(`client ${++rows}`)) : (scene.clientId ?? null);
      const listId = id(sqlite.prepare(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES (?, ?, '{}', '{}', 'ready', 0) RETURNING id`).get(`list ${++rows}`, clientId));
      return Promise.resolve({ listId, clientId });
    },
    contact: (listId, c) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0) RETURNING id`)
            .get(listId, ++rows, c.phone, c.status ?? 'pending', c.attempts ?? 0, c.nextAttemptAt === undefined ? 0 : c.nextAttemptAt),
        ),
      ),
    call: (contactId, c = {}) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(
              `INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, outcome, ivr_stage, answered_at, answered_by, ended_at, created_at)
               SELECT id, list_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM contacts WHERE id = ? RETURNING id`,
            )
            .get(
              c.attempt ?? 1,
              `ref-${++rows}`,
              c.uuid ?? null,
              c.state ?? 'started',
              c.outcome ?? null,
              c.ivrStage ?? null,
              c.answeredAt ?? null,
              c.answeredBy ?? null,
              c.endedAt ?? null,
              c.createdAt ?? 0,
              contactId,
            ),
        ),
      ),
    response: (callId, score) => {
      sqlite.prepare('INSERT INTO responses (contact_id, call_id, list_id, score, created_at) SELECT contact_id, id, list_id, ?, 0 FROM calls WHERE id = ?').run(score, callId);
      return Promise.resolve();
    },
    suppress: (phone) => {
      sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, 'operator', NULL, 0)`).run(phone);
      return Promise.resolve();
    },
    event: (callId) => {
      sqlite.prepare(`INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, 'status', 'started', 0, 0, '{}')`).run(callId);
      return Promise.resolve();
    },
    contactRow: (contactId) =>
      Promise.resolve(sqlite.prepare('SELECT status, attempts, next_attempt_at AS nextAttemptAt FROM contacts WHERE id = ?').get(contactId) as { status: string; attempts: number; nextAttemptAt: number | null } | undefined),
    callRow: (callId) =>
      Promise.resolve(
        sqlite.prepare('SELECT state, provider_uuid AS uuid, conversation_uuid AS conversationUuid, attempt, ref FROM calls WHERE id = ?').get(callId) as
          | { state: string; uuid: string | null; conversationUuid: string | null; attempt: number; ref: string }
          | undefined,
      ),
    close: () => {
      secondDatabase.close();
      database.close();
      return Promise.resolve();
    },
  });
});
