import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { isCallableAt, nextCallableAt, windowEndsAt, type CallingInterval, type CallingRules, type IsoWeekday } from '../../src/calling-hours/index.js';

/*
 * The window arithmetic against a deliberately naive oracle: luxon's wall-clock reading of each
 * minute, judged straight from the definition of the rules. Zones are chosen for their oddities:
 * DST in both hemispheres, a 30-minute DST shift (Lord Howe), offsets of :45 (Kathmandu,
 * Chatham), and changes at midnight (Santiago, Havana).
 */

const ZONES = [
  'Europe/Warsaw',
  'America/New_York',
  'Pacific/Honolulu',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/Santiago',
  'America/Havana',
];
/** Roughly when each zone changes its offset in 2026 (hourly scan), to start searches near a change. */
const CHANGES = ZONES.flatMap((zone) => {
  const found: { zone: string; atMs: number }[] = [];
  for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3600_000) {
    if (DateTime.fromMillis(ms, { zone }).offset !== DateTime.fromMillis(ms + 3600_000, { zone }).offset) found.push({ zone, atMs: ms });
  }
  return found;
});
const CHANGE_DAYS = [...new Set(CHANGES.map((change) => new Date(change.atMs).toISOString().slice(0, 10)))];
const SCAN_MINUTES = 36 * 60;
const MINUTE = 60_000;

/** Judges one instant from the definition; per-date work is memoised to keep the scan fast. */
function makeOracle(rules: CallingRules): (zone: string, atMs: number) => boolean {
  const byDate = new Map<string, { closed: boolean; today: CallingInterval[]; spill: CallingInterval[] }>();
  const opening = (date: DateTime): CallingInterval[] =>
    rules.excludedDates.includes(date.toISODate()!)
      ? []
      : [rules, ...(rules.extraWindows ?? [])].filter((w) => w.days.includes(date.weekday as IsoWeekday)).flatMap((w) => w.intervals);
  return (zone, atMs) => {
    const local = DateTime.fromMillis(atMs, { zone });
    const key = `${local.year}-${local.month}-${local.day}`;
    let day = byDate.get(key);
    if (!day) {
      const date = DateTime.utc(local.year, local.month, local.day);
      day = {
        closed: rules.excludedDates.includes(date.toISODate()!),
        today: opening(date),
        spill: opening(date.minus({ days: 1 })).filter((i) => i.startMinute > i.endMinute),
      };
      byDate.set(key, day);
    }
    const minute = local.hour * 60 + local.minute;
    if (day.closed) return false;
    return (
      day.today.some((i) => (i.startMinute < i.endMinute ? minute >= i.startMinute && minute < i.endMinute : minute >= i.startMinute)) ||
      day.spill.some((i) => minute < i.endMinute)
    );
  };
}

const minuteOfDay = fc.oneof(fc.integer({ min: 0, max: 1440 }), fc.constantFrom(0, 60, 120, 150, 180, 1380, 1440));
const broadInterval = fc.tuple(minuteOfDay.filter((m) => m < 1440), minuteOfDay.filter((m) => m > 0));
// Short intervals on few days leave gaps, so the next opening often lies beyond an offset change.
const shortInterval = fc
  .tuple(minuteOfDay.filter((m) => m < 1440), fc.integer({ min: 1, max: 240 }))
  .map(([start, length]) => [start, ((start + length - 1) % 1440) + 1] as const);
const interval = fc
  .oneof(broadInterval, shortInterval)
  .filter(([start, end]) => start !== end)
  .map(([startMinute, endMinute]) => ({ startMinute, endMinute }));
const days = fc.subarray([1, 2, 3, 4, 5, 6, 7] as IsoWeekday[], { minLength: 1 });
const window = fc.record({ days, intervals: fc.array(interval, { minLength: 1, maxLength: 3 }) });
const rulesArb = fc
  .record({
    main: window,
    extra: fc.array(window, { maxLength: 1 }),
    excluded: fc.subarray(CHANGE_DAYS, { maxLength: 3 }),
  })
  .map(({ main, extra, excluded }): CallingRules => ({
    ...main,
    ...(extra.length > 0 ? { extraWindows: extra } : {}),
    excludedDates: excluded,
    excludePublicHolidays: false,
  }));
// A zone near one of its own offset changes, sometimes paired with a second zone.
const placeArb = fc
  .tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -30 * 60, max: 6 * 60 }), fc.option(fc.constantFrom(...ZONES), { nil: undefined }))
  .map(([change, minutes, other]) => ({
    zones: other && other !== change.zone ? [change.zone, other] : [change.zone],
    fromMs: change.atMs + minutes * MINUTE,
  }));

describe('window arithmetic against a minute-by-minute wall-clock oracle', () => {
  it('isCallableAt, nextCallableAt and windowEndsAt agree with the wall clock around DST changes', () => {
    fc.assert(
      fc.property(rulesArb, placeArb, (rules, { zones, fromMs }) => {
        const oracle = makeOracle(rules);
        const callable = (ms: number) => zones.every((zone) => oracle(zone, ms));
        // Collect disagreements instead of calling expect per minute: it keeps the scan fast.
        const wrong: string[] = [];
        let expected: number | null = null;
        for (let i = 0; i < SCAN_MINUTES && expected === null; i++) {
          const ms = fromMs + i * MINUTE;
          const truth = callable(ms);
          if (isCallableAt(rules, zones, null, ms) !== truth) wrong.push(new Date(ms).toISOString());
          if (truth) expected = ms;
        }
        expect(wrong).toEqual([]);
        const next = nextCallableAt(rules, zones, null, fromMs);
        if (expected === null) {
          if (next !== null) expect(next).toBeGreaterThanOrEqual(fromMs + SCAN_MINUTES * MINUTE);
          return;
        }
        expect(next).toBe(expected);
        let expectedEnd: number | null = null;
        for (let i = 1; i < SCAN_MINUTES && expectedEnd === null; i++) {
          if (!callable(expected + i * MINUTE)) expectedEnd = expected + i * MINUTE;
        }
        const end = windowEndsAt(rules, zones, null, expected);
        if (expectedEnd === null) expect(end!).toBeGreaterThanOrEqual(expected + SCAN_MINUTES * MINUTE);
        else expect(end).toBe(expectedEnd);
      }),
      { numRuns: 120, seed: 20260329 },
    );
  });
});
