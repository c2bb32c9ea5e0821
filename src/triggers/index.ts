export {
  IdempotencyKey,
  MAX_NOT_BEFORE_MS,
  TriggerRequest,
  triggerSurvey,
  type TriggerDeps,
  type TriggerInput,
  type TriggerReason,
  type TriggerResult,
} from './post-call.js';
