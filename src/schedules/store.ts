import { IANAZone } from 'luxon';
import { z } from 'zod';
import { prepared, type AppDatabase } from '../db/index.js';
import type { ScheduleStatus } from '../db/schema/index.js';
import type { ScheduleTiming } from './window.js';

/** `schedule add` input, validated here so that every transport gets the same messages. */
export const ScheduleInput = z
  .object({
    listId: z.number().int().positive(),
    cron: z.string().trim().min(1, '--cron is empty; give a pattern such as "0 20 * * 1-5" (20:00 on weekdays)'),
    timezone: z.string().trim().refine((zone) => IANAZone.isValidZone(zone), {
      error: (issue) => `--tz '${String(issue.input)}' is not an IANA time zone; use e.g. Europe/Warsaw or America/New_York`,
    }),
    until: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, '--until must be a local time HH:MM from 00:00 to 23:59, e.g. 06:00')
      .optional(),
    durationMs: z.number().int().min(60_000, '--for must be at least 1m').max(7 * 86_400_000, '--for must be at most 7d').optional(),
  })
  .refine((input) => input.until === undefined || input.durationMs === undefined, { error: 'give --until or --for, not both' });
export type ScheduleInput = z.infer<typeof ScheduleInput>;

export interface ScheduleRow extends ScheduleTiming {
  id: number;
  listId: number;
  status: ScheduleStatus;
  lastStartedAt: number | null;
  lastEndedAt: number | null;
  lastResult: string | null;
  createdAt: number;
}

/** A stored schedule with the name of the list it dials. */
export interface StoredSchedule extends ScheduleRow {
  listName: string;
}

/** What adding a schedule needs to know of its list (a ready list only). */
export interface ScheduledListFacts {
  name: string;
  acceptsTriggers: boolean;
  /** Contacts pending or being dialled. */
  open: number;
  contacts: number;
}

export interface NewSchedule extends ScheduleTiming {
  listId: number;
  createdAt: number;
}

/**
 * The schedules' store: the only code that speaks SQL for them, in the schedules' own terms. The
 * port is asynchronous so that a client-server engine (PostgreSQL, issue 17) is a second adapter
 * behind the same calls; SQLite's adapter answers at once. Every adapter passes the one
 * conformance suite (test/schedules/store-conformance.ts). Each method is one unit of work.
 */
export interface ScheduleStore {
  /** The ready list `listId`, as far as adding a schedule needs to know; undefined when there is none. */
  listFacts(listId: number): Promise<ScheduledListFacts | undefined>;
  /** Stores an active schedule; returns its id. */
  insert(schedule: NewSchedule): Promise<number>;
  get(id: number): Promise<StoredSchedule | undefined>;
  /** Every schedule, oldest first. */
  all(): Promise<StoredSchedule[]>;
  /** Deletes a schedule; false when there was none. */
  remove(id: number): Promise<boolean>;
  /** The schedules that still fire, oldest first. */
  active(): Promise<ScheduleRow[]>;
  /** A run of these schedules started: the last result is cleared until it ends. */
  recordRunStarted(scheduleIds: readonly number[], at: number): Promise<void>;
  recordRunEnded(scheduleIds: readonly number[], at: number, result: string): Promise<void>;
  /** Every active schedule of a final list is done: it never fires again. */
  markListDone(listId: number): Promise<void>;
  /** The ready lists that accept triggered surveys, each with when its next pending contact is due (null: none pending). */
  triggeredLists(): Promise<{ id: number; nextAt: number | null }[]>;
}

const COLUMNS = `s.id, s.list_id AS listId, s.cron, s.timezone, s.until_minute AS untilMinute, s.duration_ms AS durationMs, s.status,
  s.last_started_at AS lastStartedAt, s.last_ended_at AS lastEndedAt, s.last_result AS lastResult, s.created_at AS createdAt`;

