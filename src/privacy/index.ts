export { eraseNumber, type ErasureSummary } from './erase.js';
export { purgeRecordings, type PurgeSummary } from './retention.js';
