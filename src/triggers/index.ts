export { IdempotencyKey, TriggerRequest, triggerSurvey, type TriggerReason, type TriggerResult } from './post-call.js';
export { sqliteTriggerUnits, type TriggerUnits } from './units.js';
export { postgresTriggerUnits } from './units.pg.js';
