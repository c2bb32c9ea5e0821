import Holidays from 'date-holidays';
import { DAY_MS, dayNumberOfIsoDate, yearOfDay } from './calendar.js';

/**
 * Public holidays of one country as local day numbers, loaded a year at a time. Only type
 * 'public' counts: date-holidays also lists bank holidays, observances and school days, which are
 * ordinary days for calling purposes. Holidays are national; regional ones (German Länder, US
 * states, Alsace-Moselle) are not modelled.
 */
class CountryHolidays {
  readonly #calendar: Holidays;
  readonly #loadedYears = new Set<number>();
  readonly #days = new Set<number>();

  constructor(country: string) {
    this.#calendar = new Holidays(country);
  }

  has(dayNumber: number): boolean {
    const year = yearOfDay(dayNumber);
    // A holiday that starts late in December may run into the next year (RU new-year holidays).
    this.#load(year - 1);
    this.#load(year);
    return this.#days.has(dayNumber);
  }

  #load(year: number): void {
    if (this.#loadedYears.has(year)) return;
    this.#loadedYears.add(year);
    for (const holiday of this.#calendar.getHolidays(year)) {
      if (holiday.type !== 'public') continue;
      // `date` is 'YYYY-MM-DD hh:mm:ss' in the country's own calendar; a holiday that starts in
      // the afternoon still makes the whole date a holiday. `end - start` spans several days for
      // holidays such as RU "Новогодние каникулы" (2–6 January).
      const first = dayNumberOfIsoDate(holiday.date.slice(0, 10));
      if (first === null) continue;
      const days = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / DAY_MS));
      for (let offset = 0; offset < days; offset++) this.#days.add(first + offset);
    }
  }
}

const byCountry = new Map<string, CountryHolidays>();

/**
 * True when a local day number is a public holiday in the country (ISO alpha-2, upper case).
 * Countries date-holidays does not know have no holidays.
 */
export function isPublicHoliday(country: string, dayNumber: number): boolean {
  let calendar = byCountry.get(country);
  if (!calendar) {
    calendar = new CountryHolidays(country);
    byCountry.set(country, calendar);
  }
  return calendar.has(dayNumber);
}
