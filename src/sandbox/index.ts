/*
 * The Vonage sandbox: a local HTTP server that speaks the Vonage Voice API wire protocol, with
 * scripted virtual callees. Other modules import only from here. See docs/sandbox.md.
 */
export { startSandbox } from './server.js';
export { POOL_LANGUAGES } from './comments.js';
export {
  loadScenarioFile,
  parseScenario,
  Scenario,
  PopulationOptions,
  FaultOptions,
  CalleeFaultOptions,
  CalleeScenario,
  CalleeAttempt,
  CALLEE_OUTCOMES,
  type CalleeOutcome,
} from './scenario.js';
export {
  CALL_STATUSES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type CallStatus,
  type TerminalStatus,
  type Sandbox,
  type SandboxOptions,
  type SandboxStats,
  type SandboxCallRecord,
  type SandboxTimelineEntry,
  type SandboxInputRecord,
  type SandboxRecordingRecord,
  type WebhookStats,
} from './types.js';
export { ensureSandboxCredentials, type SandboxCredentials } from './credentials.js';
export { BODILESS_PAYLOAD_HASHES, type BodilessPayloadHash } from './auth.js';
export { REDELIVERY_TOKENS, type RedeliveryToken } from './webhooks.js';
