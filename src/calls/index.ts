export { callStore, type CallRow, type ContactRow } from './store.js';
export type { CallDeps } from './deps.js';
export { applyStatusEvent, finalizeCall, finalStatusAfter, settleContact, type StatusPayload } from './lifecycle.js';
export { handleRecording, RecordingDownloads, type RecordingPayload } from './recordings.js';
export { CallSignals } from './signals.js';
export { DialerGauges, type GaugeSnapshot } from './gauges.js';
export { handleAnswer, handleInput, webhookUrls, type AnswerRequest, type CallbackOutcome, type FlowDeps, type InputPayload, type InputRequest, type WebhookUrls } from './survey-flow.js';
