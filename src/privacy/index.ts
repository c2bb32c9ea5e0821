export { eraseNumber } from './erase.js';
export { SqliteErasureStore } from './erasure-store.js';
export { PostgresErasureStore } from './erasure-store.pg.js';
export { purgeRecordings } from './retention.js';
