import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { ScheduleInput, type ScheduleStore, type StoredSchedule } from './store.js';
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
export async function addSchedule(options: { schedules: ScheduleStore; clock: Clock; input: unknown }): Promise<ScheduleView> {
  const parsed = ScheduleInput.safeParse(options.input);
  if (!parsed.success) throw new AppError('INPUT_INVALID', parsed.error.issues.map((i) => i.message).join('; '));
  const input = parsed.data;
  try {
    cronFor(input.cron, input.timezone);
  } catch (error) {
    throw new AppError('INPUT_INVALID', `--cron '${input.cron}' is not a cron pattern croner accepts (${(error as Error).message}); e.g. "0 20 * * 1-5" is 20:00 Monday to Friday`);
  }
  const { schedules, clock } = options;
  const list = await schedules.listFacts(input.listId);
  if (!list) throw new AppError('NOT_FOUND', `list ${input.listId} does not exist; see \`nps-dialer lists\``);
  // A schedule's window would stop the continuous dialing that triggered surveys are promised.
  if (list.acceptsTriggers) {
    throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" accepts triggered surveys and is dialled continuously by serve; schedules are for batch lists`);
  }
  if (list.open === 0) throw new AppError('CONFLICT', `list ${input.listId} "${list.name}" is already final (all ${list.contacts} contacts); there is nothing to schedule`);
  const untilMinute = input.until === undefined ? null : Number(input.until.slice(0, 2)) * 60 + Number(input.until.slice(3));
  const id = await schedules.insert({ listId: input.listId, cron: input.cron, timezone: input.timezone, untilMinute, durationMs: input.durationMs ?? null, createdAt: clock.now() });
  return getSchedule({ schedules, clock, id });
}

export async function getSchedule(options: { schedules: ScheduleStore; clock: Clock; id: number }): Promise<ScheduleView> {
  const row = await options.schedules.get(options.id);
  if (!row) throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  return view(row, options.clock.now());
}

/** Every schedule, oldest first, with its next run. */
export async function listSchedules(options: { schedules: ScheduleStore; clock: Clock }): Promise<ScheduleView[]> {
  const rows = await options.schedules.all();
  const now = options.clock.now();
  return rows.map((row) => view(row, now));
}

export async function removeSchedule(options: { schedules: ScheduleStore; id: number }): Promise<void> {
  if (!(await options.schedules.remove(options.id))) {
    throw new AppError('NOT_FOUND', `schedule ${options.id} does not exist; see \`nps-dialer schedule list\``);
  }
}

function view(row: StoredSchedule, now: number): ScheduleView {
  return { ...row, window: describeWindow(row), nextRunAt: row.status === 'done' ? null : nextOccurrence(row, now) };
}
