import { one, transaction, type Queryable } from '../db/postgres/index.js';
import { PostgresDeliveryStore } from '../notifications/index.js';
import { announcementDelivery, type InterimReportRecord, type InterimReportStore } from './interim-store.js';

/**
 * The interim reports' store on PostgreSQL, statement for statement as on SQLite, in one
 * transaction. Two nodes recording the same occurrence meet on the (list, occurrence) unique
 * index: the second insert waits for the first's transaction and, once that committed, inserts
 * nothing, so only the first queues the announcement.
 */
export class PostgresInterimReportStore implements InterimReportStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  record(report: InterimReportRecord): Promise<number | null> {
    const { clientId } = report;
    return transaction(this.#q, async (q) => {
      const row = await one<{ id: number }>(
        q,
        `INSERT INTO interim_reports (list_id, occurrence_at, json_file, html_file, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (list_id, occurrence_at) DO NOTHING RETURNING id`,
        [report.listId, report.occurrenceAt, report.jsonFile, report.htmlFile, report.now],
      );
      if (!row || clientId === null) return null;
      const client = await one<{ url: string | null }>(q, 'SELECT coalesce(report_url, alert_url) AS url FROM clients WHERE id = $1', [clientId]);
      if (!client?.url) return null;
      // The outbox's own insert, on this transaction's client.
      return (await new PostgresDeliveryStore(q).enqueue(announcementDelivery(report, clientId, row.id))) ?? null;
    });
  }
}
