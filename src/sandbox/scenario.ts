import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors/index.js';

/*
 * The scenario file and the population/fault options share these schemas, so a file, a test's
 * object literal and the CLI are validated the same way. The schemas have no transforms and no
 * defaults: the inferred type is both what a caller writes and what the sandbox reads, and the
 * defaults live in one place (callee.ts and faults.ts) where they are documented next to their use.
 */

const E164_DIGITS = /^\+?\d{7,15}$/;

const probability = z
  .number({ error: 'expected a probability from 0 to 1' })
  .min(0, 'expected a probability from 0 to 1')
  .max(1, 'expected a probability from 0 to 1');

/** `true`/`false` is shorthand for probability 1/0. */
const switchOrProbability = z.union([z.boolean(), probability], { error: 'expected true, false or a probability from 0 to 1' });

const seconds = z.number({ error: 'expected a number of seconds' }).min(0, 'expected a number of seconds ≥ 0');

const range = (unit: string) =>
  z
    .tuple([z.number().min(0), z.number().min(0)], { error: `expected [min, max] in ${unit}` })
    .refine(([min, max]) => min <= max, `expected [min, max] in ${unit} with min ≤ max`);

const keysAtPrompt = z.string().regex(/^[0-9*#]*$/, 'expected DTMF keys: digits, * and #, e.g. "7#" ("" presses nothing)');

const sipCode = z.number().int().min(100).max(699);

export const CalleeHangup = z.strictObject({
  /** greeting: the first talk action; question: while an input waits for keys; comment: while recording. */
  during: z.enum(['greeting', 'question', 'comment'], { error: 'expected "greeting", "question" or "comment"' }),
  /** Simulated seconds into that phase (default: halfway through a talk, 1 s into an input or a recording). */
  afterSeconds: seconds.optional(),
  /** For `question`: which input prompt, zero-based (default 0). */
  prompt: z.number().int().min(0).optional(),
});
export type CalleeHangup = z.infer<typeof CalleeHangup>;

export const CalleeComment = z.strictObject({
  /** Simulated seconds of speech. */
  seconds: seconds.max(7200),
  /**
   * What the callee says: the provider's transcript of a record action with `transcription`, the
   * `speech.results[0].text` of a speech input, and the words espeak-ng speaks into the audio.
   */
  text: z.string().max(5000).optional(),
  /** BCP-47 language the callee speaks (default: the language the NCCO asks for, else en-US). */
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a BCP-47 language such as "pl-PL"').optional(),
  /** Recognition confidence 0..1 of these words (default: the `speech` options' confidence). */
  confidence: probability.optional(),
  /** Sentiment score -1..1 reported when the transcription asks for sentimentAnalysis (default 0). */
  sentiment: z.number().min(-1, 'expected a score from -1 to 1').max(1, 'expected a score from -1 to 1').optional(),
  /** How the callee finishes: press the record's endOnKey, fall silent (default), or hang up. */
  end: z.enum(['key', 'silence', 'hangup'], { error: 'expected "key", "silence" or "hangup"' }).optional(),
});
export type CalleeComment = z.infer<typeof CalleeComment>;

const ringSeconds = seconds.max(600).optional();
const network = z.string().min(1).max(40).optional();

const AnsweredAttempt = z.strictObject({
  outcome: z.literal('answered'),
  ringSeconds,
  /** Keys pressed at each successive input prompt; prompts beyond the list get no keys. */
  keys: z.array(keysAtPrompt).optional(),
  /** Simulated seconds between the start of an input and the first key (default 1.5). */
  thinkSeconds: seconds.max(60).optional(),
  /** Spoken comment when a record action runs; null or absent means the callee stays silent. */
  comment: CalleeComment.nullable().optional(),
  hangup: CalleeHangup.optional(),
  /** Simulated seconds until machine detection reports `human` (default 2). */
  detectSeconds: seconds.max(30).optional(),
  network,
});

const MachineAttempt = z.strictObject({
  outcome: z.literal('machine'),
  ringSeconds,
  /** Length of the voicemail greeting before the beep, simulated seconds (default 8). */
  greetingSeconds: seconds.max(120).optional(),
  /** Simulated seconds until machine detection reports `machine` (default 3). */
  detectSeconds: seconds.max(30).optional(),
  network,
});

const failureFields = { detail: z.string().min(1).max(60).optional(), sipCode: sipCode.optional() };

const BusyAttempt = z.strictObject({ outcome: z.literal('busy'), ringSeconds, ...failureFields });
/** Rings for `ringSeconds` (default 25) until the network gives up; past ringing_timer it becomes `timeout`. */
const UnansweredAttempt = z.strictObject({ outcome: z.literal('unanswered'), ringSeconds, ...failureFields });
/** Rings until the call's ringing_timer ends it. */
const TimeoutAttempt = z.strictObject({ outcome: z.literal('timeout') });
const RejectedAttempt = z.strictObject({ outcome: z.literal('rejected'), ...failureFields });
const FailedAttempt = z.strictObject({ outcome: z.literal('failed'), ...failureFields });

export const CALLEE_OUTCOMES = ['answered', 'machine', 'busy', 'unanswered', 'timeout', 'rejected', 'failed'] as const;
export type CalleeOutcome = (typeof CALLEE_OUTCOMES)[number];

export const CalleeAttempt = z.discriminatedUnion(
  'outcome',
  [AnsweredAttempt, MachineAttempt, BusyAttempt, UnansweredAttempt, TimeoutAttempt, RejectedAttempt, FailedAttempt],
  { error: `expected outcome to be one of ${CALLEE_OUTCOMES.join(', ')}` },
);
export type CalleeAttempt = z.infer<typeof CalleeAttempt>;

/** Faults that can differ per callee. Probabilities are drawn from the seeded per-call stream. */
const calleeFaultFields = {
  /** Deliver `started` and wait for the app's response before sending the 201. */
  startedBeforeCreateResponse: switchOrProbability.optional(),
  /** Probability that a webhook (status, recording) is delivered twice. */
  duplicateRate: probability.optional(),
  /** Probability that a status webhook is held back and delivered after the call's next one. */
  outOfOrderRate: probability.optional(),
  /** Real milliseconds each queued webhook waits before it is sent, drawn from [min, max]. */
  webhookDelayMs: range('milliseconds').optional(),
  /** Probability that a status webhook (including completed) is never delivered. */
  dropStatusRate: probability.optional(),
  /** Hold the recording (and transcription) webhook until after `completed`. */
  recordingAfterCompleted: switchOrProbability.optional(),
  /** Probability that POST /v1/calls answers 500 instead of creating the call. */
  createServerErrorRate: probability.optional(),
  /** The first N downloads of each recording answer 404 (the file is "not ready yet"). */
  recordingNotFoundDownloads: z.number().int().min(0).max(100).optional(),
  /** PUT hangup within this many simulated seconds of create answers 400, as Vonage does within 1-2 s. 0 = off. */
  hangupTooSoonSeconds: seconds.max(60).optional(),
  /** Send `completed` after a failure status (busy, unanswered ...) too; whether Vonage does is UNCONFIRMED. */
  completedAfterFailure: z.boolean().optional(),
};

export const CalleeFaultOptions = z.strictObject(calleeFaultFields);
export type CalleeFaultOptions = z.infer<typeof CalleeFaultOptions>;

export const FaultOptions = z.strictObject({
  ...calleeFaultFields,
  /**
   * Runs of create requests that get 429: a storm lets the first `afterCreates` create requests
   * through (counting every POST /v1/calls with a valid token, refused ones too) and refuses the
   * next `creates`. Counted in requests rather than real time, so a storm meets the dialing
   * however fast or slow the machine is.
   */
  tooManyRequestsStorms: z
    .array(z.strictObject({ afterCreates: z.number().int().min(0), creates: z.number().int().min(1) }))
    .optional(),
  /** GET /v1/calls/:uuid answers 404 for calls older than this, in simulated seconds (default 172800, two days). */
  callRetentionSeconds: seconds.optional(),
});
export type FaultOptions = z.infer<typeof FaultOptions>;

const weight = z.number().min(0, 'expected a weight ≥ 0');

export const PopulationOptions = z.strictObject({
  /** Relative weights of what happens to a call; missing outcomes get weight 0 when this is given. */
  outcomes: z.partialRecord(z.enum(CALLEE_OUTCOMES), weight).optional(),
  /** Relative weights of the scores 0..10 a person gives. */
  scoreWeights: z.array(weight).length(11, 'expected 11 weights, for scores 0 to 10').optional(),
  /** Probability that the first answer is an invalid key sequence (then a valid one at the re-prompt). */
  invalidKeyRate: probability.optional(),
  /** Probability that the first prompt gets no key at all (then a valid one at the re-prompt). */
  noInputRate: probability.optional(),
  /** Probability that the person presses * (opt out) instead of a score. */
  optOutRate: probability.optional(),
  /** Probability that a score below 10 is confirmed with # rather than left to time out. */
  hashTerminatedRate: probability.optional(),
  /** Probability that the person leaves a spoken comment when asked. */
  commentRate: probability.optional(),
  commentSeconds: range('seconds').optional(),
  /** Probability that the person hangs up part way (greeting, question or comment). */
  hangupRate: probability.optional(),
  ringSeconds: range('seconds').optional(),
  thinkSeconds: range('seconds').optional(),
});
export type PopulationOptions = z.infer<typeof PopulationOptions>;

const languageList = z.array(z.string().min(2).max(35)).min(1, 'expected at least one language such as "en-US"');

/**
 * How the provider's speech services behave (reference §6 record/transcription and input/speech).
 * Whatever is UNCONFIRMED about the real provider is a setting here; defaults in speech.ts.
 */
export const SpeechOptions = z.strictObject({
  /** Audio of a callee's words: `espeak` (espeak-ng where installed, else silence) or `off` (silence/tone). */
  synthesis: z.enum(['espeak', 'off'], { error: 'expected "espeak" or "off"' }).optional(),
  /** Path of the espeak-ng binary (default /usr/bin/espeak-ng). */
  espeakPath: z.string().min(1).optional(),
  /** The record action's `transcription` (a developer preview: en-US only). */
  transcription: z
    .strictObject({
      /** Languages transcribed (default ["en-US"]). */
      languages: languageList.optional(),
      /** Another language: a `status: "failed"` webhook (default), or transcribe it anyway. */
      unsupportedLanguage: z.enum(['failed', 'transcribe'], { error: 'expected "failed" or "transcribe"' }).optional(),
      /** Word confidence in the transcript (default 0.93) unless the callee's comment sets one. */
      confidence: probability.optional(),
      /** Probability that the transcription webhook never arrives. */
      dropRate: probability.optional(),
      /** Probability that the transcription webhook is delivered twice. */
      duplicateRate: probability.optional(),
      /** Probability that a GET of the transcript answers 500. */
      downloadErrorRate: probability.optional(),
      /** Real milliseconds between the recording webhook and the transcription webhook, [min, max]. */
      delayMs: range('milliseconds').optional(),
      /** Where sentimentAnalysis puts its result (UNCONFIRMED): per channel (default), per sentence, or nowhere. */
      sentimentShape: z.enum(['channel', 'sentence', 'none'], { error: 'expected "channel", "sentence" or "none"' }).optional(),
    })
    .optional(),
  /** The input action with type "speech" (automatic speech recognition). */
  recognition: z
    .strictObject({
      /** Languages recognised (default en-US, en-GB, pl-PL, ru-RU, bg-BG); another gets `speech.error`. */
      languages: languageList.optional(),
      /** Result confidence (default 0.9) unless the callee's comment sets one. */
      confidence: probability.optional(),
      /** `string` (as in the docs' captures, default) or `number`. */
      confidenceType: z.enum(['string', 'number'], { error: 'expected "string" or "number"' }).optional(),
      /** Probability that the webhook carries `speech.error` instead of results. */
      errorRate: probability.optional(),
      /** Probability that a result asked with saveAudio comes without `recording_url`. */
      missingRecordingUrlRate: probability.optional(),
      /** Probability that a result's confidence is `lowConfidence` instead. */
      lowConfidenceRate: probability.optional(),
      /** The low confidence (default 0.2). */
      lowConfidence: probability.optional(),
    })
    .optional(),
});
export type SpeechOptions = z.infer<typeof SpeechOptions>;

export const CalleeScenario = z.strictObject({
  /** A label for people reading the file and the logs. */
  name: z.string().max(200).optional(),
  /** Behaviour per successive call to this number; later calls repeat the last entry. */
  attempts: z.array(CalleeAttempt).min(1, 'expected at least one attempt'),
  faults: CalleeFaultOptions.optional(),
});
export type CalleeScenario = z.infer<typeof CalleeScenario>;

export const Scenario = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  /** Keys are E.164 numbers, with or without '+'. */
  callees: z.record(z.string().regex(E164_DIGITS, 'expected an E.164 number such as +48501234567'), CalleeScenario).optional(),
  population: PopulationOptions.optional(),
  faults: FaultOptions.optional(),
  speech: SpeechOptions.optional(),
});
export type Scenario = z.infer<typeof Scenario>;

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * Zod 4 still runs length checks on a value of the wrong type ("expected an array" is followed by
 * "too big" for a string). Only the type error says what is wrong, so the others are dropped.
 */