/** The schedules' store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteScheduleStore implements ScheduleStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  listFacts(listId: number): Promise<ScheduledListFacts | undefined> {
    const row = prepared(
      this.#database,
      `SELECT l.name, l.accepts_triggers AS acceptsTriggers, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id AND c.status IN ('pending', 'dialing')) AS open,
              (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) AS contacts
       FROM lists l WHERE l.id = ? AND l.state = 'ready'`,
    ).get(listId) as { name: string; acceptsTriggers: number; open: number; contacts: number } | undefined;
    return Promise.resolve(row && { ...row, acceptsTriggers: row.acceptsTriggers === 1 });
  }

  insert(schedule: NewSchedule): Promise<number> {
    const row = prepared(this.#database, `INSERT INTO schedules (list_id, cron, timezone, until_minute, duration_ms, status, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?) RETURNING id`).get(
      schedule.listId,
      schedule.cron,
      schedule.timezone,
      schedule.untilMinute,
      schedule.durationMs,
      schedule.createdAt,
    ) as { id: number };
    return Promise.resolve(row.id);
  }

  get(id: number): Promise<StoredSchedule | undefined> {
    return Promise.resolve(prepared(this.#database, `SELECT ${COLUMNS}, l.name AS listName FROM schedules s JOIN lists l ON l.id = s.list_id WHERE s.id = ?`).get(id) as StoredSchedule | undefined);
  }

  all(): Promise<StoredSchedule[]> {
    // Read-only commands do not migrate: an older database has no schedules table yet.
    if (!this.#tableExists()) return Promise.resolve([]);
    return Promise.resolve(prepared(this.#database, `SELECT ${COLUMNS}, l.name AS listName FROM schedules s JOIN lists l ON l.id = s.list_id ORDER BY s.id`).all() as StoredSchedule[]);
  }

  remove(id: number): Promise<boolean> {
    return Promise.resolve(prepared(this.#database, 'DELETE FROM schedules WHERE id = ?').run(id).changes > 0);
  }

  active(): Promise<ScheduleRow[]> {
    return Promise.resolve(prepared(this.#database, `SELECT ${COLUMNS} FROM schedules s WHERE s.status = 'active' ORDER BY s.id`).all() as ScheduleRow[]);
  }

  recordRunStarted(scheduleIds: readonly number[], at: number): Promise<void> {
    const statement = prepared(this.#database, 'UPDATE schedules SET last_started_at = ?, last_ended_at = NULL, last_result = NULL WHERE id = ?');
    this.#database.sqlite.transaction(() => scheduleIds.forEach((id) => statement.run(at, id))).immediate();
    return Promise.resolve();
  }

  recordRunEnded(scheduleIds: readonly number[], at: number, result: string): Promise<void> {
    const statement = prepared(this.#database, 'UPDATE schedules SET last_ended_at = ?, last_result = ? WHERE id = ?');
    this.#database.sqlite.transaction(() => scheduleIds.forEach((id) => statement.run(at, result, id))).immediate();
    return Promise.resolve();
  }

  markListDone(listId: number): Promise<void> {
    prepared(this.#database, `UPDATE schedules SET status = 'done' WHERE list_id = ? AND status = 'active'`).run(listId);
    return Promise.resolve();
  }

  triggeredLists(): Promise<{ id: number; nextAt: number | null }[]> {
    return Promise.resolve(
      prepared(
        this.#database,
        `SELECT l.id, (SELECT min(c.next_attempt_at) FROM contacts c WHERE c.list_id = l.id AND c.status = 'pending') AS nextAt
         FROM lists l WHERE l.accepts_triggers = 1 AND l.state = 'ready' ORDER BY l.id`,
      ).all() as { id: number; nextAt: number | null }[],
    );
  }

  #tableExists(): boolean {
    return prepared(this.#database, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schedules'`).get() !== undefined;
  }
}

const stores = new WeakMap<AppDatabase, ScheduleStore>();
/** The schedules' store of a database: the SQLite adapter (the only engine today). */
export function scheduleStore(database: AppDatabase): ScheduleStore {
  let store = stores.get(database);
  if (!store) stores.set(database, (store = new SqliteScheduleStore(database)));
  return store;
}
