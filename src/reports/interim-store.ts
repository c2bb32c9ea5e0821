import { prepared, type AppDatabase } from '../db/index.js';
import { enqueueDelivery, type EnqueueDelivery } from '../notifications/index.js';
import type { InterimAnnouncement } from './interim.js';

/** An interim report whose files are written, to record and announce. */
export interface InterimReportRecord {
  listId: number;
  /** The schedule occurrence (epoch ms): the row's identity with the list. */
  occurrenceAt: number;
  /** Paths relative to REPORTS_DIR. */
  jsonFile: string;
  htmlFile: string;
  /** The list's client, whose report (or alert) URL gets the announcement; null for a list without one. */
  clientId: number | null;
  /** The announcement's body, given the new row's id. Pure: it runs inside the store's transaction. */
  announcement: (reportId: number) => InterimAnnouncement;
  now: number;
}

/**
 * Where the daily interim reports are recorded (docs/adr/0013-store-ports.md): the report's row
 * and its `report.interim` announcement in the outbox, in one transaction, so that a report is
 * announced once or not at all.
 */
export interface InterimReportStore {
  /**
   * Records the report once per list and occurrence and, when this call recorded it and the
   * client has a report or alert URL, queues its announcement (dedupe key
   * `report:<listId>:<occurrenceAt>`). Returns the delivery's id; null when nothing was queued
   * (no client URL, or the occurrence was recorded before — by this node or another).
   */
  record(report: InterimReportRecord): Promise<number | null>;
}

/** The outbox entry of a recorded report, the same on every engine. */
export function announcementDelivery(report: InterimReportRecord, clientId: number, reportId: number): EnqueueDelivery {
  return {
    event: 'report.interim',
    dedupeKey: `report:${report.listId}:${report.occurrenceAt}`,
    clientId,
    listId: report.listId,
    payload: report.announcement(reportId) as unknown as Record<string, unknown>,
    dueAt: report.now,
    now: report.now,
  };
}

/** The interim reports' store on SQLite: one immediate transaction, so the row and its announcement go together. */
export class SqliteInterimReportStore implements InterimReportStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  async record(report: InterimReportRecord): Promise<number | null> {
    const database = this.#database;
    const { clientId } = report;
    return database.sqlite
      .transaction(() => {
        const row = prepared(
          database,
          `INSERT INTO interim_reports (list_id, occurrence_at, json_file, html_file, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (list_id, occurrence_at) DO NOTHING RETURNING id`,
        ).get(report.listId, report.occurrenceAt, report.jsonFile, report.htmlFile, report.now) as { id: number } | undefined;
        if (!row || clientId === null) return null;
        const client = prepared(database, 'SELECT coalesce(report_url, alert_url) AS url FROM clients WHERE id = ?').get(clientId) as { url: string | null } | undefined;
        if (!client?.url) return null;
        return enqueueDelivery(database, announcementDelivery(report, clientId, row.id)) ?? null;
      })
      .immediate();
  }
}
