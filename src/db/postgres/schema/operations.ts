import { bigint, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { SCHEDULE_STATUSES } from '../../schema/enums.js';
import { lists } from './tables.js';

/**
 * At most one row (id = 1): the process that dials from this database. `run` and `serve` claim it
 * with a conditional insert/update and refresh `heartbeat_at`; read-only commands only read it.
 * docs/adr/0006-one-dialer-per-database.md explains the takeover rules.
 */
export const dialerLock = pgTable('dialer_lock', {
  id: integer('id').primaryKey(),
  /** Random per acquisition: a holder only refreshes or releases the row while it still carries its token. */
  token: text('token').notNull(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  /** What the holder runs, e.g. `run 5` or `serve`, for the refusal message. */
  command: text('command').notNull(),
  acquiredAt: bigint('acquired_at', { mode: 'number' }).notNull(),
  heartbeatAt: bigint('heartbeat_at', { mode: 'number' }).notNull(),
});

/** Recurring dialing windows of a list, fired by `serve`. */
/**
 * Leases by name (`dialer`: the node that dials for a cluster on PostgreSQL; docs/adr/0014).
 * A holder keeps its lease by renewing it before `expires_at`; whoever takes a free or expired lease
 * increments `fence`, and the holder's writes carry the fence it got, so a node that lost its lease
 * (a pause, a partition) cannot write as if it still held it.
 */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  /** The node holding it: host, pid and a random suffix (`serve` prints it). */
  holder: text('holder').notNull(),
  /** Incremented at every change of holder: the fencing token. */
  fence: bigint('fence', { mode: 'number' }).notNull(),
  /** Where the holder answers (its own URL), for the status of the other nodes; null: not told. */
  address: text('address'),
  acquiredAt: bigint('acquired_at', { mode: 'number' }).notNull(),
  renewedAt: bigint('renewed_at', { mode: 'number' }).notNull(),
  expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
});

export const schedules = pgTable(
  'schedules',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    listId: integer('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    /** A croner pattern (5 or 6 fields, or a nickname such as @daily), read in `timezone`. */
    cron: text('cron').notNull(),
    /** IANA zone the pattern and `until` are read in. */
    timezone: text('timezone').notNull(),
    /** Window end as minutes after local midnight (`--until HH:MM`), or null. */
    untilMinute: integer('until_minute'),
    /** Window length in ms (`--for`), or null. Neither set: the window lasts until the next occurrence. */
    durationMs: bigint('duration_ms', { mode: 'number' }),
    /** `done` once the list is final; a done schedule never fires again. */
    status: text('status', { enum: SCHEDULE_STATUSES }).notNull().default('active'),
    lastStartedAt: bigint('last_started_at', { mode: 'number' }),
    lastEndedAt: bigint('last_ended_at', { mode: 'number' }),
    /** How the last run ended: completed, paused, stopped or error, with a short detail. */
    lastResult: text('last_result'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // The daemon loads the active schedules on every tick: WHERE status = 'active'.
    index('schedules_status_idx').on(t.status),
    // `schedule add` and completion find a list's schedules: WHERE list_id = ?.
    index('schedules_list_idx').on(t.listId),
  ],
);
