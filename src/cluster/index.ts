export { PostgresLeaseStore, SqliteLeaseStore, type LeaseStore } from './lease-store.js';
export { Election, type ElectionStatus, type Term } from './election.js';
export { bridgeSignals, type SignalBridge } from './signal-bridge.js';
