export { PostgresLeaseStore, SqliteLeaseStore, type AcquireRequest, type Lease, type LeaseStore } from './lease-store.js';
export { DEFAULT_LEASE_TTL_MS, Election, type ElectionOptions, type ElectionStatus, type Term } from './election.js';
export { bridgeSignals, type SignalBridge } from './signal-bridge.js';
