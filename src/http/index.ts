export { createHttpApp, listen, type HttpAppDeps, type NodeProbe, type RunningServer } from './app.js';
export { type WebhookDeps } from './webhooks.js';
export { mountApi } from './api.js';
export { sendRecording, sendReport } from './send.js';
export { failedAuthentications } from './failed-auth.js';
