import { statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import type { z } from 'zod';
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

/** What a zod issue of a domain schema accepts, in words: "at most 1000", "at least 10 characters". */
function accepted(issue: z.core.$ZodIssue, unit: string): string {
  const suffix = unit ? ` ${unit}` : '';
  switch (issue.code) {
    case 'too_big': {
      const chars = issue.origin === 'string' ? ' characters' : suffix;
      return issue.inclusive === false ? `less than ${String(issue.maximum)}${chars}` : `at most ${String(issue.maximum)}${chars}`;
    }
    case 'too_small': {
      const chars = issue.origin === 'string' ? ' characters' : suffix;
      return issue.inclusive === false ? `more than ${String(issue.minimum)}${chars}` : `at least ${String(issue.minimum)}${chars}`;
    }
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
    default:
      return issue.message;
  }
}

/**
 * A flag whose value ends up in a setting that a domain schema validates (a list's policy, script
 * or follow-up settings): the value is parsed with `parse`, turned into the setting's value with
 * `toSetting`, and checked against the setting's own schema here, so that a value the domain
 * would refuse fails as a usage error naming the flag, the value and what is accepted, before
 * anything is opened.
 */
export function checkedBy<T>(flag: string, schema: z.ZodType, parse: (value: string) => T, options: { toSetting?: (value: T) => unknown; unit?: string } = {}) {
  return (value: string): T => {
    const parsed = parse(value);
    const result = schema.safeParse(options.toSetting ? options.toSetting(parsed) : parsed);
    if (!result.success) throw new InvalidArgumentError(`${flag} must be ${accepted(result.error.issues[0]!, options.unit ?? '')}, got ${quoted(value)}`);
    return parsed;
  };
}

/** The value as a message shows it: quoted, and cut short when long (a 5,000-character question). */
function quoted(value: string): string {
  return value.length <= 60 ? `'${value}'` : `'${value.slice(0, 40)}…' (${value.length} characters)`;
}

/** Text as it is: for checkedBy on a string setting. */
export const text = (value: string): string => value;

/**
 * A file the command reads: it must exist and be a file. Checked when the flags are parsed, so the
 * message names the argument rather than a system call.
 */
export function inputFile(what: string) {
  return (value: string): string => {
    let stats;
    try {
      stats = statSync(value);
    } catch {
      throw new InvalidArgumentError(`${what} '${value}' does not exist; give the path of a file`);
    }
    if (!stats.isFile()) throw new InvalidArgumentError(`${what} '${value}' is ${stats.isDirectory() ? 'a folder' : 'not a regular file'}; give the path of a file`);
    return value;
  };
}

/** A file the command writes: its folder must exist, and it must not be a folder itself. */
export function outputFile(what: string) {
  return (value: string): string => {
    const absolute = path.resolve(value);
    const existing = statIfAny(absolute);
    if (existing?.isDirectory()) throw new InvalidArgumentError(`${what} '${value}' is a folder; give a file name, e.g. ${path.join(value, 'report.html')}`);
    const folder = statIfAny(path.dirname(absolute));
    if (!folder) throw new InvalidArgumentError(`${what} '${value}': the folder ${path.dirname(absolute)} does not exist; create it first or write elsewhere`);
    if (!folder.isDirectory()) throw new InvalidArgumentError(`${what} '${value}': ${path.dirname(absolute)} is not a folder`);
    return value;
  };
}

function statIfAny(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
