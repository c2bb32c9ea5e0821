import { describe, expect, it } from '@jest/globals';
import { isAppError } from '../../src/errors/index.js';
import {
  CallingRulesSchema,
  COUNTRY_PRESETS,
  describeRules,
  parseCallingHours,
  toCallingRules,
  type CallingRules,
} from '../../src/calling-hours/index.js';

const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

function parseError(spec: string): { message: string; token: unknown } {
  try {
    parseCallingHours(spec);
  } catch (error) {
    if (!isAppError(error) || error.code !== 'INPUT_INVALID') throw error;
    return { message: error.message, token: error.details?.token };
  }
  throw new Error(`expected '${spec}' to be rejected`);
}

describe('parseCallingHours', () => {
  it("reads '09:00-21:00' as 09:00 to 21:00 on every day", () => {
    expect(parseCallingHours('09:00-21:00')).toEqual({
      days: EVERY_DAY,
      intervals: [{ startMinute: 540, endMinute: 1260 }],
      excludedDates: [],
      excludePublicHolidays: false,
    });
  });

  it("reads '00:00-24:00' as the whole day", () => {
    expect(parseCallingHours('00:00-24:00').intervals).toEqual([{ startMinute: 0, endMinute: 1440 }]);
  });

  it("reads '22:00-02:00' as one interval across midnight", () => {
    expect(parseCallingHours('22:00-02:00').intervals).toEqual([{ startMinute: 1320, endMinute: 120 }]);
  });

  it("reads an end of 00:00 as midnight at the end of the day, not an interval across midnight", () => {
    expect(parseCallingHours('22:00-00:00').intervals).toEqual([{ startMinute: 1320, endMinute: 1440 }]);
  });

  it('reads days and several intervals a day', () => {
    const rules = parseCallingHours('Mon-Fri 10:00-13:00,14:00-20:00');
    expect(rules.days).toEqual([1, 2, 3, 4, 5]);
    expect(rules.intervals).toEqual([
      { startMinute: 600, endMinute: 780 },
      { startMinute: 840, endMinute: 1200 },
    ]);
  });

  it('reads a list of days, full day names and ranges that wrap over the weekend', () => {
    expect(parseCallingHours('Mon,Wed,Fri 09:00-12:00').days).toEqual([1, 3, 5]);
    expect(parseCallingHours('monday - wednesday, Saturday 09:00-12:00').days).toEqual([1, 2, 3, 6]);
    expect(parseCallingHours('Fri-Mon 09:00-12:00').days).toEqual([1, 5, 6, 7]);
    expect(parseCallingHours('every day 09:00-12:00').days).toEqual(EVERY_DAY);
  });

  it('reads groups with different hours per day as extra windows', () => {
    const rules = parseCallingHours('Sat 10:00-14:00; Mon-Fri 09:00-20:00');
    expect(rules.days).toEqual([6]);
    expect(rules.intervals).toEqual([{ startMinute: 600, endMinute: 840 }]);
    expect(rules.extraWindows).toEqual([{ days: [1, 2, 3, 4, 5], intervals: [{ startMinute: 540, endMinute: 1200 }] }]);
  });

  it('reads public-holiday hours, excluded holidays and excluded dates', () => {
    expect(parseCallingHours('Mon-Fri 09:00-21:00; public holidays 09:00-20:00').publicHolidayIntervals).toEqual([
      { startMinute: 540, endMinute: 1200 },
    ]);
    const rules = parseCallingHours('Mon-Fri 09:00-20:00 (no public holidays, not on 2026-12-24, 2026-12-31)');
    expect(rules.excludePublicHolidays).toBe(true);
    expect(rules.excludedDates).toEqual(['2026-12-24', '2026-12-31']);
  });

  it.each([
    ['25:00-26:00', '25:00-26:00'],
    ['09:00-24:30', '09:00-24:30'],
    ['24:00-02:00', '24:00-02:00'],
    ['9-17', '9-17'],
    ['10:00-10:00', '10:00-10:00'],
    ['Mox-Fri 09:00-10:00', 'Mox'],
    ['Mon-Fry 09:00-10:00', 'Fry'],
    ['Mon-Fri at 09:00-10:00', 'Fri at'],
    ['Mon-Fri 09:00-12:00,13:00', '13:00'],
    ['Mon-Fri', 'Mon-Fri'],
    ['09:00-21:00 (no weekends)', 'no weekends'],
  ])("rejects '%s' naming '%s' and showing the accepted format", (spec, token) => {
    const error = parseError(spec);
    expect(error.token).toBe(token);
    expect(error.message).toContain(`'${token}'`);
    expect(error.message).toContain("'Mon-Fri 10:00-13:00,14:00-20:00'");
  });

  it('rejects an empty spec, an empty group and rules that only give public-holiday hours', () => {
    expect(parseError('  ').message).toContain('no time interval');
    expect(parseError('09:00-21:00;;Sat 10:00-12:00').message).toContain("an empty group between ';'");
    expect(parseError('public holidays 09:00-20:00').message).toContain('ordinary days');
  });

  it('rejects excluding public holidays and giving them hours at the same time', () => {
    expect(parseError('Mon-Fri 09:00-21:00; public holidays 10:00-12:00 (no public holidays)').message).toContain('contradicts');
  });
});

