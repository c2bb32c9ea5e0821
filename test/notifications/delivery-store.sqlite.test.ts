import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { enqueueDelivery } from '../../src/notifications/index.js';
import { SqliteDeliveryStore } from '../../src/notifications/delivery-store.js';
import { tempDir } from '../support/factories.js';
import { deliveryStoreConformance, type DeliveryStoreFixture } from './delivery-store-conformance.js';

/** The delivery worker's store on SQLite, in a real database file with the committed migrations. */
deliveryStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-deliveries-'), 'nps.db') });
  const { sqlite } = database;
  let rows = 0;
  return Promise.resolve({
    store: new SqliteDeliveryStore(database),
    otherNode: new SqliteDeliveryStore(database),
    client: (receiver) =>
      Promise.resolve(
        (
          sqlite
            .prepare('INSERT INTO clients (name, alert_url, alert_secret, report_url, created_at) VALUES (?, ?, ?, ?, 0) RETURNING id')
            .get(`client ${++rows}`, receiver.alertUrl, receiver.secret, receiver.reportUrl) as { id: number }
        ).id,
      ),
    list: (clientId) =>
      Promise.resolve((sqlite.prepare(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES (?, ?, '{}', '{}', 'ready', 0) RETURNING id`).get(`list ${++rows}`, clientId) as { id: number }).id),
    response: (listId, state) => {
      const row = ++rows;
      const contactId = (
        sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES (?, ?, ?, 'responded', 1, 0) RETURNING id`).get(listId, row + 1, `+48500${String(row).padStart(6, '0')}`) as {
          id: number;
        }
      ).id;
      const callId = (
        sqlite
          .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ended_at, created_at) VALUES (?, ?, 1, ?, ?, ?, 0) RETURNING id`)
          .get(contactId, listId, `ref-${row}`, state.callEndedAt === null ? 'answered' : 'ended', state.callEndedAt) as { id: number }
      ).id;
      return Promise.resolve(
        (
          sqlite
            .prepare('INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_text_status, created_at) VALUES (?, ?, ?, 3, ?, ?, 0) RETURNING id')
            .get(contactId, callId, listId, state.commentStatus, state.textStatus) as { id: number }
        ).id,
      );
    },
    enqueue: (input) =>
      Promise.resolve(
        enqueueDelivery(database, {
          event: input.responseId === undefined ? 'report.interim' : 'detractor.alert',
          dedupeKey: input.dedupeKey ?? `d-${++rows}`,
          clientId: input.clientId,
          listId: input.listId,
          responseId: input.responseId ?? null,
          ...(input.payload === undefined ? {} : { payload: JSON.parse(input.payload) as Record<string, unknown> }),
          dueAt: input.dueAt,
          now: 0,
        })!,
      ),
    inspect: (deliveryId) =>
      Promise.resolve(
        sqlite
          .prepare(
            `SELECT status, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, last_status_code AS lastStatusCode, delivered_at AS deliveredAt, payload,
               (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attemptRows
             FROM webhook_deliveries d WHERE id = ?`,
          )
          .get(deliveryId) as Awaited<ReturnType<DeliveryStoreFixture['inspect']>>,
      ),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