export function primaryIssues(error: z.ZodError): z.core.$ZodIssue[] {
  const typeErrors = new Set(error.issues.filter((issue) => issue.code === 'invalid_type').map((issue) => JSON.stringify(issue.path)));
  return error.issues.filter((issue) => issue.code === 'invalid_type' || !typeErrors.has(JSON.stringify(issue.path)));
}

/**
 * Turns zod issues into lines that name the field, the bad value and what is accepted, e.g.
 * `callees.48501234567.attempts[0].outcome: got "bsy"; expected outcome to be one of answered, ...`.
 */
export function describeIssues(error: z.ZodError, input: unknown, prefix = ''): string[] {
  return primaryIssues(error).map((issue) => {
    const path = [...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return `${prefix}${formatPath(path)}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (issue.code === 'invalid_key') {
      return `${prefix}${formatPath(path)}: ${issue.issues[0]?.message ?? issue.message}`;
    }
    return `${prefix}${formatPath(path)}: got ${formatValue(valueAt(input, path))}; ${issue.message}`;
  });
}

/** Validates a scenario object (from a file or a test) and throws one error listing every problem. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = Scenario.safeParse(input);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error, input);
    throw new AppError('INPUT_INVALID', `${source} is invalid:\n  ${lines.join('\n  ')}`, { details: { problems: lines } });
  }
  return parsed.data;
}

/** Reads and validates a scenario JSON file (schema in docs/sandbox.md). */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError('INPUT_INVALID', `cannot read scenario file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('INPUT_INVALID', `scenario file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseScenario(json, `scenario file ${path}`);
}

/** Strips the '+' so scenario keys match the digits Vonage puts on the wire. */
export const normaliseNumber = (number: string): string => number.replace(/^\+/, '');

export function asProbability(value: boolean | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
