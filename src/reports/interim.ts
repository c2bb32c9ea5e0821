import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { Logger } from '../logging/index.js';
import type { InterimReportStore } from './interim-store.js';
import type { NpsReport } from './model.js';
import { createReportLink, renderReport, type ReportServiceDeps } from './service.js';

export interface InterimDeps extends ReportServiceDeps {
  /** Where the report's row and its announcement are written (the reads go through `reader`). */
  interimReports: InterimReportStore;
  logger: Logger;
  /** REPORTS_DIR: where the files go, as `list-<id>/interim-<date>.json|html`. */
  reportsDir: string;
}

export interface InterimInput {
  /** The schedule occurrence (epoch ms) the reports are for: one set per list and occurrence. */
  occurrenceAt: number;
  /** The schedule's zone: the files and the announcement are named after the local date. */
  timezone: string;
  /** PUBLIC_BASE_URL of `serve`, for the signed download links. */
  baseUrl: string;
  /** Lifetime of the download links, ms (default 7 days). */
  linkLifetimeMs?: number;
}

export interface InterimReportResult {
  listId: number;
  jsonFile: string;
  htmlFile: string;
  /** The queued announcement to the client, or null (no client URL, or made before). */
  deliveryId: number | null;
}

/** The `report.interim` webhook body (docs/report-format.md, "Daily interim reports"). */
export interface InterimAnnouncement {
  type: 'report.interim';
  reportId: number;
  listId: number;
  listName: string;
  clientId: number | null;
  date: string;
  occurrenceAt: string;
  generatedAt: string;
  final: boolean;
  contacts: number;
  responses: number;
  nps: number | null;
  npsCi95: [number, number] | null;
  followUp: { cases: number; overdue: number };
  /** Signed, expiring download URLs; null when REPORT_LINK_SECRET is not set. */
  links: { html: string; json: string; expiresAt: string } | null;
}

export const INTERIM_LINK_LIFETIME_MS = 7 * 86_400_000;

/**
 * The lists whose interim report is produced: dialled at least once, and either still open
 * (contacts pending or on a call) or taking triggered surveys with a call in the last day. A
 * list that was never dialled has nothing to report yet; a final batch list has its final report.
 */
const RUNNING_LISTS = `SELECT l.id FROM lists l
  WHERE l.state = 'ready' AND EXISTS (SELECT 1 FROM calls k WHERE k.list_id = l.id)
    AND (EXISTS (SELECT 1 FROM contacts c WHERE c.list_id = l.id AND c.status IN ('pending', 'dialing'))
         OR (l.accepts_triggers = 1 AND EXISTS (SELECT 1 FROM calls k WHERE k.list_id = l.id AND k.created_at >= ?)))
  ORDER BY l.id`;

/**
 * The daily interim results of `serve`: for every running list, the JSON and HTML report written
 * under REPORTS_DIR and, when the list's client has a report (or alert) URL, a signed
 * `report.interim` webhook with signed, expiring download links, queued in the outbox. Once per list
 * and occurrence (interim_reports is unique on both), so a restart that catches up the morning's
 * run does not send anything twice.
 */
export async function produceInterimReports(deps: InterimDeps, input: InterimInput): Promise<InterimReportResult[]> {
  const { reader, logger } = deps;
  const date = DateTime.fromMillis(input.occurrenceAt, { zone: input.timezone }).toISODate() ?? new Date(input.occurrenceAt).toISOString().slice(0, 10);
  const lists = (await reader.all<{ id: number }>(RUNNING_LISTS, [input.occurrenceAt - 86_400_000])).map((r) => r.id);
  const results: InterimReportResult[] = [];
  for (const listId of lists) {
    if (await reader.get('SELECT 1 AS done FROM interim_reports WHERE list_id = ? AND occurrence_at = ?', [listId, input.occurrenceAt])) continue;
    try {
      results.push(await produceOne(deps, input, listId, date));
    } catch (error) {
      // One list's failure (a full disk, a damaged row) must not cost the others their report.
      logger.error('interim report failed', { listId, error: (error as Error).message });
    }
  }
  return results;
}

async function produceOne(deps: InterimDeps, input: InterimInput, listId: number, date: string): Promise<InterimReportResult> {
  const dir = path.join(deps.reportsDir, `list-${listId}`);
  mkdirSync(dir, { recursive: true });
  const jsonFile = path.join(`list-${listId}`, `interim-${date}.json`);
  const htmlFile = path.join(`list-${listId}`, `interim-${date}.html`);
  // The client's copy: the files are what the announcement's links serve to the client.
  const json = await renderReport(deps, { listId, format: 'json', audience: 'client' });
  const html = await renderReport(deps, {
    listId,
    format: 'html',
    audience: 'client',
    // Recordings too large to embed are linked relative to the file, as `report --out` does.
    recordingHref: (_comment, absolutePath) => path.relative(dir, absolutePath).split(path.sep).map(encodeURIComponent).join('/'),
  });
  const report = JSON.parse(json.body as string) as NpsReport;
  // Files first, the row after: a crash in between leaves files that the next run overwrites.
  writeAtomically(path.join(deps.reportsDir, jsonFile), json.body as string);
  writeAtomically(path.join(deps.reportsDir, htmlFile), html.body as string);
  const now = deps.clock.now();
  const lifetime = input.linkLifetimeMs ?? INTERIM_LINK_LIFETIME_MS;
  const links = deps.linkSecret
    ? await (async () => {
        const htmlLink = await createReportLink(deps, { listId, format: 'html', expiresInMs: lifetime, baseUrl: input.baseUrl });
        const jsonLink = await createReportLink(deps, { listId, format: 'json', expiresInMs: lifetime, baseUrl: input.baseUrl });
        return { html: htmlLink.url, json: jsonLink.url, expiresAt: htmlLink.expiresAt };
      })()
    : null;
  // Recorded once per list and occurrence: when another node (or an earlier run) recorded this
  // one, nothing is queued again.
  const clientId = report.client?.id ?? null;
  const deliveryId = await deps.interimReports.record({
    listId,
    occurrenceAt: input.occurrenceAt,
    jsonFile,
    htmlFile,
    clientId,
    now,
    announcement: (reportId): InterimAnnouncement => ({
      type: 'report.interim',
      reportId,
      listId,
      listName: report.listName,
      clientId,
      date,
      occurrenceAt: new Date(input.occurrenceAt).toISOString(),
      generatedAt: report.generatedAt,
      final: report.final,
      contacts: report.contacts,
      responses: report.responses,
      nps: report.nps,
      npsCi95: report.npsCi95,
      followUp: { cases: report.followUp.cases, overdue: report.followUp.overdue },
      links,
    }),
  });
  deps.logger.info('interim report written', { listId, file: htmlFile, announced: deliveryId !== null });
  return { listId, jsonFile, htmlFile, deliveryId };
}

function writeAtomically(file: string, body: string): void {
  const temporary = `${file}.partial`;
  try {
    writeFileSync(temporary, body);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
