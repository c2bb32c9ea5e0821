export { callStore, type CallRow, type ContactRow } from './calls.js';
export { LocalPacer, PacedCreator, WorkerPacer, type AccountPace, type AccountPacer, type CallCreator, type CreateTurn, type LaneSpec } from './call-creator.js';
export {
  maxCallLifeMs,
  PROVIDER_CALL_RETENTION_MS,
  reconcileCall,
  reconcileInFlight,
  runCampaign,
  type CampaignOptions,
  type CampaignProgress,
  type CampaignResult,
  type OpenCall,
} from './campaign.js';
export type { DialerDeps } from './deps.js';
export { applyStatusEvent, billIfPersonAnswered, finalizeCall, finalStatusAfter, settleContact, type StatusPayload } from './lifecycle.js';
export { acquireDialerLock, currentDialer, DialerLock, isProcessAlive, type AcquireDialerLockOptions, type LockHolder } from './lock.js';
export { describeListPace, fairShares, type ListPace } from './pace.js';
export { planList, PLAN_REASON_TEXT, PLAN_REASONS, type ListPlan, type PlanReason, type PlanRow, type PlanVerdict } from './plan.js';
export { ATTEMPT_CAP_WINDOW_MS, ContactScreen, SCREENING_SQL, type Screening } from './screening.js';
export { limiterForCps, RollingWindowLimiter, type RateLane, type RateSlot } from './rate-limiter.js';
export { handleRecording, RecordingDownloads, type RecordingPayload } from './recordings.js';
export { CallingWindows, DEFAULT_POLICY, effectivePolicy, ListSettingsBook, type EffectivePolicy, type ListSettings, type PolicyOverrides } from './settings.js';
export { CallSignals } from './signals.js';
export { earliestAttemptAt, plannedAttemptAt, replanWaiting, saveListSettings, type WaitingContact } from './waiting.js';
export { handleAnswer, handleInput, webhookUrls, type AnswerRequest, type CallbackOutcome, type FlowDeps, type InputPayload, type InputRequest, type WebhookUrls } from './survey-flow.js';
