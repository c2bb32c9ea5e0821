export { eraseNumber, PROVIDER_COPY_RETENTION_DAYS, type ErasureSummary } from './erase.js';
export { purgeRecordings, type PurgeSummary } from './retention.js';
