export { buildReport, listComments, loadListHeader, type ListHeader, type ReportDeps } from './builder.js';
export { contactsCsv, escapeCell, summaryCsv, SUMMARY_COLUMNS } from './csv.js';
export { esc, renderHtml, type HtmlComment, type HtmlOptions } from './html.js';
export { MAX_LINK_LIFETIME_MS, signReportLink, verifyReportLink, type ReportLink } from './links.js';
export * from './model.js';
export {
  clientLists,
  clientRecording,
  clientReport,
  createReportLink,
  EMBED_BUDGET_BYTES,
  EMBED_MAX_BYTES,
  linkedRecording,
  linkedReport,
  MAX_HTML_COMMENTS,
  renderReport,
  resolveRecording,
  type ClientListSummary,
  type RecordingFile,
  type RenderedReport,
  type RenderInput,
  type ReportServiceDeps,
} from './service.js';
export * from './stats.js';
