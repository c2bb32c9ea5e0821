import { commentKindFor, type CommentKind } from './comments.js';
import type { Random } from './random.js';
import { seededRandom } from './random.js';
import type { CalleeComment, CalleeFaultOptions, CalleeHangup, CalleeOutcome, PopulationOptions, Scenario } from './scenario.js';
import { CALLEE_OUTCOMES, normaliseNumber } from './scenario.js';

/**
 * A comment as the call runner reads it. A scenario's comment has its own `text`; a generated
 * callee's has `pool` instead, and its words are taken from the comment pool in the language the
 * NCCO asks for (the callee answers in the language they were asked in).
 */
export type ScriptedComment = CalleeComment & { pool?: { kind: CommentKind; draw: number } };

/**
 * A virtual callee's complete behaviour for one call, with every default filled in. The call
 * runner reads only this, so scenario entries and the random population behave identically.
 */
export type CalleeScript =
  | {
      outcome: 'answered';
      ringSeconds: number;
      keys: string[];
      thinkSeconds: number;
      comment: ScriptedComment | null;
      hangup: CalleeHangup | null;
      detectSeconds: number;
      network: string;
    }
  | { outcome: 'machine'; ringSeconds: number; greetingSeconds: number; detectSeconds: number; network: string }
  | { outcome: 'busy' | 'unanswered'; ringSeconds: number; detail: string; sipCode: number }
  | { outcome: 'timeout' }
  | { outcome: 'rejected' | 'failed'; detail: string; sipCode: number };

/** Simulated seconds between two key presses of one answer. */
export const INTER_KEY_SECONDS = 0.4;

const DEFAULT_NETWORK = 'SANDBOX';
const DEFAULT_FAILURES = {
  busy: { detail: 'busy', sipCode: 486, ringSeconds: 3 },
  unanswered: { detail: 'timeout', sipCode: 480, ringSeconds: 25 },
  rejected: { detail: 'declined', sipCode: 603 },
  failed: { detail: 'cannot_route', sipCode: 404 },
} as const;

export const DEFAULT_POPULATION: Required<PopulationOptions> = {
  outcomes: { answered: 62, machine: 8, busy: 8, unanswered: 14, timeout: 2, failed: 2, rejected: 4 },
  // Roughly what consumer NPS surveys see: most people give 7 to 10.
  scoreWeights: [2, 1, 1, 2, 2, 4, 5, 9, 16, 22, 20],
  invalidKeyRate: 0.05,
  noInputRate: 0.05,
  optOutRate: 0.02,
  hashTerminatedRate: 0.5,
  commentRate: 0.35,
  commentSeconds: [3, 25],
  hangupRate: 0.04,
  ringSeconds: [3, 18],
  thinkSeconds: [0.8, 3],
};

const INVALID_ANSWERS = ['11', '99', '42#', '55'];

/**
 * A scenario's comment of some seconds without `text` is speech: a remark from the pool that fits
 * the score the callee pressed, in the language asked. One of 0 seconds (or with `text`) is kept.
 */
