import { z } from 'zod';
import { ReasonSettings } from '../ivr/index.js';
import { COMMENT_MODES } from '../db/schema/index.js';

/**
 * What a list says to the callee. Missing fields fall back to the standard wording in the IVR
 * module; the company defaults to the client's (or the list's) name.
 */
export const SurveyScript = z.object({
  company: z.string().trim().min(1).max(100).optional(),
  question: z.string().trim().min(10).max(600).optional(),
  language: z.string().optional(),
  /** The keypad reason question after the score (absent: not asked); src/ivr/reasons.ts. */
  reasons: ReasonSettings.optional(),
  /**
   * How the comment after the score is taken: a recording the provider transcribes (absent: the
   * default), or the provider's speech recognition, whose words arrive in the input webhook.
   */
  comment: z.enum(COMMENT_MODES, { error: `expected one of ${COMMENT_MODES.join(', ')}` }).optional(),
});
export type SurveyScript = z.infer<typeof SurveyScript>;

/** How a list is dialled. Missing fields fall back to the dialer's defaults; `run` flags override. */
export const DialingPolicy = z.object({
  cps: z.number().positive().max(1000).optional(),
  maxConcurrent: z.number().int().positive().max(10_000).optional(),
  maxAttempts: z.number().int().min(1).max(20).optional(),
  /** At most 30 days: a longer wait is a mistake (a unit slip), not a policy. */
  retryDelaySeconds: z.number().int().min(1).max(30 * 86_400).optional(),
  /** Calling hours in the callee's local time ("09:00-21:00", "Mon-Fri 10:00-13:00,14:00-20:00");
   *  absent means the preset of each callee's country. */
  callingHours: z.string().optional(),
  /** Frequency caps (0 = off); absent means the configured defaults (CAP_* variables). */
  minDaysBetweenSurveys: z.number().int().min(0).max(3650).optional(),
  maxAttemptsPer30Days: z.number().int().min(0).max(1000).optional(),
});
export type DialingPolicy = z.infer<typeof DialingPolicy>;

/** Parses a JSON column written by us; a damaged value is an infrastructure fault, not input. */
export function parseJsonColumn<T>(schema: z.ZodType<T>, text: string | null, what: string): T {
  try {
    return schema.parse(JSON.parse(text ?? '{}'));
  } catch (error) {
    throw new Error(`stored ${what} is not valid: ${(error as Error).message}`, { cause: error });
  }
}
