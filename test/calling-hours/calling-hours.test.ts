import { describe, expect, it } from '@jest/globals';
import {
  CALLING_HORIZON_MS,
  isCallableAt,
  nextCallableAt,
  parseCallingHours,
  resolveContactZones,
  rulesForCountry,
  windowEndsAt,
  zonesForContact,
  type CallingRules,
} from '../../src/calling-hours/index.js';
import { at, iso, utc, wall } from './helpers.js';

const WARSAW = ['Europe/Warsaw'];
const PARIS = ['Europe/Paris'];
const MOSCOW = ['Europe/Moscow'];
const MINUTE = 60_000;

describe('one zone, ordinary days', () => {
  const rules = parseCallingHours('09:00-21:00');

  it('is callable from the first minute of the window up to, not including, its end', () => {
    expect(isCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T08:59:59.999'))).toBe(false);
    expect(isCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T09:00'))).toBe(true);
    expect(isCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T20:59:59.999'))).toBe(true);
    expect(isCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T21:00'))).toBe(false);
  });

  it('nextCallableAt from inside a window returns the same instant, to the millisecond', () => {
    const now = at('Europe/Warsaw', '2026-01-06T13:17:42.123');
    expect(nextCallableAt(rules, WARSAW, 'PL', now)).toBe(now);
  });

  it("nextCallableAt after the day's last window returns tomorrow's opening", () => {
    const next = nextCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T21:00'));
    expect(wall('Europe/Warsaw', next)).toBe('Wed 2026-01-07 09:00');
  });

  it("nextCallableAt before the day's opening returns today's opening", () => {
    const next = nextCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T03:12:45'));
    expect(next).toBe(at('Europe/Warsaw', '2026-01-06T09:00'));
  });

  it('windowEndsAt is the end of the current window, and null outside it', () => {
    expect(windowEndsAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T12:00'))).toBe(at('Europe/Warsaw', '2026-01-06T21:00'));
    expect(windowEndsAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T21:00'))).toBeNull();
  });

  it('skips the gap between two intervals of one day', () => {
    const split = parseCallingHours('Mon-Fri 10:00-13:00,14:00-20:00');
    expect(isCallableAt(split, PARIS, 'FR', at('Europe/Paris', '2026-01-06T13:00'))).toBe(false);
    expect(windowEndsAt(split, PARIS, 'FR', at('Europe/Paris', '2026-01-06T12:00'))).toBe(at('Europe/Paris', '2026-01-06T13:00'));
    expect(nextCallableAt(split, PARIS, 'FR', at('Europe/Paris', '2026-01-06T13:00'))).toBe(at('Europe/Paris', '2026-01-06T14:00'));
  });

  it('moves a Friday-evening contact under Mon–Fri rules to Monday morning', () => {
    const weekdays = parseCallingHours('Mon-Fri 09:00-20:00');
    const next = nextCallableAt(weekdays, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-09T20:00'));
    expect(wall('Europe/Warsaw', next)).toBe('Mon 2026-01-12 09:00');
    expect(isCallableAt(weekdays, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T12:00'))).toBe(false);
  });

  it('applies each day group its own hours (RU: 21:00 on Friday, 20:00 on Saturday)', () => {
    const ru = rulesForCountry('RU');
    expect(isCallableAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-03-06T20:30'))).toBe(true);
    expect(isCallableAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-03-07T20:30'))).toBe(false);
    expect(windowEndsAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-03-07T10:00'))).toBe(at('Europe/Moscow', '2026-03-07T20:00'));
  });
});

describe('DST changes in Europe/Warsaw', () => {
  it('opens a 02:30 window on 2026-03-29, when 02:30 does not exist, at the jump to 03:00', () => {
    const rules = parseCallingHours('02:30-21:00');
    // 01:00Z is when the clocks jump from 02:00 CET to 03:00 CEST.
    expect(nextCallableAt(rules, WARSAW, 'PL', utc('2026-03-28T22:00'))).toBe(utc('2026-03-29T01:00'));
    expect(isCallableAt(rules, WARSAW, 'PL', utc('2026-03-29T00:59:59.999'))).toBe(false);
  });

  it('opens and closes at the exact UTC instants on both sides of the March change', () => {
    const rules = parseCallingHours('09:00-21:00');
    expect(nextCallableAt(rules, WARSAW, 'PL', utc('2026-03-28T00:00'))).toBe(utc('2026-03-28T08:00'));
    expect(windowEndsAt(rules, WARSAW, 'PL', utc('2026-03-28T08:00'))).toBe(utc('2026-03-28T20:00'));
    expect(nextCallableAt(rules, WARSAW, 'PL', utc('2026-03-28T20:00'))).toBe(utc('2026-03-29T07:00'));
    expect(windowEndsAt(rules, WARSAW, 'PL', utc('2026-03-29T07:00'))).toBe(utc('2026-03-29T19:00'));
  });

  it('closes a window ending at the non-existent 02:30 when the clock jumps past it', () => {
    const rules = parseCallingHours('Sat 20:00-02:30');
    expect(windowEndsAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-03-28T20:00'))).toBe(utc('2026-03-29T01:00'));
  });

  it('judges the ambiguous 02:30 of 2026-10-25 by the wall clock each time it occurs', () => {
    const rules = parseCallingHours('02:30-21:00');
    // 02:30 CEST is 00:30Z; at 01:00Z the clocks fall back to 02:00 CET, and 02:30 CET is 01:30Z.
    expect(nextCallableAt(rules, WARSAW, 'PL', utc('2026-10-24T22:00'))).toBe(utc('2026-10-25T00:30'));
    expect(windowEndsAt(rules, WARSAW, 'PL', utc('2026-10-25T00:30'))).toBe(utc('2026-10-25T01:00'));
    expect(isCallableAt(rules, WARSAW, 'PL', utc('2026-10-25T01:15'))).toBe(false);
    expect(nextCallableAt(rules, WARSAW, 'PL', utc('2026-10-25T01:00'))).toBe(utc('2026-10-25T01:30'));
    expect(windowEndsAt(rules, WARSAW, 'PL', utc('2026-10-25T01:30'))).toBe(utc('2026-10-25T20:00'));
  });

  it('keeps a window across midnight one hour longer in October and one hour shorter in March', () => {
    const rules = parseCallingHours('22:00-06:00');
    const october = at('Europe/Warsaw', '2026-10-24T22:00');
    expect(october).toBe(utc('2026-10-24T20:00'));
    expect(windowEndsAt(rules, WARSAW, 'PL', october)).toBe(utc('2026-10-25T05:00'));
    const march = at('Europe/Warsaw', '2026-03-28T22:00');
    expect(windowEndsAt(rules, WARSAW, 'PL', march)).toBe(utc('2026-03-29T04:00'));
  });
});

describe('windows across midnight', () => {
  const fridayNight = parseCallingHours('Fri 22:00-02:00');

  it('is callable after midnight only when the window opened the evening before', () => {
    expect(isCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-09T23:00'))).toBe(true);
    expect(isCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T01:59'))).toBe(true);
    expect(isCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T02:00'))).toBe(false);
    expect(isCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-09T01:00'))).toBe(false);
    expect(isCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T22:30'))).toBe(false);
  });

  it('reports the next morning as the end and next Friday as the next opening', () => {
    expect(windowEndsAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-09T22:00'))).toBe(at('Europe/Warsaw', '2026-01-10T02:00'));
    expect(wall('Europe/Warsaw', nextCallableAt(fridayNight, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T02:00')))).toBe(
      'Fri 2026-01-16 22:00',
    );
  });

  it('treats 00:00-24:00 every day as open for the whole horizon', () => {
    const always = parseCallingHours('00:00-24:00');
    const now = utc('2026-05-01T03:04:05');
    expect(nextCallableAt(always, WARSAW, 'PL', now)).toBe(now);
    expect(windowEndsAt(always, WARSAW, 'PL', now)).toBe(now + CALLING_HORIZON_MS);
  });

  it('joins whole weekdays into one stretch from Monday 00:00 to Saturday 00:00', () => {
    const weekdays = parseCallingHours('Mon-Fri 00:00-24:00');
    expect(windowEndsAt(weekdays, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-05T12:00'))).toBe(at('Europe/Warsaw', '2026-01-10T00:00'));
    expect(nextCallableAt(weekdays, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-10T00:00'))).toBe(at('Europe/Warsaw', '2026-01-12T00:00'));
  });
});

describe('excluded dates and public holidays', () => {
  it('closes an excluded date for the whole local day, including the part of a window spilling into it', () => {
    const rules = parseCallingHours('22:00-02:00; 09:00-17:00 (not on 2026-01-07)');
    expect(isCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T23:00'))).toBe(true);
    expect(windowEndsAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T23:00'))).toBe(at('Europe/Warsaw', '2026-01-07T00:00'));
    // No window opens on the excluded date either, so nothing spills into the 8th.
    expect(nextCallableAt(rules, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-07T00:00'))).toBe(at('Europe/Warsaw', '2026-01-08T09:00'));
  });

  it('skips Bastille Day, 14 July 2026, under the French rules', () => {
    const fr = rulesForCountry('FR');
    expect(isCallableAt(fr, PARIS, 'FR', at('Europe/Paris', '2026-07-14T11:00'))).toBe(false);
    expect(wall('Europe/Paris', nextCallableAt(fr, PARIS, 'FR', at('Europe/Paris', '2026-07-13T20:00')))).toBe('Wed 2026-07-15 10:00');
  });

  it('skips Easter Monday 2026-04-06 and Ascension 2026-05-14 under the French rules', () => {
    const fr = rulesForCountry('FR');
    expect(wall('Europe/Paris', nextCallableAt(fr, PARIS, 'FR', at('Europe/Paris', '2026-04-03T20:00')))).toBe('Tue 2026-04-07 10:00');
    expect(isCallableAt(fr, PARIS, 'FR', at('Europe/Paris', '2026-05-14T15:00'))).toBe(false);
    expect(isCallableAt(fr, PARIS, 'FR', at('Europe/Paris', '2026-05-15T15:00'))).toBe(true);
  });

  it("looks holidays up in the callee's country: 14 July is an ordinary Tuesday in Poland", () => {
    const fr = rulesForCountry('FR');
    expect(isCallableAt(fr, WARSAW, 'PL', at('Europe/Warsaw', '2026-07-14T11:00'))).toBe(true);
  });

  it('blocks every day of a holiday that spans several days (RU new-year holidays, 1–8 January)', () => {
    const rules = parseCallingHours('09:00-21:00 (no public holidays)');
    expect(isCallableAt(rules, MOSCOW, 'RU', at('Europe/Moscow', '2026-01-05T12:00'))).toBe(false);
    expect(wall('Europe/Moscow', nextCallableAt(rules, MOSCOW, 'RU', at('Europe/Moscow', '2026-01-01T00:00')))).toBe('Fri 2026-01-09 09:00');
  });

  it('gives Russian public holidays the weekend hours (23 February 2026 is a Monday)', () => {
    const ru = rulesForCountry('RU');
    expect(isCallableAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-02-23T20:30'))).toBe(false);
    expect(isCallableAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-02-23T19:30'))).toBe(true);
    expect(isCallableAt(ru, MOSCOW, 'RU', at('Europe/Moscow', '2026-03-02T20:30'))).toBe(true);
  });
});

describe('several zones', () => {
  const us = rulesForCountry('US');
  const usZones = zonesForContact({ country: 'US' });

  it('calls a US number known only by its country where Eastern and Hawaii windows overlap', () => {
    // Winter: 08:00 in Honolulu (UTC−10) is 18:00Z; 21:00 in New York (UTC−5) is 02:00Z.
    expect(iso(nextCallableAt(us, usZones, 'US', utc('2026-01-06T03:00')))).toBe('2026-01-06T18:00:00.000Z');
    expect(isCallableAt(us, usZones, 'US', utc('2026-01-06T17:59'))).toBe(false);
    expect(iso(windowEndsAt(us, usZones, 'US', utc('2026-01-06T18:00')))).toBe('2026-01-07T02:00:00.000Z');
    // Summer: New York is UTC−4, so the overlap ends an hour earlier in UTC.
    expect(iso(windowEndsAt(us, usZones, 'US', utc('2026-07-07T18:00')))).toBe('2026-07-08T01:00:00.000Z');
  });

  it('is callable in a single US zone long before the country-wide overlap opens', () => {
    expect(isCallableAt(us, ['America/New_York'], 'US', utc('2026-01-06T14:00'))).toBe(true);
    expect(isCallableAt(us, ['America/New_York', 'America/Anchorage'], 'US', utc('2026-01-06T14:00'))).toBe(false);
  });

  it('calls a Russian number known only by its country when Kaliningrad and Kamchatka both allow it', () => {
    const ruZones = zonesForContact({ country: 'RU' });
    expect(ruZones).toEqual(expect.arrayContaining(['Europe/Kaliningrad', 'Europe/Moscow', 'Asia/Kamchatka', 'Asia/Anadyr']));
    // Wednesday: 09:00 in Kaliningrad (UTC+2) is 07:00Z; 21:00 in Kamchatka (UTC+12) is 09:00Z.
    const next = nextCallableAt(rulesForCountry('RU'), ruZones, 'RU', utc('2026-03-04T00:00'));
    expect(iso(next)).toBe('2026-03-04T07:00:00.000Z');
    expect(iso(windowEndsAt(rulesForCountry('RU'), ruZones, 'RU', next!))).toBe('2026-03-04T09:00:00.000Z');
  });

  it('returns null when the zones of a country never share a window', () => {
    const short = parseCallingHours('Mon-Fri 10:00-13:00');
    expect(nextCallableAt(short, zonesForContact({ country: 'RU' }), 'RU', utc('2026-03-04T00:00'))).toBeNull();
  });

  it("prefers the contact's own zone, then the list's default zone, over the country's zones", () => {
    expect(zonesForContact({ timezone: 'Asia/Vladivostok', country: 'RU', defaultTimezone: 'Europe/Moscow' })).toEqual(['Asia/Vladivostok']);
    expect(resolveContactZones({ timezone: null, country: 'RU', defaultTimezone: 'Europe/Moscow' })).toEqual({
      zones: ['Europe/Moscow'],
      source: 'list',
    });
    expect(resolveContactZones({ country: 'RU' }).source).toBe('country');
    // 23:00Z Tuesday is 09:00 Wednesday in Vladivostok but the middle of the night in Moscow.
    const ru = rulesForCountry('RU');
    const zones = zonesForContact({ timezone: 'Asia/Vladivostok', country: 'RU' });
    expect(isCallableAt(ru, zones, 'RU', utc('2026-03-03T23:00'))).toBe(true);
    expect(isCallableAt(ru, zonesForContact({ country: 'RU' }), 'RU', utc('2026-03-03T23:00'))).toBe(false);
  });

  it("uses the list's default zone only for callees of a country with several zones that include it", () => {
    // A Warsaw number stays in Warsaw time whatever the list's default says.
    expect(resolveContactZones({ country: 'PL', defaultTimezone: 'Europe/Moscow' })).toEqual({ zones: ['Europe/Warsaw'], source: 'country' });
    // A Moscow default does not apply to a US number: the US overlap is used.
    const us = resolveContactZones({ country: 'US', defaultTimezone: 'Europe/Moscow' });
    expect(us.source).toBe('country');
    expect(us.zones.length).toBeGreaterThan(5);
    expect(resolveContactZones({ country: 'US', defaultTimezone: 'America/Chicago' })).toEqual({ zones: ['America/Chicago'], source: 'list' });
    // Without a known country the list's default zone is all there is.
    expect(resolveContactZones({ country: null, defaultTimezone: 'Europe/Sofia' })).toEqual({ zones: ['Europe/Sofia'], source: 'list' });
    expect(resolveContactZones({ country: null })).toEqual({ zones: [], source: 'none' });
  });

  it('falls back to the country when a zone name is unknown to the zone database', () => {
    expect(resolveContactZones({ timezone: 'Mars/Olympus', country: 'PL' })).toEqual({ zones: ['Europe/Warsaw'], source: 'country' });
  });

  it('gives a contact with no usable zone or country no zones, never callable, rather than UTC', () => {
    for (const input of [{ country: 'XX' }, { country: null }, {}]) {
      expect(resolveContactZones(input)).toEqual({ zones: [], source: 'none' });
    }
    const rules = parseCallingHours('00:00-24:00');
    expect(isCallableAt(rules, [], null, utc('2026-01-06T12:00'))).toBe(false);
    expect(nextCallableAt(rules, [], null, utc('2026-01-06T12:00'))).toBeNull();
    expect(windowEndsAt(rules, [], null, utc('2026-01-06T12:00'))).toBeNull();
  });

  it('lists canonical IANA zones for a country, without deprecated links', () => {
    expect(usZones).toEqual(expect.arrayContaining(['America/New_York', 'America/Chicago', 'America/Anchorage', 'Pacific/Honolulu']));
    expect(usZones).not.toContain('US/Eastern');
    expect(zonesForContact({ country: 'pl' })).toEqual(['Europe/Warsaw']);
  });

  it('refuses a zone list naming a zone that does not exist', () => {
    expect(() => isCallableAt(parseCallingHours('09:00-21:00'), ['Mars/Olympus'], null, 0)).toThrow(/'Mars\/Olympus' is not an IANA time zone/);
  });
});

describe('nextCallableAt edge cases', () => {
  it('returns null for a rule set with no days', () => {
    const never: CallingRules = { days: [], intervals: [{ startMinute: 540, endMinute: 1260 }], excludedDates: [], excludePublicHolidays: false };
    expect(nextCallableAt(never, WARSAW, 'PL', utc('2026-01-06T12:00'))).toBeNull();
    expect(isCallableAt(never, WARSAW, 'PL', utc('2026-01-06T12:00'))).toBe(false);
  });

  it('returns null when the only opening lies beyond the 400-day horizon', () => {
    const once = parseCallingHours('Mon 09:00-10:00 (not on 2026-01-12)');
    // Every Monday but one is callable: from 2026-01-06 the next is 2026-01-19, well inside.
    expect(wall('Europe/Warsaw', nextCallableAt(once, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T00:00')))).toBe('Mon 2026-01-19 09:00');
    const dates = Array.from({ length: 60 }, (_, week) => new Date(Date.UTC(2026, 0, 12 + 7 * week)).toISOString().slice(0, 10));
    const blocked: CallingRules = { ...once, excludedDates: dates };
    expect(nextCallableAt(blocked, WARSAW, 'PL', at('Europe/Warsaw', '2026-01-06T00:00'))).toBeNull();
  });

  it('never returns an instant outside the window, and the minute before it is closed', () => {
    const cases: [CallingRules, string[], string][] = [
      [rulesForCountry('FR'), PARIS, 'FR'],
      [rulesForCountry('RU'), zonesForContact({ country: 'RU' }), 'RU'],
      [rulesForCountry('US'), zonesForContact({ country: 'US' }), 'US'],
      [parseCallingHours('Sat-Sun 02:30-03:30, 22:00-01:00'), WARSAW, 'PL'],
    ];
    for (const [rules, zones, country] of cases) {
      for (let from = utc('2026-01-01T00:00'); from < utc('2027-01-01T00:00'); from += 29 * 3600_000 + 7 * MINUTE) {
        const next = nextCallableAt(rules, zones, country, from);
        expect(next).not.toBeNull();
        expect(next!).toBeGreaterThanOrEqual(from);
        expect([iso(next), isCallableAt(rules, zones, country, next!)]).toEqual([iso(next), true]);
        if (next! > from) expect([iso(next), isCallableAt(rules, zones, country, next! - 1)]).toEqual([iso(next), false]);
        const end = windowEndsAt(rules, zones, country, next!)!;
        expect(end).toBeGreaterThan(next!);
        expect([iso(end), isCallableAt(rules, zones, country, end - 1), isCallableAt(rules, zones, country, end)]).toEqual([iso(end), true, false]);
      }
    }
  });

  it('rejects an instant that is not a number of milliseconds', () => {
    expect(() => nextCallableAt(parseCallingHours('09:00-21:00'), WARSAW, 'PL', Number.NaN)).toThrow(RangeError);
  });
});
