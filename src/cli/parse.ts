import { InvalidArgumentError } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import { isCountryCode } from '../contacts/index.js';

/** Commander argument parsers whose errors name the value and what is accepted. */

export function positiveInt(what: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${what} must be a positive whole number, got '${value}'`);
    }
    return Number(value);
  };
}

export function nonNegativeInt(what: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a whole number ≥ 0 (0 turns it off), got '${value}'`);
    return Number(value);
  };
}

export function positiveNumber(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number, got '${value}'`);
    return n;
  };
}

export function countryCode(value: string): CountryCode {
  const upper = value.trim().toUpperCase();
  if (!isCountryCode(upper)) {
    throw new InvalidArgumentError(`'${value}' is not an ISO 3166 alpha-2 country code; use e.g. PL, US, GB, RU, BG`);
  }
  return upper;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "2s", "15m", "4h", "7d" or "250ms" into milliseconds. */
export function parseDurationMs(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError(`'${value}' is not a duration; write a number and a unit: 2s, 15m, 4h or 7d`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}
