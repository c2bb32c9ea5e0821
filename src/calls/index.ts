export { callStore, type CallRow, type ContactRow } from './store.js';
export type { CallDeps } from './deps.js';
export { applyStatusEvent, finalizeCall, finalStatusAfter, type StatusPayload } from './lifecycle.js';
export { awaitLateRecordings, handleRecording, RecordingDownloads } from './recordings.js';
export { CallSignals } from './signals.js';
export { DialerGauges, type GaugeSnapshot } from './gauges.js';
export { handleAnswer, handleInput, webhookUrls, type CallbackOutcome, type FlowDeps, type WebhookUrls } from './survey-flow.js';
