import { z } from 'zod';
import { AppError } from '../errors/index.js';
import { dayNumberOfIsoDate, MINUTES_PER_DAY } from './calendar.js';

/** Monday = 1 … Sunday = 7, as in ISO 8601 and luxon. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * Minutes after local midnight. `endMinute` may be 1440 (midnight at the end of the day). When
 * `startMinute > endMinute` the interval runs across midnight: 22:00–02:00 opens at 22:00 on an
 * allowed day and closes at 02:00 on the next day, whatever that day is.
 */
export interface CallingInterval {
  startMinute: number;
  endMinute: number;
}

/** Intervals that open on some days of the week. */
export interface CallingDays {
  /** Days on which a window OPENS; an interval across midnight spills into the next day. */
  days: IsoWeekday[];
  intervals: CallingInterval[];
}

/**
 * When a callee may be called, in the callee's local time. The top-level `days` and `intervals`
 * are the main window; `extraWindows` add day sets with their own hours (RU: shorter weekend
 * hours). A minute is callable when any of them covers it, unless its local date is excluded.
 */
export interface CallingRules extends CallingDays {
  extraWindows?: CallingDays[];
  /** 'YYYY-MM-DD' in the callee's local calendar; no minute of such a date is callable. */
  excludedDates: string[];
  /** No minute of a public holiday of the callee's country is callable. */
  excludePublicHolidays: boolean;
  /**
   * On a public holiday of the callee's country, these intervals open instead of the weekday's
   * (230-FZ treats holidays like weekends). Cannot be combined with `excludePublicHolidays`.
   */
  publicHolidayIntervals?: CallingInterval[];
}

const ISO_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const FULL_DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const CallingIntervalSchema = z
  .object({
    startMinute: z.number().int().min(0).max(MINUTES_PER_DAY - 1),
    endMinute: z.number().int().min(1).max(MINUTES_PER_DAY),
  })
  .refine((interval) => interval.startMinute !== interval.endMinute, {
    message: 'an interval must not be empty (startMinute equals endMinute); use 0 and 1440 for the whole day',
  });

const CallingDaysSchema = z.object({
  days: z.array(z.literal(ISO_WEEKDAYS)),
  intervals: z.array(CallingIntervalSchema),
});

const IsoDateSchema = z.string().refine((text) => dayNumberOfIsoDate(text) !== null, {
  message: "expected a calendar date as 'YYYY-MM-DD'",
});

/** The calling-hours JSON stored per list (DialingPolicy.callingHours). */
export const CallingRulesSchema = CallingDaysSchema.extend({
  extraWindows: z.array(CallingDaysSchema).optional(),
  excludedDates: z.array(IsoDateSchema).default([]),
  excludePublicHolidays: z.boolean().default(false),
  publicHolidayIntervals: z.array(CallingIntervalSchema).optional(),
}).refine((rules) => !(rules.excludePublicHolidays && rules.publicHolidayIntervals), {
  message: 'excludePublicHolidays and publicHolidayIntervals contradict each other; set one of them',
  path: ['publicHolidayIntervals'],
}) satisfies z.ZodType<CallingRules>;

/**
 * Accepts what a list's policy may hold: a spec string for parseCallingHours or a stored rule
 * object. Problems become INPUT_INVALID naming the field.
 */
export function toCallingRules(value: unknown): CallingRules {
  if (typeof value === 'string') return parseCallingHours(value);
  const result = CallingRulesSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(rules)'}: ${issue.message}`);
  throw new AppError('INPUT_INVALID', `calling hours are not valid: ${problems.join('; ')}`, {
    details: { issues: problems },
  });
}

const FORMAT_HINT =
  "use 'HH:MM-HH:MM' with optional days and several intervals, e.g. '09:00-21:00', '00:00-24:00', " +
  "'22:00-02:00', 'Mon-Fri 10:00-13:00,14:00-20:00' or 'Sat 10:00-14:00; Mon-Fri 09:00-20:00'";

const INTERVAL = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/;
/** The day part is everything before the first digit: "Mon-Fri 10:00-13:00". */
const DAYS_THEN_TIMES = /^([^\d]*?)\s*(\d.*)$/s;
const TRAILING_FLAGS = /\(([^()]*)\)\s*$/;

/**
 * Parses the calling-hours notation used by the CLI and describeRules:
 *   spec   := group (';' group)* [ '(' flag (',' flag)* ')' ]
 *   group  := [days] interval (',' interval)*  |  'public holidays' interval (',' interval)*
 *   days   := 'every day' | day-or-range (',' day-or-range)*   (Mon … Sun, ranges may wrap: Fri-Mon)
 *   flag   := 'no public holidays' | 'not on' YYYY-MM-DD | YYYY-MM-DD
 * En and em dashes count as hyphens, so describeRules output parses back to the same rules.
 */
