import type { Clock } from '../clock/index.js';
import type { AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { ScheduleInput, scheduleStore, type StoredSchedule } from './store.js';
import { cronFor, describeWindow, nextOccurrence } from './window.js';

export interface ScheduleView extends StoredSchedule {
  /** `until 06:00`, `for 8h` or `until the next occurrence`. */
  window: string;
  /** The next time it fires; null once done. */
  nextRunAt: number | null;
}

/**
 * Adds a schedule for a ready list that is not final yet. The pattern and zone are checked with
 * croner itself, so what is stored is exactly what the daemon can run.
 */
export async function addSchedule(options: { database: AppDatabase; clock: Clock; input: unknown }): Promise<ScheduleView> {
  const parsed = ScheduleInput.safeParse(options.input);
  if (!parsed.success) throw new AppError('INPUT_INVALID', parsed.error.issues.map((i) => i.message).join('; '));
  const input = parsed.data;
  try {
    cronFor(input.cron, input.timezone);
  } catch (error) {
    throw new AppError('INPUT_INVALID', `--cron '${input.cron}' is not a cron pattern croner accepts (${(error as Error).message}); e.g. "0 20 * * 1-5" is 20:00 Monday to Friday`);
  }
  const { database, clock } = options;
  const store = scheduleStore(database);
  const list = await store.listFacts(input.listId);
  if (!list) throw new AppError('NOT_FOUND', `list ${input.listId} does not exist; see \`nps-dialer lists\``);
  // A schedule's window would stop the continuous dialing that triggered surveys are promised.
  if (list.acceptsTriggers) {
    throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" accepts triggered surveys and is dialled continuously by serve; schedules are for batch lists`);
  }
  if (list.open === 0) throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" is already final (all ${list.contacts} contacts); there is nothing to schedule`);
  const untilMinute = input.until === undefined ? null : Number(input.until.slice(0, 2)) * 60 + Number(input.until.slice(3));
  const id = await store.insert({ listId: input.listId, cron: input.cron, timezone: input.timezone, untilMinute, durationMs: input.durationMs ?? null, createdAt: clock.now() });
  return getSchedule({ database, clock, id });
}

export async function getSchedule(options: { database: AppDatabase; clock: Clock; id: number }): Promise<ScheduleView> {
  const row = await scheduleStore(options.database).get(options.id);
  if (!row) throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  return view(row, options.clock.now());
}

/** Every schedule, oldest first, with its next run. */
export async function listSchedules(options: { database: AppDatabase; clock: Clock }): Promise<ScheduleView[]> {
  const rows = await scheduleStore(options.database).all();
  const now = options.clock.now();
  return rows.map((row) => view(row, now));
}

export async function removeSchedule(options: { database: AppDatabase; id: number }): Promise<void> {
  if (!(await scheduleStore(options.database).remove(options.id))) {
    throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  }
}

function view(row: StoredSchedule, now: number): ScheduleView {
  return { ...row, window: describeWindow(row), nextRunAt: row.status === 'done' ? null : nextOccurrence(row, now) };
}
