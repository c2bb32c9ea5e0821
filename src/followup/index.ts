export { detractorAlertPayload, listAlerts, type AlertView, type DetractorAlert, type RecordingLinkFn } from './alerts.js';
export {
  caseSummary,
  CasePatch,
  CasesQuery,
  DEFAULT_CASES_LIMIT,
  isOverdue,
  listCases,
  OVERDUE_SHOWN,
  updateCase,
  type CaseDeps,
  type CaseView,
  type FollowUpSummary,
  type OverdueCase,
} from './cases.js';
export { agentOf, openDetractorFollowUp, parseFollowUp, type FollowUpOpened, type ScoredResponse } from './detractors.js';
export { ALERT_COMMENT_WAIT_MS, DEFAULT_ALERT_THRESHOLD, DEFAULT_CASE_DEADLINE_HOURS, FollowUpSettings } from './settings.js';
