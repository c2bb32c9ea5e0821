import { DAY_MS, dayNumberOfIsoDate, isoWeekdayOfDay, MINUTE_MS, MINUTES_PER_DAY } from './calendar.js';
import { isPublicHoliday } from './holidays.js';
import type { CallingInterval, CallingRules } from './rules.js';
import { normalizeCountry, requireZoneOffsets, type ZoneOffsets } from './zones.js';

export { CallingRulesSchema, describeRules, parseCallingHours, toCallingRules, type CallingInterval, type CallingRules, type IsoWeekday } from './rules.js';
export { resolveContactZones, zonesForContact } from './zones.js';
export { COUNTRY_PRESETS, DEFAULT_CALLING_RULES, rulesForCountry } from './presets.js';

/** How far nextCallableAt and windowEndsAt look ahead. */
export const CALLING_HORIZON_MS = 400 * DAY_MS;

/*
 * The model. Calling hours are a predicate on the callee's local wall-clock time: an instant is
 * callable in a zone when its local date and minute fall inside a window, exactly as the laws put
 * it ("no calls before 8:00 or after 21:00 local time"). Consequences worth knowing:
 * - A window starting at 02:30 on the night the clocks jump from 02:00 to 03:00 opens at 03:00,
 *   the first local time at or after 02:30 (luxon would move 02:30 to 03:30).
 * - On the night the clocks fall back from 03:00 to 02:00, 02:00–02:59 happens twice and is
 *   judged twice: a window opening at 02:30 is open during the first 02:30–02:59, closed while the
 *   clock shows 02:00–02:29 again, and open from the second 02:30 on.
 * - Excluded dates and holidays block every minute of that local date, including the part of a
 *   22:00–02:00 window that spills into it, and no window opens on them.
 * Between two offset changes local time is UTC plus a constant, so the search below works on the
 * local timeline one offset segment at a time and steps by day plans, never by minutes.
 */

/** A day plan: sorted, disjoint, non-adjacent [start, end) pairs in minutes of one local date. */
type DayPlan = readonly number[];

const CLOSED: DayPlan = Object.freeze([]);
const NO_INTERVALS: readonly CallingInterval[] = Object.freeze([]);
const PLAN_CACHE_LIMIT = 4096;

interface CompiledRules {
  /** Intervals opening on each ISO weekday, index 1–7. */
  opensOn: (readonly CallingInterval[])[];
  holidayOpens: readonly CallingInterval[] | null;
  excludePublicHolidays: boolean;
  excludedDays: ReadonlySet<number>;
  /** False when no interval ever opens, so searches can give up at once. */
  opensAtAll: boolean;
  /** Day plans per country key ('' when holidays do not matter or the country is unknown). */
  plans: Map<string, Map<number, DayPlan>>;
}

const compiledCache = new WeakMap<CallingRules, CompiledRules>();

/** Rule objects are treated as immutable: compiled forms are cached per object identity. */
function compile(rules: CallingRules): CompiledRules {
  let compiled = compiledCache.get(rules);
  if (compiled) return compiled;
  const opensOn: CallingInterval[][] = Array.from({ length: 8 }, () => []);
  for (const window of [rules, ...(rules.extraWindows ?? [])]) {
    for (const day of new Set(window.days)) opensOn[day]!.push(...window.intervals);
  }
  const excludedDays = new Set<number>();
  for (const date of rules.excludedDates) {
    const day = dayNumberOfIsoDate(date);
    if (day !== null) excludedDays.add(day);
  }
  const holidayOpens = rules.excludePublicHolidays ? null : (rules.publicHolidayIntervals ?? null);
  compiled = {
    opensOn,
    holidayOpens,
    excludePublicHolidays: rules.excludePublicHolidays,
    excludedDays,
    opensAtAll: opensOn.some((list) => list.length > 0) || (holidayOpens?.length ?? 0) > 0,
    plans: new Map(),
  };
  compiledCache.set(rules, compiled);
  return compiled;
}

