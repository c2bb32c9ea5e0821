export { SqliteAlertStore, type AlertStore } from './alert-store.js';
export { PostgresAlertStore } from './alert-store.pg.js';
export { detractorAlertPayload, listAlerts, type RecordingLinkFn } from './alerts.js';
export { caseSummary, CasePatch, CasesQuery, DEFAULT_CASES_LIMIT, listCases, updateCase, type CaseView, type FollowUpSummary } from './cases.js';
export { SqliteCaseStore, type CaseStore } from './case-store.js';
export { PostgresCaseStore } from './case-store.pg.js';
export { openDetractorFollowUp, type FollowUpOpened } from './detractors.js';
export { ALERT_COMMENT_WAIT_MS, FollowUpSettings } from './settings.js';
