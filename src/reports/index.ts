export { buildReport, listComments, loadListHeader, type ListHeader, type ReportDeps } from './builder.js';
export { AGENT_COLUMNS, agentsCsv, contactsCsv, escapeCell, summaryCsv, SUMMARY_COLUMNS } from './csv.js';
export { esc, renderHtml, WHY_SCRIPT, WHY_SCRIPT_HASH, type HtmlComment, type HtmlOptions } from './html.js';
export { buildWhy, MIN_COMMENTS_FOR_WAVE_TEST, VERBATIMS_PER_THEME, type ReasonRow, type RevenueAtRisk, type ThemeWaveRow, type ThemeWaves, type Verbatim, type WhyReport } from './why.js';
export { MAX_LINK_LIFETIME_MS, signRecordingLink, signReportLink, verifyRecordingLink, verifyReportLink, type RecordingLink, type ReportLink } from './links.js';
export * from './model.js';
export {
  clientLists,
  clientRecording,
  clientReport,
  createRecordingLink,
  createReportLink,
  EMBED_BUDGET_BYTES,
  EMBED_MAX_BYTES,
  linkedRecording,
  linkedRecordingByToken,
  linkedReport,
  MAX_HTML_COMMENTS,
  RECORDING_LINK_LIFETIME_MS,
  renderAgentReport,
  renderReport,
  resolveRecording,
  type ClientListSummary,
  type RecordingFile,
  type RenderedReport,
  type RenderInput,
  type ReportServiceDeps,
} from './service.js';
export * from './stats.js';
export { AGENT_ATTRIBUTE, agentResults } from './agents.js';
export { INTERIM_LINK_LIFETIME_MS, produceInterimReports, type InterimAnnouncement, type InterimDeps, type InterimInput, type InterimReportResult } from './interim.js';