function planFor(rules: CompiledRules, country: string | null, day: number): DayPlan {
  const usesHolidays = country !== null && (rules.excludePublicHolidays || rules.holidayOpens !== null);
  const key = usesHolidays ? country : '';
  let plans = rules.plans.get(key);
  if (!plans) {
    plans = new Map();
    rules.plans.set(key, plans);
  }
  let plan = plans.get(day);
  if (plan === undefined) {
    plan = buildPlan(rules, usesHolidays ? country : null, day);
    // A long-running dialer walks forward through the calendar; dropping everything now and
    // then is simpler than an LRU and costs one rebuild per day touched.
    if (plans.size >= PLAN_CACHE_LIMIT) plans.clear();
    plans.set(day, plan);
  }
  return plan;
}

function buildPlan(rules: CompiledRules, country: string | null, day: number): DayPlan {
  const blocked = (d: number): boolean =>
    rules.excludedDays.has(d) || (rules.excludePublicHolidays && country !== null && isPublicHoliday(country, d));
  if (blocked(day)) return CLOSED;
  const opening = (d: number): readonly CallingInterval[] => {
    if (blocked(d)) return NO_INTERVALS;
    if (rules.holidayOpens && country !== null && isPublicHoliday(country, d)) return rules.holidayOpens;
    return rules.opensOn[isoWeekdayOfDay(d)]!;
  };
  const ranges: [number, number][] = [];
  for (const { startMinute, endMinute } of opening(day)) {
    ranges.push(startMinute < endMinute ? [startMinute, endMinute] : [startMinute, MINUTES_PER_DAY]);
  }
  for (const { startMinute, endMinute } of opening(day - 1)) {
    if (startMinute > endMinute) ranges.push([0, endMinute]);
  }
  if (ranges.length === 0) return CLOSED;
  ranges.sort((a, b) => a[0] - b[0]);
  const plan: number[] = [];
  for (const [start, end] of ranges) {
    const last = plan.length - 1;
    if (last > 0 && start <= plan[last]!) plan[last] = Math.max(plan[last]!, end);
    else plan.push(start, end);
  }
  return plan;
}

/** Whether a local instant (epoch ms shifted by the zone's offset) is inside a window. */
function isLocalCallable(rules: CompiledRules, country: string | null, localMs: number): boolean {
  const day = Math.floor(localMs / DAY_MS);
  const minuteMs = localMs - day * DAY_MS;
  const plan = planFor(rules, country, day);
  for (let i = 0; i < plan.length; i += 2) {
    if (minuteMs < plan[i + 1]! * MINUTE_MS) return minuteMs >= plan[i]! * MINUTE_MS;
  }
  return false;
}

/** The first callable local instant in [fromLocalMs, untilLocalMs), or null. */
function nextLocalCallable(rules: CompiledRules, country: string | null, fromLocalMs: number, untilLocalMs: number): number | null {
  let day = Math.floor(fromLocalMs / DAY_MS);
  let withinDayMs = fromLocalMs - day * DAY_MS;
  const lastDay = Math.floor((untilLocalMs - 1) / DAY_MS);
  for (; day <= lastDay; day++, withinDayMs = 0) {
    const plan = planFor(rules, country, day);
    for (let i = 0; i < plan.length; i += 2) {
      if (withinDayMs < plan[i + 1]! * MINUTE_MS) {
        const candidate = day * DAY_MS + Math.max(withinDayMs, plan[i]! * MINUTE_MS);
        return candidate < untilLocalMs ? candidate : null;
      }
    }
  }
  return null;
}

/** For a callable local instant: the first local instant after it that is not callable, if before the limit. */
function localStretchEnd(rules: CompiledRules, country: string | null, atLocalMs: number, untilLocalMs: number): number | null {
  let day = Math.floor(atLocalMs / DAY_MS);
  const withinDayMs = atLocalMs - day * DAY_MS;
  let plan = planFor(rules, country, day);
  let endMinute = 0;
  for (let i = 0; i < plan.length; i += 2) {
    if (withinDayMs < plan[i + 1]! * MINUTE_MS) {
      endMinute = plan[i + 1]!;
      break;
    }
  }
  // A range that reaches midnight continues when the next day's plan starts at 00:00.
  while (endMinute === MINUTES_PER_DAY) {
    day++;
    if (day * DAY_MS >= untilLocalMs) return null;
    plan = planFor(rules, country, day);
    endMinute = plan[0] === 0 ? plan[1]! : 0;
  }
  const end = day * DAY_MS + endMinute * MINUTE_MS;
  return end < untilLocalMs ? end : null;
}