describe('describeRules', () => {
  it('describes the French rules the way the CLI prints them', () => {
    expect(describeRules(COUNTRY_PRESETS.FR!.rules)).toBe('Mon–Fri 10:00–13:00, 14:00–20:00 (no public holidays)');
  });

  it('describes per-day hours, holiday hours, excluded dates and intervals across midnight', () => {
    expect(describeRules(COUNTRY_PRESETS.RU!.rules)).toBe('Mon–Fri 09:00–21:00; Sat–Sun 09:00–20:00; public holidays 09:00–20:00');
    expect(describeRules(parseCallingHours('Mon,Wed,Fri,Sat 22:00-02:00 (not on 2026-12-31)'))).toBe(
      'Mon, Wed, Fri–Sat 22:00–02:00 (not on 2026-12-31)',
    );
    expect(describeRules(parseCallingHours('00:00-24:00'))).toBe('Every day 00:00–24:00');
  });

  it('says never for rules with no days', () => {
    expect(describeRules({ days: [], intervals: [{ startMinute: 0, endMinute: 60 }], excludedDates: [], excludePublicHolidays: false })).toBe('never');
  });

  const samples: [string, CallingRules][] = [
    ...Object.entries(COUNTRY_PRESETS).map(([name, preset]) => [`preset ${name}`, preset.rules] as [string, CallingRules]),
    ['across midnight with dates', parseCallingHours('Fri-Mon 22:00-02:00, 10:00-12:00 (no public holidays, not on 2026-01-01)')],
  ];
  it.each(samples)('parses its own description back to the same rules (%s)', (_name, rules) => {
    expect(parseCallingHours(describeRules(rules))).toEqual(rules);
  });
});

describe('CallingRulesSchema and toCallingRules', () => {
  it('accepts every preset after a JSON round trip, as stored per list', () => {
    for (const preset of Object.values(COUNTRY_PRESETS)) {
      expect(CallingRulesSchema.parse(JSON.parse(JSON.stringify(preset.rules)))).toEqual(preset.rules);
    }
  });

  it('fills in no excluded dates and no holiday exclusion when they are missing', () => {
    expect(CallingRulesSchema.parse({ days: [1], intervals: [{ startMinute: 60, endMinute: 120 }] })).toEqual({
      days: [1],
      intervals: [{ startMinute: 60, endMinute: 120 }],
      excludedDates: [],
      excludePublicHolidays: false,
    });
  });

  it.each([
    ['a day outside 1–7', { days: [8], intervals: [] }],
    ['an end after 24:00', { days: [1], intervals: [{ startMinute: 0, endMinute: 1441 }] }],
    ['an empty interval', { days: [1], intervals: [{ startMinute: 60, endMinute: 60 }] }],
    ['a date that does not exist', { days: [1], intervals: [], excludedDates: ['2026-02-30'] }],
    ['holiday hours with holidays excluded', { days: [1], intervals: [], excludePublicHolidays: true, publicHolidayIntervals: [] }],
  ])('rejects %s', (_what, value) => {
    expect(CallingRulesSchema.safeParse(value).success).toBe(false);
  });

  it('turns a spec string or a stored object into rules, and bad input into INPUT_INVALID naming the field', () => {
    expect(toCallingRules('09:00-21:00')).toEqual(parseCallingHours('09:00-21:00'));
    expect(toCallingRules({ days: [1], intervals: [{ startMinute: 60, endMinute: 120 }] }).days).toEqual([1]);
    expect(() => toCallingRules({ days: [1], intervals: [{ startMinute: 60, endMinute: 2000 }] })).toThrow(/intervals\.0\.endMinute/);
  });
});
