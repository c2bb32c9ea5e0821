import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DialingPolicy, SurveyScript, type ListSettingsPatch } from '../contacts/index.js';
import { parseReasonChoices, type ReasonChoice } from '../ivr/index.js';
import { parseCallingHours } from '../calling-hours/index.js';
import { checkedBy, nonNegativeInt, parseDurationMs, positiveInt, positiveNumber, text } from './parse.js';

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
  reasons?: 'on' | 'off';
  comment?: 'recording' | 'speech';
  reasonsFile?: { choices: ReasonChoice[]; question: Record<string, string> | undefined };
}

const policy = DialingPolicy.shape;
const script = SurveyScript.shape;

/**
 * Adds the list-settings options shared by `run` and `lists set`. Each value is checked against
 * the list settings' own schema as it is parsed (checkedBy), so `--cps 100000` is a usage error
 * naming the limit, not a failure deep in the save.
 */
export function addDialingOptions(command: Command): Command {
  return command
    .option('--cps <n>', 'create-call requests per second, at most 1000 (Vonage default 3)', checkedBy('--cps', policy.cps, positiveNumber('--cps')))
    .option('--max-concurrent <n>', 'live calls at most (up to 10000)', checkedBy('--max-concurrent', policy.maxConcurrent, positiveInt('--max-concurrent')))
    .option('--max-attempts <n>', 'attempts per contact, in total (1 to 20)', checkedBy('--max-attempts', policy.maxAttempts, positiveInt('--max-attempts')))
    .option(
      '--retry-delay <duration>',
      'wait before a retry after busy/unanswered/machine: 2s, 15m, 4h (at most 30d)',
      checkedBy('--retry-delay', policy.retryDelaySeconds, parseDurationMs, { toSetting: retryDelaySeconds, unit: 's (30d)' }),
    )
    .option('--calling-hours <spec>', "callee's local hours, e.g. 09:00-21:00 or 'Mon-Fri 10:00-13:00,14:00-20:00' (default: the country preset)", callingHours)
    .option(
      '--min-days-between-surveys <n>',
      'frequency cap: skip numbers a person answered for this client within n days (0 = off; default CAP_DAYS_BETWEEN_SURVEYS)',
      checkedBy('--min-days-between-surveys', policy.minDaysBetweenSurveys, nonNegativeInt('--min-days-between-surveys'), { unit: 'days' }),
    )
    .option(
      '--max-attempts-per-30-days <n>',
      'frequency cap: attempts per number in 30 days over every list (0 = off; default CAP_ATTEMPTS_PER_30_DAYS)',
      checkedBy('--max-attempts-per-30-days', policy.maxAttemptsPer30Days, nonNegativeInt('--max-attempts-per-30-days')),
    )
    .option('--question <text>', 'the recommendation question, 10 to 600 characters (the keypad instruction is added)', checkedBy('--question', script.question, text))
    .addOption(new Option('--language <bcp47>', 'survey language for contacts without their own').choices(['en-US', 'pl-PL', 'ru-RU', 'bg-BG']))
    .option('--company <name>', 'company named in the greeting and question (up to 100 characters)', checkedBy('--company', script.company, text))
    .addOption(new Option('--reasons <on|off>', 'ask the keypad reason question after the score (built-in choices: price, quality, service, speed, billing, other)').choices(['on', 'off']))
    .addOption(
      new Option('--comment <mode>', "how the comment after the score is taken: recording (transcribed by the provider) or speech (the provider's speech recognition)").choices([
        'recording',
        'speech',
      ]),
    )
    .option('--reasons-file <json>', "the list's own reason choices and question per language (docs/cli.md); turns the question on unless --reasons off", reasonsFile);
}

/** The policy keeps the retry delay in whole seconds, at least one. */
const retryDelaySeconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

export function settingsPatch(flags: DialingFlags): ListSettingsPatch {
  return {
    policy: {
      cps: flags.cps,
      maxConcurrent: flags.maxConcurrent,
      maxAttempts: flags.maxAttempts,
      retryDelaySeconds: flags.retryDelay === undefined ? undefined : retryDelaySeconds(flags.retryDelay),
      callingHours: flags.callingHours,
      minDaysBetweenSurveys: flags.minDaysBetweenSurveys,
      maxAttemptsPer30Days: flags.maxAttemptsPer30Days,
    },
    script: {
      question: flags.question,
      language: flags.language,
      company: flags.company,
      comment: flags.comment,
      reasons: {
        enabled: flags.reasons ? flags.reasons === 'on' : flags.reasonsFile ? true : undefined,
        choices: flags.reasonsFile?.choices,
        question: flags.reasonsFile?.question,
      },
    },
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

/** Reads and checks a `--reasons-file` as the flags are parsed, naming every problem at once. */
function reasonsFile(file: string): NonNullable<DialingFlags['reasonsFile']> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(code ? `--reasons-file '${file}' cannot be read (${code}); give the path of a JSON file` : `--reasons-file '${file}' is not JSON: ${(error as Error).message}`);
  }
  const parsed = parseReasonChoices(json);
  if (!parsed.ok) throw new InvalidArgumentError(`--reasons-file '${file}': ${parsed.problems.join('; ')}`);
  return { choices: parsed.choices, question: parsed.question };
}
