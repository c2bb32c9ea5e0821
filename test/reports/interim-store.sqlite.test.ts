import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { SqliteInterimReportStore } from '../../src/reports/index.js';
import { tempDir } from '../support/factories.js';
import { interimReportStoreConformance, type InterimReportStoreFixture } from './interim-store-conformance.js';

/** The interim reports' store on SQLite, in a real database file with the committed migrations. */
interimReportStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-interim-store-'), 'nps.db') });
  const { sqlite } = database;
  let rows = 0;
  return Promise.resolve({
    store: new SqliteInterimReportStore(database),
    otherNode: new SqliteInterimReportStore(database),
    client: (urls) =>
      Promise.resolve(
        (
          sqlite
            .prepare(`INSERT INTO clients (name, alert_url, alert_secret, report_url, created_at) VALUES (?, ?, 'whsec_test', ?, 0) RETURNING id`)
            .get(`client ${++rows}`, urls.alertUrl, urls.reportUrl) as { id: number }
        ).id,
      ),
    list: (clientId) =>
      Promise.resolve((sqlite.prepare(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES (?, ?, '{}', '{}', 'ready', 0) RETURNING id`).get(`list ${++rows}`, clientId) as { id: number }).id),
    reports: (listId) =>
      Promise.resolve(
        sqlite
          .prepare('SELECT id, occurrence_at AS occurrenceAt, json_file AS jsonFile, html_file AS htmlFile, created_at AS createdAt FROM interim_reports WHERE list_id = ? ORDER BY id')
          .all(listId) as Awaited<ReturnType<InterimReportStoreFixture['reports']>>,
      ),
    deliveries: (listId) =>
      Promise.resolve(
        sqlite
          .prepare('SELECT id, event, dedupe_key AS dedupeKey, client_id AS clientId, payload, next_attempt_at AS nextAttemptAt FROM webhook_deliveries WHERE list_id = ? ORDER BY id')
          .all(listId) as Awaited<ReturnType<InterimReportStoreFixture['deliveries']>>,
      ),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
