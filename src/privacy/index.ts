export { eraseNumber } from './erase.js';
export { purgeRecordings } from './retention.js';
