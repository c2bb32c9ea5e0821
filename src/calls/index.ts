export type { CallEvent, CallRow } from './store.js';
export { runCallUnit, sqliteCallUnits, type CallTx, type CallUnits } from './units.js';
export { postgresCallUnits } from './units.pg.js';
export type { CallDeps } from './deps.js';
export { applyStatusEvent, applyStatusEventNow, finalizeCall, finalStatusAfter, followListSettings, type StatusPayload } from './lifecycle.js';
export { awaitLateRecordings, handleRecording, handleTranscription, RecordingDownloads } from './recordings.js';
export { CallSignals, type SignalEvent } from './signals.js';
export { DialerGauges, type GaugeSnapshot } from './gauges.js';
export { handleAnswer, handleInput, webhookUrls, type CallbackOutcome, type FlowDeps, type WebhookUrls } from './survey-flow.js';
