import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { COUNTRY_PRESETS, DEFAULT_CALLING_RULES, isCallableAt, rulesForCountry } from '../../src/calling-hours/index.js';
import { at } from './helpers.js';

const callable = (country: string, zone: string, localIso: string) => isCallableAt(rulesForCountry(country), [zone], country, at(zone, localIso));

describe('country presets', () => {
  it('calls by default from 09:00 to 21:00 on every day of the week', () => {
    expect(DEFAULT_CALLING_RULES).toEqual({
      days: [1, 2, 3, 4, 5, 6, 7],
      intervals: [{ startMinute: 540, endMinute: 1260 }],
      excludedDates: [],
      excludePublicHolidays: false,
    });
    expect(rulesForCountry('XX')).toBe(DEFAULT_CALLING_RULES);
    expect(rulesForCountry(null)).toBe(DEFAULT_CALLING_RULES);
    expect(rulesForCountry(undefined)).toBe(DEFAULT_CALLING_RULES);
  });

  it('finds a preset whatever the letter case of the country code', () => {
    expect(rulesForCountry('fr')).toBe(COUNTRY_PRESETS.FR!.rules);
    expect(rulesForCountry(' Us ')).toBe(COUNTRY_PRESETS.US!.rules);
  });

  it('allows US calls from 08:00 to 21:00 local time, weekends included (47 CFR 64.1200(c)(1))', () => {
    expect(callable('US', 'America/Chicago', '2026-01-11T07:59')).toBe(false);
    expect(callable('US', 'America/Chicago', '2026-01-11T08:00')).toBe(true);
    expect(callable('US', 'America/Chicago', '2026-01-11T20:59')).toBe(true);
    expect(callable('US', 'America/Chicago', '2026-01-11T21:00')).toBe(false);
  });

  it('allows French calls only Monday to Friday, 10:00–13:00 and 14:00–20:00 (art. D223-9)', () => {
    expect(callable('FR', 'Europe/Paris', '2026-01-05T09:59')).toBe(false);
    expect(callable('FR', 'Europe/Paris', '2026-01-05T10:00')).toBe(true);
    expect(callable('FR', 'Europe/Paris', '2026-01-05T13:30')).toBe(false);
    expect(callable('FR', 'Europe/Paris', '2026-01-05T19:59')).toBe(true);
    expect(callable('FR', 'Europe/Paris', '2026-01-10T11:00')).toBe(false);
    expect(callable('FR', 'Europe/Paris', '2026-01-11T11:00')).toBe(false);
  });

  it('keeps Russian calls inside 230-FZ limits: 09:00–21:00 on working days, 09:00–20:00 at weekends', () => {
    expect(callable('RU', 'Europe/Moscow', '2026-01-14T08:59')).toBe(false);
    expect(callable('RU', 'Europe/Moscow', '2026-01-14T20:59')).toBe(true);
    expect(callable('RU', 'Europe/Moscow', '2026-01-17T20:00')).toBe(false);
    expect(callable('RU', 'Europe/Moscow', '2026-01-18T19:59')).toBe(true);
  });

  it('never calls PL, BG, GB or DE on a Sunday or a national public holiday', () => {
    expect(callable('PL', 'Europe/Warsaw', '2026-01-11T12:00')).toBe(false); // Sunday
    expect(callable('PL', 'Europe/Warsaw', '2026-01-10T12:00')).toBe(true); // Saturday
    expect(callable('PL', 'Europe/Warsaw', '2026-11-11T12:00')).toBe(false); // Independence Day, a Wednesday
    expect(callable('BG', 'Europe/Sofia', '2026-03-03T12:00')).toBe(false); // Liberation Day, a Tuesday
    expect(callable('GB', 'Europe/London', '2026-04-06T12:00')).toBe(false); // Easter Monday
    expect(callable('DE', 'Europe/Berlin', '2026-10-03T12:00')).toBe(false); // Unity Day, a Saturday
    expect(callable('DE', 'Europe/Berlin', '2026-10-10T12:00')).toBe(true);
  });

  it('gives Canadian automated calls different hours on weekdays, Saturdays and Sundays', () => {
    expect(callable('CA', 'America/Toronto', '2026-01-05T09:29')).toBe(false);
    expect(callable('CA', 'America/Toronto', '2026-01-05T19:59')).toBe(true);
    expect(callable('CA', 'America/Toronto', '2026-01-10T10:29')).toBe(false);
    expect(callable('CA', 'America/Toronto', '2026-01-10T16:59')).toBe(true);
    expect(callable('CA', 'America/Toronto', '2026-01-11T11:59')).toBe(false);
    expect(callable('CA', 'America/Toronto', '2026-01-11T12:00')).toBe(true);
  });

  it('cannot be changed by a caller, so one list cannot alter another list’s hours', () => {
    const fr = rulesForCountry('FR');
    expect(() => fr.days.push(6)).toThrow(TypeError);
    expect(() => {
      fr.intervals[0]!.endMinute = 1440;
    }).toThrow(TypeError);
    expect(() => {
      COUNTRY_PRESETS.RU!.rules.extraWindows![0]!.days.push(1);
    }).toThrow(TypeError);
  });

  it('documents every preset with its source in docs/calling-hours.md', () => {
    const doc = readFileSync(new URL('../../docs/calling-hours.md', import.meta.url), 'utf8');
    for (const code of Object.keys(COUNTRY_PRESETS)) expect([code, new RegExp(`^### ${code}\\b`, 'm').test(doc)]).toEqual([code, true]);
  });
});
