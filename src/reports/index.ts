export { buildReport, listComments, type ReportDeps } from './builder.js';
export { escapeCell, SUMMARY_COLUMNS } from './csv.js';
export { esc, WHY_SCRIPT_HASH } from './html.js';
export { signRecordingLink, signReportLink, verifyRecordingLink, verifyReportLink } from './links.js';
export * from './model.js';
export {
  clientLists,
  clientRecording,
  clientReport,
  createRecordingLink,
  createReportLink,
  EMBED_MAX_BYTES,
  linkedRecording,
  linkedRecordingByToken,
  linkedReport,
  MAX_HTML_COMMENTS,
  renderAgentReport,
  renderReport,
  resolveRecording,
  type ClientListSummary,
  type RecordingFile,
  type RenderedReport,
  type ReportServiceDeps,
} from './service.js';
export * from './stats.js';
export { produceInterimReports } from './interim.js';
export { SqliteInterimReportStore, type InterimReportRecord, type InterimReportStore } from './interim-store.js';
export { PostgresInterimReportStore } from './interim-store.pg.js';
