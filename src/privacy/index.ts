export { eraseNumber } from './erase.js';
export { SqliteErasureStore } from './erasure-store.js';
export { purgeRecordings } from './retention.js';
