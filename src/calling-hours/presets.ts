import { normalizeCountry } from './zones.js';
import type { CallingInterval, CallingRules, IsoWeekday } from './rules.js';

/*
 * Per-country calling hours. Sources and reasoning for every preset are in docs/calling-hours.md;
 * the notes here are what the CLI shows next to a preset. Presets are frozen because the window
 * arithmetic caches compiled rules per object.
 */

const EVERY_DAY: IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];
const MON_FRI: IsoWeekday[] = [1, 2, 3, 4, 5];
const MON_SAT: IsoWeekday[] = [1, 2, 3, 4, 5, 6];
const SAT_SUN: IsoWeekday[] = [6, 7];

const hours = (from: string, to: string): CallingInterval => {
  const minute = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
  return { startMinute: minute(from), endMinute: minute(to) };
};

/** Deep-freezes a rule set; the arrays keep their mutable types so presets fit CallingRules. */
function freeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) freeze(child);
  return Object.freeze(value);
}

/** The product default (issue 4): 09:00–21:00 every day, callee local time. */
export const DEFAULT_CALLING_RULES: CallingRules = freeze({
  days: EVERY_DAY,
  intervals: [hours('09:00', '21:00')],
  excludedDates: [],
  excludePublicHolidays: false,
});

/** Countries without a statutory window: working days and Saturday, never Sundays or holidays. */
const HOUSE_RULE: CallingRules = freeze({
  days: MON_SAT,
  intervals: [hours('09:00', '20:00')],
  excludedDates: [],
  excludePublicHolidays: true,
});

export interface CountryPreset {
  rules: CallingRules;
  note: string;
}

export const COUNTRY_PRESETS: Readonly<Record<string, CountryPreset>> = freeze({
  DEFAULT: {
    rules: DEFAULT_CALLING_RULES,
    note: 'Product default for countries without a preset: 09:00–21:00 callee local time, inside every statutory window we know except FR and CA.',
  },
  US: {
    rules: freeze({ days: EVERY_DAY, intervals: [hours('08:00', '21:00')], excludedDates: [], excludePublicHolidays: false }),
    note: '47 CFR 64.1200(c)(1): no calls before 8:00 or after 21:00 callee local time. Several states are stricter (e.g. 8:00–20:00); override per list when calling them.',
  },
  CA: {
    rules: freeze({
      days: MON_FRI,
      intervals: [hours('09:30', '20:00')],
      extraWindows: [
        { days: [6], intervals: [hours('10:30', '17:00')] },
        { days: [7], intervals: [hours('12:00', '17:00')] },
      ],
      excludedDates: [],
      excludePublicHolidays: false,
    }),
    note: 'CRTC rules for automatic dialing-announcing devices, stricter published version (verify against the current Unsolicited Telecommunications Rules, Part IV).',
  },
  FR: {
    rules: freeze({
      days: MON_FRI,
      intervals: [hours('10:00', '13:00'), hours('14:00', '20:00')],
      excludedDates: [],
      excludePublicHolidays: true,
    }),
    note: 'Code de la consommation art. D223-9 (décret 2022-1313, from 1 March 2023): Monday–Friday 10:00–13:00 and 14:00–20:00, never weekends or public holidays.',
  },
  RU: {
    rules: freeze({
      days: MON_FRI,
      intervals: [hours('09:00', '21:00')],
      extraWindows: [{ days: SAT_SUN, intervals: [hours('09:00', '20:00')] }],
      excludedDates: [],
      excludePublicHolidays: false,
      publicHolidayIntervals: [hours('09:00', '20:00')],
    }),
    note: '230-FZ art. 7 as a conservative norm (no calls 22:00–8:00 on working days, 20:00–9:00 on weekends and holidays), narrowed to the product default 09:00–21:00 on working days.',
  },
  PL: {
    rules: HOUSE_RULE,
    note: 'No statutory calling window found (verify); house rule: Monday–Saturday 09:00–20:00, no Sundays or public holidays.',
  },
  BG: {
    rules: HOUSE_RULE,
    note: 'No statutory calling window found (verify); house rule: Monday–Saturday 09:00–20:00, no Sundays or public holidays.',
  },
  GB: {
    rules: HOUSE_RULE,
    note: 'No statutory calling window (Ofcom and PECR regulate consent and abandoned calls, not hours); house rule: Monday–Saturday 09:00–20:00, no Sundays or public holidays.',
  },
  DE: {
    rules: HOUSE_RULE,
    note: 'No statutory calling window (UWG §7 regulates consent); house rule: Monday–Saturday 09:00–20:00, no Sundays or nationwide public holidays.',
  },
});

/** The preset of a country (ISO alpha-2, any case), or the DEFAULT rules. */
export function rulesForCountry(country: string | null | undefined): CallingRules {
  const code = normalizeCountry(country);
  const preset = code === null ? undefined : COUNTRY_PRESETS[code];
  return (preset ?? COUNTRY_PRESETS.DEFAULT!).rules;
}
