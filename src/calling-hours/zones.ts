import countriesAndTimezones from 'countries-and-timezones';
import { IANAZone } from 'luxon';
import { AppError } from '../errors/index.js';
import { DAY_MS, daysFromCivil, MINUTE_MS, yearOfDay } from './calendar.js';

/**
 * UTC offsets of one zone over one UTC calendar year: `offsetsMs[0]` holds from `startMs`, and
 * `offsetsMs[i + 1]` from `changesMs[i]`. Between two changes local time is UTC plus a constant,
 * which is what lets the window arithmetic stay exact across DST jumps without stepping minutes.
 */
interface YearTable {
  startMs: number;
  endMs: number;
  changesMs: number[];
  offsetsMs: number[];
}

/**
 * A zone with its offset tables, built lazily per year. Building a year asks luxon for the offset
 * once per day and bisects the days where it changed (about 2 ms per zone and year); afterwards an
 * offset lookup is an array scan instead of an Intl call (about 5 µs each), which matters when the
 * dialer checks every contact of a list against 29 US zones.
 */
export class ZoneOffsets {
  readonly name: string;
  readonly #zone: IANAZone;
  readonly #years = new Map<number, YearTable>();

  constructor(name: string, zone: IANAZone) {
    this.name = name;
    this.#zone = zone;
  }

  offsetAt(atMs: number): number {
    const table = this.#table(atMs);
    let index = 0;
    while (index < table.changesMs.length && table.changesMs[index]! <= atMs) index++;
    return table.offsetsMs[index]!;
  }

  /**
   * The next instant after `atMs` at which the offset may change: a real transition, or the end
   * of the year table (where the offset usually stays the same; callers simply carry on).
   */
  nextChangeAfter(atMs: number): number {
    const table = this.#table(atMs);
    for (const change of table.changesMs) if (change > atMs) return change;
    return table.endMs;
  }

  #table(atMs: number): YearTable {
    const year = yearOfDay(Math.floor(atMs / DAY_MS));
    let table = this.#years.get(year);
    if (!table) {
      table = this.#build(year);
      this.#years.set(year, table);
    }
    return table;
  }

  #build(year: number): YearTable {
    const startMs = daysFromCivil(year, 1, 1) * DAY_MS;
    const endMs = daysFromCivil(year + 1, 1, 1) * DAY_MS;
    const offsetOf = (ms: number): number => Math.round(this.#zone.offset(ms) * MINUTE_MS);
    const changesMs: number[] = [];
    const offsetsMs = [offsetOf(startMs)];
    // Daily samples: no zone changes its offset twice within one day, so each sample pair that
    // differs brackets exactly one transition, found by bisection to the millisecond.
    let previousMs = startMs;
    let previousOffset = offsetsMs[0]!;
    while (previousMs < endMs - 1) {
      const sampleMs = Math.min(previousMs + DAY_MS, endMs - 1);
      const offset = offsetOf(sampleMs);
      if (offset !== previousOffset) {
        let low = previousMs; // offset here is previousOffset
        let high = sampleMs; // offset here is the new one
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if (offsetOf(middle) === previousOffset) low = middle;
          else high = middle;
        }
        changesMs.push(high);
        offsetsMs.push(offset);
        previousOffset = offset;
      }
      previousMs = sampleMs;
    }
    return { startMs, endMs, changesMs, offsetsMs };
  }
}

const zoneCache = new Map<string, ZoneOffsets | null>();

/** The offset tables of a zone, or null when the zone database does not know the name. */
export function zoneOffsets(name: string): ZoneOffsets | null {
  let zone = zoneCache.get(name);
  if (zone === undefined) {
    const iana = IANAZone.create(name);
    zone = iana.isValid ? new ZoneOffsets(name, iana) : null;
    // Valid names are a few hundred; the cap only bounds garbage names from input.
    if (zone || zoneCache.size < 10_000) zoneCache.set(name, zone);
  }
  return zone;
}

export function requireZoneOffsets(name: string): ZoneOffsets {
  const zone = zoneOffsets(name);
  if (!zone) {
    throw new AppError('INPUT_INVALID', `'${name}' is not an IANA time zone; use a name such as Europe/Warsaw`, {
      details: { timezone: name },
    });
  }
  return zone;
}

/** Where a contact's zones came from; 'none' means the contact cannot be placed in time. */
export type ZoneSource = 'contact' | 'list' | 'country' | 'none';

export interface ContactZones {
  zones: readonly string[];
  source: ZoneSource;
}

export interface ContactZoneInput {
  timezone?: string | null;
  country?: string | null;
  defaultTimezone?: string | null;
}

const NO_ZONES: readonly string[] = Object.freeze([]);
const singleZoneCache = new Map<string, readonly string[]>();
const countryZoneCache = new Map<string, readonly string[]>();

/**
 * The zones a contact's local time must be checked in: the contact's own zone, else the list's
 * default zone, else every zone of the number's country (the caller then needs the most
 * restrictive overlap). A name the zone database does not know is skipped like a missing one. An
 * unknown country yields no zones at all rather than a guess such as UTC: callers must treat that
 * as "not callable" and say why. The arrays are shared and frozen, so hot paths allocate nothing.
 */
export function resolveContactZones(input: ContactZoneInput): ContactZones {
  // The contact's own zone wins. Otherwise a one-zone country is simply its zone; for a country
  // with several zones the list's default zone is used when it is one of that country's zones
  // (a Warsaw default must not move a Moscow number), else the most restrictive overlap of all of
  // them. A contact with no known country can only use the list's default zone.
  if (input.timezone && zoneOffsets(input.timezone)) return { zones: single(input.timezone), source: 'contact' };
  const zones = countryZones(input.country);
  if (zones.length === 1) return { zones, source: 'country' };
  const fallback = input.defaultTimezone && zoneOffsets(input.defaultTimezone) ? input.defaultTimezone : null;
  if (fallback && (zones.length === 0 || zones.includes(fallback))) return { zones: single(fallback), source: 'list' };
  return zones.length > 0 ? { zones, source: 'country' } : { zones: NO_ZONES, source: 'none' };
}

function single(name: string): readonly string[] {
  let zones = singleZoneCache.get(name);
  if (!zones) {
    zones = Object.freeze([name]);
    singleZoneCache.set(name, zones);
  }
  return zones;
}

/** resolveContactZones' zones as a fresh array the caller may keep or change. */
export function zonesForContact(input: ContactZoneInput): string[] {
  return [...resolveContactZones(input).zones];
}

/** Canonical IANA zones of an ISO 3166 alpha-2 country ('PL', 'us'), without deprecated links. */
export function countryZones(country: string | null | undefined): readonly string[] {
  const code = normalizeCountry(country);
  if (!code) return NO_ZONES;
  let zones = countryZoneCache.get(code);
  if (!zones) {
    const found = countriesAndTimezones.getCountry(code)?.timezones ?? [];
    zones = Object.freeze(found.filter((name) => zoneOffsets(name) !== null));
    countryZoneCache.set(code, zones);
  }
  return zones;
}

export function normalizeCountry(country: string | null | undefined): string | null {
  if (!country) return null;
  const code = country.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(code) ? code : null;
}