export function parseCallingHours(spec: string): CallingRules {
  const fail = (problem: string, token: string): never => {
    throw new AppError('INPUT_INVALID', `calling hours '${spec}': ${problem}; ${FORMAT_HINT}`, {
      details: { spec, token },
    });
  };

  let text = spec.replace(/[\u2013\u2014]/g, '-').trim();
  let excludePublicHolidays = false;
  const excludedDates: string[] = [];
  const flags = TRAILING_FLAGS.exec(text);
  if (flags) {
    text = text.slice(0, flags.index).trim();
    for (const raw of (flags[1] ?? '').split(',')) {
      const flag = raw.trim().replace(/\s+/g, ' ');
      const date = flag.toLowerCase().startsWith('not on ') ? flag.slice('not on '.length).trim() : flag;
      if (/^no (public )?holidays$/i.test(flag)) excludePublicHolidays = true;
      else if (dayNumberOfIsoDate(date) !== null) excludedDates.push(date);
      else fail(`'${flag}' is neither 'no public holidays' nor a date to skip ('not on YYYY-MM-DD')`, flag);
    }
  }
  if (text === '') fail('no time interval given', spec);

  const windows: CallingDays[] = [];
  let publicHolidayIntervals: CallingInterval[] | undefined;
  for (const rawGroup of text.split(';')) {
    const group = rawGroup.trim();
    if (group === '') fail("an empty group between ';' separators", rawGroup);
    const match = DAYS_THEN_TIMES.exec(group);
    if (!match) return fail(`'${group}' has no time interval`, group);
    const dayPart = (match[1] ?? '').trim();
    const intervals = (match[2] ?? '').split(',').map((token) => parseInterval(token.trim(), fail));
    if (/^public holidays?$/i.test(dayPart)) {
      if (publicHolidayIntervals) fail("'public holidays' is given twice", group);
      publicHolidayIntervals = intervals;
    } else {
      windows.push({ days: parseDays(dayPart, fail), intervals });
    }
  }
  const [main, ...extra] = windows;
  if (!main) return fail('only public-holiday hours are given; add the hours of ordinary days', text);
  if (excludePublicHolidays && publicHolidayIntervals) {
    fail("'no public holidays' contradicts the 'public holidays' hours", 'no public holidays');
  }

  const rules: CallingRules = { days: main.days, intervals: main.intervals, excludedDates, excludePublicHolidays };
  if (extra.length > 0) rules.extraWindows = extra;
  if (publicHolidayIntervals) rules.publicHolidayIntervals = publicHolidayIntervals;
  return rules;
}

function parseInterval(token: string, fail: (problem: string, token: string) => never): CallingInterval {
  const match = INTERVAL.exec(token);
  if (!match) return fail(`'${token}' is not a time interval`, token);
  const start = toMinute(Number(match[1]), Number(match[2]));
  let end = toMinute(Number(match[3]), Number(match[4]));
  if (start === null || start === MINUTES_PER_DAY) return fail(`'${token}' does not start at a time from 00:00 to 23:59`, token);
  if (end === null) return fail(`'${token}' does not end at a time from 00:00 to 24:00`, token);
  if (end === 0) end = MINUTES_PER_DAY; // "22:00-00:00" means until midnight.
  if (start === end) return fail(`'${token}' is empty; use 00:00-24:00 for the whole day`, token);
  return { startMinute: start, endMinute: end };
}

function toMinute(hour: number, minute: number): number | null {
  if (minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) return null;
  return hour * 60 + minute;
}

function parseDays(text: string, fail: (problem: string, token: string) => never): IsoWeekday[] {
  if (text === '' || /^(every day|daily)$/i.test(text)) return [...ISO_WEEKDAYS];
  const days = new Set<IsoWeekday>();
  for (const rawItem of text.split(',')) {
    const item = rawItem.trim();
    const [first, last, ...rest] = item.split('-').map((part) => part.trim());
    const from = dayOf(first ?? '');
    const to = last === undefined ? from : dayOf(last);
    if (from === null || to === null || rest.length > 0) {
      const bad = from === null ? (first ?? item) : to === null ? (last ?? item) : item;
      fail(`'${bad}' is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such as Mon-Fri, or 'every day'`, bad);
    } else {
      // Ranges may wrap over the weekend: Fri-Mon is Fri, Sat, Sun, Mon.
      for (let day = from; ; day = ((day % 7) + 1) as IsoWeekday) {
        days.add(day);
        if (day === to) break;
      }
    }
  }
  return [...days].sort((a, b) => a - b);
}

function dayOf(name: string): IsoWeekday | null {
  const lower = name.toLowerCase();
  const index = FULL_DAY_NAMES.findIndex((full) => lower.length >= 3 && full.startsWith(lower));
  return index < 0 ? null : ((index + 1) as IsoWeekday);
}

/** Human-readable rules for CLI output; parseCallingHours reads it back. */
export function describeRules(rules: CallingRules): string {
  const groups = [rules, ...(rules.extraWindows ?? [])]
    .filter((window) => window.days.length > 0 && window.intervals.length > 0)
    .map((window) => `${describeDays(window.days)} ${describeIntervals(window.intervals)}`);
  if (rules.publicHolidayIntervals && rules.publicHolidayIntervals.length > 0) {
    groups.push(`public holidays ${describeIntervals(rules.publicHolidayIntervals)}`);
  }
  if (groups.length === 0) return 'never';
  const flags: string[] = [];
  if (rules.excludePublicHolidays) flags.push('no public holidays');
  if (rules.excludedDates.length > 0) flags.push(`not on ${rules.excludedDates.join(', ')}`);
  return groups.join('; ') + (flags.length > 0 ? ` (${flags.join(', ')})` : '');
}

function describeDays(days: readonly IsoWeekday[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return 'Every day';
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const first = DAY_NAMES[sorted[i]! - 1]!;
    parts.push(j === i ? first : `${first}–${DAY_NAMES[sorted[j]! - 1]!}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function describeIntervals(intervals: readonly CallingInterval[]): string {
  return intervals.map((interval) => `${clock(interval.startMinute)}–${clock(interval.endMinute)}`).join(', ');
}

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