function withSpokenDefault(comment: CalleeComment, keys: readonly string[]): ScriptedComment {
  if (comment.text !== undefined || !comment.seconds) return comment;
  const score = [...keys].reverse().map((k) => /^(\d{1,2})#?$/.exec(k)?.[1]).find((d) => d !== undefined && Number(d) <= 10);
  return { ...comment, pool: { kind: commentKindFor(score === undefined ? 8 : Number(score)), draw: 0 } };
}

function fromScenario(attempt: NonNullable<Scenario['callees']>[string]['attempts'][number]): CalleeScript {
  switch (attempt.outcome) {
    case 'answered':
      return {
        outcome: 'answered',
        ringSeconds: attempt.ringSeconds ?? 5,
        keys: attempt.keys ?? [],
        thinkSeconds: attempt.thinkSeconds ?? 1.5,
        comment: attempt.comment ? withSpokenDefault(attempt.comment, attempt.keys ?? []) : null,
        hangup: attempt.hangup ?? null,
        detectSeconds: attempt.detectSeconds ?? 2,
        network: attempt.network ?? DEFAULT_NETWORK,
      };
    case 'machine':
      return {
        outcome: 'machine',
        ringSeconds: attempt.ringSeconds ?? 5,
        greetingSeconds: attempt.greetingSeconds ?? 8,
        detectSeconds: attempt.detectSeconds ?? 3,
        network: attempt.network ?? DEFAULT_NETWORK,
      };
    case 'busy':
    case 'unanswered': {
      const defaults = DEFAULT_FAILURES[attempt.outcome];
      return {
        outcome: attempt.outcome,
        ringSeconds: attempt.ringSeconds ?? defaults.ringSeconds,
        detail: attempt.detail ?? defaults.detail,
        sipCode: attempt.sipCode ?? defaults.sipCode,
      };
    }
    case 'timeout':
      return { outcome: 'timeout' };
    case 'rejected':
    case 'failed': {
      const defaults = DEFAULT_FAILURES[attempt.outcome];
      return { outcome: attempt.outcome, detail: attempt.detail ?? defaults.detail, sipCode: attempt.sipCode ?? defaults.sipCode };
    }
  }
}

/** Draws a person (or a line that never connects) from the population settings. */
export function fromPopulation(population: Required<PopulationOptions>, random: Random): CalleeScript {
  const weights = CALLEE_OUTCOMES.map((outcome) => population.outcomes[outcome] ?? 0);
  const index = random.weighted(weights);
  const outcome: CalleeOutcome = index < 0 ? 'answered' : CALLEE_OUTCOMES[index]!;
  const ringSeconds = round1(random.between(...population.ringSeconds));
  switch (outcome) {
    case 'answered': {
      const keys: string[] = [];
      const score = Math.max(0, random.weighted(population.scoreWeights));
      if (random.chance(population.optOutRate)) {
        keys.push('*');
      } else {
        if (random.chance(population.invalidKeyRate)) keys.push(random.pick(INVALID_ANSWERS));
        else if (random.chance(population.noInputRate)) keys.push('');
        // "10" fills maxDigits and submits at once; a single digit needs # or the input's timeout.
        keys.push(score === 10 ? '10' : random.chance(population.hashTerminatedRate) ? `${score}#` : `${score}`);
      }
      const comment: ScriptedComment | null = random.chance(population.commentRate)
        ? {
            seconds: round1(random.between(...population.commentSeconds)),
            // One draw, as before the pool existed, so every later draw of a seed is unchanged.
            pool: { kind: commentKindFor(score), draw: random.next() },
            end: random.chance(0.5) ? 'key' : 'silence',
          }
        : null;
      const hangup: CalleeHangup | null = random.chance(population.hangupRate)
        ? { during: random.pick(['greeting', 'question', 'comment'] as const) }
        : null;
      return {
        outcome,
        ringSeconds,
        keys,
        thinkSeconds: round1(random.between(...population.thinkSeconds)),
        comment,
        hangup,
        detectSeconds: 2,
        network: DEFAULT_NETWORK,
      };
    }
    case 'machine':
      return { outcome, ringSeconds, greetingSeconds: round1(random.between(4, 15)), detectSeconds: 3, network: DEFAULT_NETWORK };
    case 'busy':
      return { outcome, ringSeconds: Math.min(ringSeconds, 4), detail: 'busy', sipCode: 486 };
    case 'unanswered':
      return { outcome, ringSeconds: 25, detail: 'timeout', sipCode: 480 };
    case 'timeout':
      return { outcome };
    case 'rejected':
      return { outcome, detail: random.pick(['declined', 'restricted', 'invalid_number']), sipCode: 603 };
    case 'failed':
      return { outcome, detail: random.pick(['cannot_route', 'number_out_of_service']), sipCode: 404 };
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export interface CalleeResolver {
  /** The script for the `attemptIndex`-th (zero-based) call to `number`. */
  script(number: string, attemptIndex: number): { script: CalleeScript; scenarioName: string | null; faults: CalleeFaultOptions };
}

/**
 * Resolves callees from the scenario, falling back to the population. The population stream is
 * seeded by (seed, number, attempt) only, so the draw is independent of dialling order.
 */
export function createCalleeResolver(options: { seed: number; scenario: Scenario; population: PopulationOptions }): CalleeResolver {
  const population: Required<PopulationOptions> = { ...DEFAULT_POPULATION, ...options.population };
  const callees = new Map(Object.entries(options.scenario.callees ?? {}).map(([number, callee]) => [normaliseNumber(number), callee]));
  return {
    script(number, attemptIndex) {
      const callee = callees.get(normaliseNumber(number));
      if (callee) {
        const attempt = callee.attempts[Math.min(attemptIndex, callee.attempts.length - 1)]!;
        return { script: fromScenario(attempt), scenarioName: callee.name ?? null, faults: callee.faults ?? {} };
      }
      const random = seededRandom(options.seed, normaliseNumber(number), attemptIndex, 'callee');
      return { script: fromPopulation(population, random), scenarioName: null, faults: {} };
    },
  };
}
