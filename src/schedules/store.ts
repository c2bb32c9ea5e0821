import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import type { ScheduleStatus } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { cronFor, describeWindow, nextOccurrence, type ScheduleTiming } from './window.js';

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

export interface ScheduleView extends ScheduleRow {
  listName: string;
  /** `until 06:00`, `for 8h` or `until the next occurrence`. */
  window: string;
  /** The next time it fires; null once done. */
  nextRunAt: number | null;
}

const COLUMNS = `s.id, s.list_id AS listId, s.cron, s.timezone, s.until_minute AS untilMinute, s.duration_ms AS durationMs, s.status,
  s.last_started_at AS lastStartedAt, s.last_ended_at AS lastEndedAt, s.last_result AS lastResult, s.created_at AS createdAt`;

/**
 * Adds a schedule for a ready list that is not final yet. The pattern and zone are checked with
 * croner itself, so what is stored is exactly what the daemon can run.
 */
export function addSchedule(options: { database: AppDatabase; clock: Clock; input: unknown }): ScheduleView {
  const parsed = ScheduleInput.safeParse(options.input);
  if (!parsed.success) throw new AppError('INPUT_INVALID', parsed.error.issues.map((i) => i.message).join('; '));
  const input = parsed.data;
  try {
    cronFor(input.cron, input.timezone);
  } catch (error) {
    throw new AppError('INPUT_INVALID', `--cron '${input.cron}' is not a cron pattern croner accepts (${(error as Error).message}); e.g. "0 20 * * 1-5" is 20:00 Monday to Friday`);
  }
  const { database, clock } = options;
  const list = database.sqlite
    .prepare(
      `SELECT l.name, l.accepts_triggers AS acceptsTriggers, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id AND c.status IN ('pending', 'dialing')) AS open,
              (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) AS contacts
       FROM lists l WHERE l.id = ? AND l.state = 'ready'`,
    )
    .get(input.listId) as { name: string; acceptsTriggers: number; open: number; contacts: number } | undefined;
  if (!list) throw new AppError('NOT_FOUND', `list ${input.listId} does not exist; see \`nps-dialer lists\``);
  // A schedule's window would stop the continuous dialing that triggered surveys are promised.
  if (list.acceptsTriggers) {
    throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" accepts triggered surveys and is dialled continuously by serve; schedules are for batch lists`);
  }
  if (list.open === 0) throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" is already final (all ${list.contacts} contacts); there is nothing to schedule`);
  const untilMinute = input.until === undefined ? null : Number(input.until.slice(0, 2)) * 60 + Number(input.until.slice(3));
  const id = (
    database.sqlite
      .prepare(`INSERT INTO schedules (list_id, cron, timezone, until_minute, duration_ms, status, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?) RETURNING id`)
      .get(input.listId, input.cron, input.timezone, untilMinute, input.durationMs ?? null, clock.now()) as { id: number }
  ).id;
  return getSchedule({ database, clock, id });
}

export function getSchedule(options: { database: AppDatabase; clock: Clock; id: number }): ScheduleView {
  const row = options.database.sqlite.prepare(`SELECT ${COLUMNS}, l.name AS listName FROM schedules s JOIN lists l ON l.id = s.list_id WHERE s.id = ?`).get(options.id) as
    | (ScheduleRow & { listName: string })
    | undefined;
  if (!row) throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  return view(row, options.clock.now());
}

/** Every schedule, oldest first, with its next run. */
export function listSchedules(options: { database: AppDatabase; clock: Clock }): ScheduleView[] {
  if (!tableExists(options.database)) return [];
  const rows = options.database.sqlite.prepare(`SELECT ${COLUMNS}, l.name AS listName FROM schedules s JOIN lists l ON l.id = s.list_id ORDER BY s.id`).all() as (ScheduleRow & {
    listName: string;
  })[];
  const now = options.clock.now();
  return rows.map((row) => view(row, now));
}

export function removeSchedule(options: { database: AppDatabase; id: number }): void {
  if (options.database.sqlite.prepare('DELETE FROM schedules WHERE id = ?').run(options.id).changes === 0) {
    throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  }
}

/** The schedules the daemon fires. */
export function activeSchedules(database: AppDatabase): ScheduleRow[] {
  return prepared(database, `SELECT ${COLUMNS} FROM schedules s WHERE s.status = 'active' ORDER BY s.id`).all() as ScheduleRow[];
}

export function recordRunStarted(database: AppDatabase, scheduleIds: number[], at: number): void {
  const statement = prepared(database, 'UPDATE schedules SET last_started_at = ?, last_ended_at = NULL, last_result = NULL WHERE id = ?');
  database.sqlite.transaction(() => scheduleIds.forEach((id) => statement.run(at, id))).immediate();
}

export function recordRunEnded(database: AppDatabase, scheduleIds: number[], at: number, result: string): void {
  const statement = prepared(database, 'UPDATE schedules SET last_ended_at = ?, last_result = ? WHERE id = ?');
  database.sqlite.transaction(() => scheduleIds.forEach((id) => statement.run(at, result, id))).immediate();
}

/** Every schedule of a final list is done: it never fires again. */
export function markListDone(database: AppDatabase, listId: number): void {
  prepared(database, `UPDATE schedules SET status = 'done' WHERE list_id = ? AND status = 'active'`).run(listId);
}

function view(row: ScheduleRow & { listName: string }, now: number): ScheduleView {
  return { ...row, window: describeWindow(row), nextRunAt: row.status === 'done' ? null : nextOccurrence(row, now) };
}

/** Read-only commands do not migrate: an older database has no schedules table yet. */
function tableExists(database: AppDatabase): boolean {
  return database.sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schedules'`).get() !== undefined;
}
