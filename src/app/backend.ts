import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { PostgresBillingStore, SqliteBillingStore, type BillingStore } from '../billing/index.js';
import { postgresCallUnits, sqliteCallUnits, type CallUnits } from '../calls/index.js';
import { PostgresLeaseStore, SqliteLeaseStore, type LeaseStore } from '../cluster/index.js';
import { postgresCommentStores, sqliteCommentStores, type CommentStores } from '../comments/index.js';
import {
  PostgresClientStore,
  PostgresImportSink,
  PostgresListStore,
  PostgresSuppressionStore,
  SqliteClientStore,
  SqliteImportSink,
  SqliteListStore,
  SqliteSuppressionStore,
  type ClientStore,
  type ImportSink,
  type ListStore,
  type SuppressionStore,
} from '../contacts/index.js';
import { PostgresReader, sqliteReader, type AppDatabase, type SqlReader } from '../db/index.js';
import type { PostgresDatabase } from '../db/postgres/index.js';
import { PostgresRunStore, SqliteRunStore, type RunStore } from '../dialer/index.js';
import { PostgresAlertStore, PostgresCaseStore, SqliteAlertStore, SqliteCaseStore, type AlertStore, type CaseStore } from '../followup/index.js';
import { PostgresDeliveryStore, SqliteDeliveryStore, type DeliveryStore } from '../notifications/index.js';
import { PostgresErasureStore, SqliteErasureStore, type ErasureStore } from '../privacy/index.js';
import { PostgresInterimReportStore, SqliteInterimReportStore, type InterimReportStore } from '../reports/index.js';
import { PostgresScheduleStore, scheduleStore, type ScheduleStore } from '../schedules/index.js';
import { postgresTriggerUnits, sqliteTriggerUnits, type TriggerUnits } from '../triggers/index.js';

/**
 * The data layer a process runs on (docs/adr/0014-cluster-on-postgresql.md): every store port and
 * the read models' reader, on SQLite (one machine, the default) or on PostgreSQL (a cluster). The
 * composition roots take stores from here and never ask which engine it is, except where only one
 * engine has the thing: SQLite's one-dialer lock, PostgreSQL's election and signal bridge.
 */
export interface Stores {
  reader: SqlReader;
  callUnits: CallUnits;
  triggerUnits: TriggerUnits;
  runs: RunStore;
  lists: ListStore;
  clients: ClientStore;
  suppressions: SuppressionStore;
  cases: CaseStore;
  alerts: AlertStore;
  comments: CommentStores;
  billing: BillingStore;
  deliveries: DeliveryStore;
  erasures: ErasureStore;
  schedules: ScheduleStore;
  /** The daily interim reports' rows and their announcements. */
  interimReports: InterimReportStore;
  leases: LeaseStore;
  /** Where `lists import` writes. */
  imports: ImportSink;
}

export type Backend = ({ kind: 'sqlite'; database: AppDatabase } | { kind: 'postgres'; database: PostgresDatabase }) & { stores: Stores };

export function sqliteBackend(database: AppDatabase): Backend {
  return {
    kind: 'sqlite',
    database,
    stores: {
      reader: sqliteReader(database),
      callUnits: sqliteCallUnits(database),
      triggerUnits: sqliteTriggerUnits(database),
      runs: new SqliteRunStore(database),
      lists: new SqliteListStore(database),
      clients: new SqliteClientStore(database),
      suppressions: new SqliteSuppressionStore(database),
      cases: new SqliteCaseStore(database),
      alerts: new SqliteAlertStore(database),
      comments: sqliteCommentStores(database),
      billing: new SqliteBillingStore(database),
      deliveries: new SqliteDeliveryStore(database),
      erasures: new SqliteErasureStore(database),
      schedules: scheduleStore(database),
      interimReports: new SqliteInterimReportStore(database),
      leases: new SqliteLeaseStore(database),
      imports: new SqliteImportSink(database),
    },
  };
}

export function postgresBackend(database: PostgresDatabase): Backend {
  const { pool } = database;
  return {
    kind: 'postgres',
    database,
    stores: {
      reader: new PostgresReader(pool),
      callUnits: postgresCallUnits(database),
      triggerUnits: postgresTriggerUnits(database),
      runs: new PostgresRunStore(pool),
      lists: new PostgresListStore(pool),
      clients: new PostgresClientStore(pool),
      suppressions: new PostgresSuppressionStore(pool),
      cases: new PostgresCaseStore(pool),
      alerts: new PostgresAlertStore(pool),
      comments: postgresCommentStores(database),
      billing: new PostgresBillingStore(pool),
      deliveries: new PostgresDeliveryStore(pool),
      erasures: new PostgresErasureStore(pool),
      schedules: new PostgresScheduleStore(pool),
      interimReports: new PostgresInterimReportStore(pool),
      leases: new PostgresLeaseStore(pool),
      imports: new PostgresImportSink(pool),
    },
  };
}

/** This node's name in a cluster: NODE_NAME, or host, pid and a random suffix (unique after a restart too). */
export function nodeName(configured: string | undefined): string {
  return configured ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
