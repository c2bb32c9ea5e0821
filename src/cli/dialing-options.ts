import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ListSettingsPatch } from '../contacts/index.js';
import { parseCallingHours } from '../scheduler/rules.js';
import { nonNegativeInt, parseDurationMs, positiveInt, positiveNumber } from './parse.js';

/** The list settings `run` and `lists set` save: dialing policy and survey script. */
export interface DialingFlags {
  cps?: number;
  maxConcurrent?: number;
  maxAttempts?: number;
  retryDelay?: number;
  callingHours?: string;
  minDaysBetweenSurveys?: number;
  maxAttemptsPer30Days?: number;
  question?: string;
  language?: string;
  company?: string;
}

/** Adds the list-settings options shared by `run` and `lists set`. */
export function addDialingOptions(command: Command): Command {
  return command
    .option('--cps <n>', 'create-call requests per second (Vonage default 3)', positiveNumber('--cps'))
    .option('--max-concurrent <n>', 'live calls at most', positiveInt('--max-concurrent'))
    .option('--max-attempts <n>', 'attempts per contact, in total', positiveInt('--max-attempts'))
    .option('--retry-delay <duration>', 'wait before a retry after busy/unanswered/machine: 2s, 15m, 4h', parseDurationMs)
    .option('--calling-hours <spec>', "callee's local hours, e.g. 09:00-21:00 or 'Mon-Fri 10:00-13:00,14:00-20:00' (default: the country preset)", callingHours)
    .option('--min-days-between-surveys <n>', 'frequency cap: skip numbers a person answered for this client within n days (0 = off; default CAP_DAYS_BETWEEN_SURVEYS)', nonNegativeInt('--min-days-between-surveys'))
    .option('--max-attempts-per-30-days <n>', 'frequency cap: attempts per number in 30 days over every list (0 = off; default CAP_ATTEMPTS_PER_30_DAYS)', nonNegativeInt('--max-attempts-per-30-days'))
    .option('--question <text>', 'the recommendation question (the keypad instruction is added)')
    .addOption(new Option('--language <bcp47>', 'survey language for contacts without their own').choices(['en-US', 'pl-PL', 'ru-RU', 'bg-BG']))
    .option('--company <name>', 'company named in the greeting and question');
}

export function settingsPatch(flags: DialingFlags): ListSettingsPatch {
  return {
    policy: {
      cps: flags.cps,
      maxConcurrent: flags.maxConcurrent,
      maxAttempts: flags.maxAttempts,
      retryDelaySeconds: flags.retryDelay === undefined ? undefined : Math.max(1, Math.round(flags.retryDelay / 1000)),
      callingHours: flags.callingHours,
      minDaysBetweenSurveys: flags.minDaysBetweenSurveys,
      maxAttemptsPer30Days: flags.maxAttemptsPer30Days,
    },
    script: { question: flags.question, language: flags.language, company: flags.company },
  };
}

function callingHours(value: string): string {
  try {
    parseCallingHours(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}
