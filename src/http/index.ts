export { createHttpApp, listen, type HttpAppDeps, type RunningServer } from './app.js';
export { WEBHOOK_BODY_LIMIT, type WebhookDeps } from './webhooks.js';
export { apiRouter, mountApi, type ApiDeps } from './api.js';
export { sendRecording, sendReport } from './send.js';
export { failedAuthentications, type FailedAuthentication } from './failed-auth.js';
