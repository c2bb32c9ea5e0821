export { eraseNumber } from './erase.js';
export { SqliteErasureStore, type ErasureStore } from './erasure-store.js';
export { PostgresErasureStore } from './erasure-store.pg.js';
export { purgeRecordings } from './retention.js';