function isCallableInZone(rules: CompiledRules, zone: ZoneOffsets, country: string | null, atMs: number): boolean {
  return isLocalCallable(rules, country, atMs + zone.offsetAt(atMs));
}

function nextCallableInZone(rules: CompiledRules, zone: ZoneOffsets, country: string | null, fromMs: number, untilMs: number): number | null {
  for (let atMs = fromMs; atMs < untilMs; ) {
    const offsetMs = zone.offsetAt(atMs);
    const segmentEndMs = Math.min(zone.nextChangeAfter(atMs), untilMs);
    const local = nextLocalCallable(rules, country, atMs + offsetMs, segmentEndMs + offsetMs);
    if (local !== null) return local - offsetMs;
    atMs = segmentEndMs;
  }
  return null;
}

/** For an instant callable in the zone: when that stretch ends there, or null beyond the limit. */
function stretchEndInZone(rules: CompiledRules, zone: ZoneOffsets, country: string | null, atMs: number, untilMs: number): number | null {
  for (let fromMs = atMs; ; ) {
    const offsetMs = zone.offsetAt(fromMs);
    const segmentEndMs = Math.min(zone.nextChangeAfter(fromMs), untilMs);
    const local = localStretchEnd(rules, country, fromMs + offsetMs, segmentEndMs + offsetMs);
    if (local !== null) return local - offsetMs;
    if (segmentEndMs >= untilMs) return null;
    // The offset changes while still callable: judge the new local time afresh.
    fromMs = segmentEndMs;
    if (!isCallableInZone(rules, zone, country, fromMs)) return fromMs;
  }
}

function checkInstant(name: string, ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be epoch milliseconds, got ${ms}`);
}

/**
 * True when `atMs` is inside the calling window in every one of `zones` (the most restrictive
 * overlap for a country with several zones). No zones means not callable.
 */
export function isCallableAt(rules: CallingRules, zones: readonly string[], country: string | null | undefined, atMs: number): boolean {
  checkInstant('atMs', atMs);
  if (zones.length === 0) return false;
  const compiled = compile(rules);
  const code = normalizeCountry(country);
  for (const name of zones) {
    if (!isCallableInZone(compiled, requireZoneOffsets(name), code, atMs)) return false;
  }
  return true;
}

/**
 * The earliest instant at or after `fromMs` at which isCallableAt is true, exact to the
 * millisecond; `fromMs` itself when it is callable. Null when there is none within
 * CALLING_HORIZON_MS, when no zone is known, or when the rules never open.
 */
export function nextCallableAt(rules: CallingRules, zones: readonly string[], country: string | null | undefined, fromMs: number): number | null {
  checkInstant('fromMs', fromMs);
  const compiled = compile(rules);
  if (zones.length === 0 || !compiled.opensAtAll) return null;
  const code = normalizeCountry(country);
  const tables = zones.map(requireZoneOffsets);
  const untilMs = fromMs + CALLING_HORIZON_MS;
  // Leapfrog: move to the next opening of whichever zone is closed until all agree. Each move is
  // to a later window opening, so the loop ends within the horizon.
  let atMs = fromMs;
  for (;;) {
    let moved = false;
    for (const zone of tables) {
      const next = nextCallableInZone(compiled, zone, code, atMs, untilMs);
      if (next === null) return null;
      if (next > atMs) {
        atMs = next;
        moved = true;
      }
    }
    if (!moved) return atMs;
  }
}

/**
 * When the callable stretch containing `atMs` ends (the first instant that is not callable), or
 * null when `atMs` is not callable. A stretch that lasts beyond CALLING_HORIZON_MS (rules open
 * around the clock) reports `atMs + CALLING_HORIZON_MS`.
 */
export function windowEndsAt(rules: CallingRules, zones: readonly string[], country: string | null | undefined, atMs: number): number | null {
  if (!isCallableAt(rules, zones, country, atMs)) return null;
  const compiled = compile(rules);
  const code = normalizeCountry(country);
  const untilMs = atMs + CALLING_HORIZON_MS;
  let endMs = untilMs;
  for (const name of zones) {
    const end = stretchEndInZone(compiled, requireZoneOffsets(name), code, atMs, untilMs);
    if (end !== null && end < endMs) endMs = end;
  }
  return endMs;
}
