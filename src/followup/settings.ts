import { z } from 'zod';

/**
 * A list's follow-up of low scores, stored as JSON in `lists.follow_up` (`lists set`). Missing
 * fields take the defaults below; the case owner falls back to the client's (`clients set
 * --case-owner`), then to nobody.
 */
export const FollowUpSettings = z.object({
  /** Scores at or below this raise an alert and open a case (0–10; the NPS detractors are 0–6). */
  alertThreshold: z.number().int().min(0).max(10).optional(),
  caseOwner: z.string().trim().min(1).max(100).optional(),
  /** Hours from the score to the case's deadline. */
  caseDeadlineHours: z.number().int().min(1).max(24 * 365).optional(),
});
export type FollowUpSettings = z.infer<typeof FollowUpSettings>;

export const DEFAULT_ALERT_THRESHOLD = 6;
export const DEFAULT_CASE_DEADLINE_HOURS = 48;

/**
 * How long a new alert waits, at most, for the callee's comment recording (so that it can carry
 * the link): the longest comment (60 s), the recording webhook and the download, with room to
 * spare. Usually it goes much sooner (RECORDING_GRACE_MS in notifications/).
 */
export const ALERT_COMMENT_WAIT_MS = 3 * 60_000;
