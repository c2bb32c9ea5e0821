import type { ContactRow, ListSettings } from '../contacts/index.js';
/**
 * A number on a live call in another list is looked at again after this long: long enough not to
 * rescan it on every loop turn, short enough that it is called soon after that call ends.
 */
export const LIVE_ELSEWHERE_RECHECK_MS = 2 * 60_000;

/** What the dialer may do with a due contact now, and why not when it may not. */
export type Screening =
  | { kind: 'callable' }
  | { kind: 'suppressed' }
  /** A person answered for the same client (another list) too recently. */
  | { kind: 'recent_survey'; surveyedAt: number; listId: number }
  /** The number had this many attempts over every list in the last 30 days. */
  | { kind: 'attempt_cap'; attempts: number }
  /** No zone is known for the callee (no country, no time zone): never called, and said why. */
  | { kind: 'no_time_zone' }
  /** The zone is known but the rules never open within the search horizon (e.g. no days at all). */
  | { kind: 'no_window' }
  | { kind: 'outside_window'; nextAt: number }
  /** The same number is on a live call in another list right now. */
  | { kind: 'live_elsewhere'; recheckAt: number };

/**
 * The screening's lookups, in the SQL both engines read (db/reader.ts): run by the SQLite stores and
 * by `lists plan` on either engine; exported so that a test can check they stay index searches:
 * each starts from the number (contacts_phone_list_uq) and reaches calls through
 * calls_contact_attempt_uq.
 */
export const SCREENING_SQL = {
  recentSurvey: `SELECT k.ended_at AS at, other.list_id AS "listId" FROM contacts other
      JOIN lists l ON l.id = other.list_id
      JOIN calls k ON k.contact_id = other.id
    WHERE other.phone_e164 = ? AND other.list_id <> ? AND l.client_id IS NOT DISTINCT FROM ? AND k.outcome = 'human' AND k.ended_at >= ?
    ORDER BY k.ended_at DESC LIMIT 1`,
  attemptsSince: `SELECT count(*) AS n FROM contacts other JOIN calls k ON k.contact_id = other.id
    WHERE other.phone_e164 = ? AND k.created_at >= ? AND (k.outcome IS NULL OR k.outcome <> 'create_failed')`,
  liveElsewhere: `SELECT 1 FROM contacts WHERE phone_e164 = ? AND status = 'dialing' AND list_id <> ?`,
} as const;

export type ScreenedContact = Pick<ContactRow, 'id' | 'listId' | 'phoneE164' | 'country' | 'timezone'>;

/** The frequency caps a list screens by (its policy and client). */
export interface ScreeningCaps {
  clientId: number | null;
  minDaysBetweenSurveys: number;
  maxAttemptsPer30Days: number;
}

/** What the database knows about a number, for the screening: read by the run's store (`RunStore.screeningFacts`). */
export interface ScreeningFacts {
  suppressed: boolean;
  /** The latest person-answered call of the same client in another list within the minimum days; null when none or not capped. */
  recentSurvey: { at: number; listId: number } | null;
  /** Call attempts to the number over every list in the last 30 days; null when not capped. */
  attemptsLast30Days: number | null;
  /** The number is on a live call in another list now. */
  liveElsewhere: boolean;
}

export function screeningCaps(settings: ListSettings): ScreeningCaps {
  const { minDaysBetweenSurveys, maxAttemptsPer30Days } = settings.policy;
  return { clientId: settings.clientId, minDaysBetweenSurveys, maxAttemptsPer30Days };
}

/**
 * The checks between "due" and "dial", shared by the dialer loop, `lists plan` and post-call
 * triggers so that each says exactly what the loop will do, in this order: suppression, the
 * frequency caps ("surveyed" means a person answered — a score, no score or an opt-out — in
 * another list of the same client, lists without a client counting as one client; the attempt cap
 * counts every list and client, a create the provider never carried out not counted), the
 * callee's calling hours, a live call to the same number elsewhere. Pure: the facts come from the
 * store (`RunStore.screeningFacts`; each lookup starts from the number: contacts_phone_list_uq,
 * then calls_contact_attempt_uq).
 */
export function screenContact(settings: ListSettings, contact: ScreenedContact, facts: ScreeningFacts, now: number): Screening {
  if (facts.suppressed) return { kind: 'suppressed' };
  const { minDaysBetweenSurveys, maxAttemptsPer30Days } = settings.policy;
  if (minDaysBetweenSurveys > 0 && facts.recentSurvey) return { kind: 'recent_survey', surveyedAt: facts.recentSurvey.at, listId: facts.recentSurvey.listId };
  if (maxAttemptsPer30Days > 0 && facts.attemptsLast30Days !== null && facts.attemptsLast30Days >= maxAttemptsPer30Days) {
    return { kind: 'attempt_cap', attempts: facts.attemptsLast30Days };
  }
  const hours = hoursScreening(settings, contact, now);
  if (hours) return hours;
  if (facts.liveElsewhere) return { kind: 'live_elsewhere', recheckAt: now + LIVE_ELSEWHERE_RECHECK_MS };
  return { kind: 'callable' };
}

/** Why the callee's calling hours forbid a call now, if they do. */
export function hoursScreening(settings: ListSettings, contact: ScreenedContact, now: number): Extract<Screening, { kind: 'no_time_zone' | 'no_window' | 'outside_window' }> | undefined {
  const windows = settings.windows;
  if (windows.zonesFor(contact).length === 0) return { kind: 'no_time_zone' };
  if (windows.isCallable(contact, now)) return undefined;
  const next = windows.nextCallable(contact, now);
  return next === null ? { kind: 'no_window' } : { kind: 'outside_window', nextAt: next };
}
