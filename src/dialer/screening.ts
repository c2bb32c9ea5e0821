import { prepared, type AppDatabase } from '../db/index.js';
import type { ContactRow } from '../contacts/index.js';
import { isSuppressed, type ListSettings } from '../contacts/index.js';

const DAY_MS = 86_400_000;
/** The attempt cap counts the calls of this trailing window (the French rule's 30 calendar days). */
export const ATTEMPT_CAP_WINDOW_MS = 30 * DAY_MS;
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
 * The screening's lookups, exported so that a test can check they stay index searches: each starts
 * from the number (contacts_phone_list_uq) and reaches calls through calls_contact_attempt_uq.
 */
export const SCREENING_SQL = {
  recentSurvey: `SELECT k.ended_at AS at, other.list_id AS listId FROM contacts other
      JOIN lists l ON l.id = other.list_id
      JOIN calls k ON k.contact_id = other.id
    WHERE other.phone_e164 = ? AND other.list_id <> ? AND l.client_id IS ? AND k.outcome = 'human' AND k.ended_at >= ?
    ORDER BY k.ended_at DESC LIMIT 1`,
  attemptsSince: `SELECT count(*) AS n FROM contacts other JOIN calls k ON k.contact_id = other.id
    WHERE other.phone_e164 = ? AND k.created_at >= ? AND (k.outcome IS NULL OR k.outcome <> 'create_failed')`,
  liveElsewhere: `SELECT 1 FROM contacts WHERE phone_e164 = ? AND status = 'dialing' AND list_id <> ?`,
} as const;

export type ScreenedContact = Pick<ContactRow, 'id' | 'listId' | 'phoneE164' | 'country' | 'timezone'>;

/**
 * The checks between "due" and "dial", shared by the dialer loop and `lists plan` so that the plan
 * says exactly what the loop will do. Cheapest and most final first: suppression, then the
 * frequency caps (two lookups through the (phone, list) index and the calls' (contact, attempt)
 * index; a number is in a handful of lists, so each costs a few rows whatever the list sizes), then
 * the callee's calling hours (pure arithmetic), then a live call to the same number elsewhere.
 */
export class ContactScreen {
  readonly #database: AppDatabase;
  readonly #settings: ListSettings;

  constructor(database: AppDatabase, settings: ListSettings) {
    this.#database = database;
    this.#settings = settings;
  }

  screen(contact: ScreenedContact, now: number): Screening {
    if (isSuppressed(this.#database, contact.phoneE164)) return { kind: 'suppressed' };
    const capped = this.frequencyCap(contact, now);
    if (capped) return capped;
    const hours = this.hours(contact, now);
    if (hours) return hours;
    if (prepared(this.#database, SCREENING_SQL.liveElsewhere).get(contact.phoneE164, contact.listId)) {
      return { kind: 'live_elsewhere', recheckAt: now + LIVE_ELSEWHERE_RECHECK_MS };
    }
    return { kind: 'callable' };
  }

  /** The frequency cap that excludes the number now, if any. */
  frequencyCap(contact: ScreenedContact, now: number): Extract<Screening, { kind: 'recent_survey' | 'attempt_cap' }> | undefined {
    const { minDaysBetweenSurveys, maxAttemptsPer30Days } = this.#settings.policy;
    if (minDaysBetweenSurveys > 0) {
      // "Surveyed" means a person answered (outcome human: a score, no score, or an opt-out) in
      // another list of the same client; lists without a client count as one client.
      const recent = prepared(this.#database, SCREENING_SQL.recentSurvey).get(contact.phoneE164, contact.listId, this.#settings.clientId, now - minDaysBetweenSurveys * DAY_MS) as { at: number; listId: number } | undefined;
      if (recent) return { kind: 'recent_survey', surveyedAt: recent.at, listId: recent.listId };
    }
    if (maxAttemptsPer30Days > 0) {
      // Every list, every client: the callee sees one caller. A create the provider never carried
      // out (create_failed) did not ring anyone and does not count.
      const attempts = (
        prepared(this.#database, SCREENING_SQL.attemptsSince).get(contact.phoneE164, now - ATTEMPT_CAP_WINDOW_MS) as { n: number }
      ).n;
      if (attempts >= maxAttemptsPer30Days) return { kind: 'attempt_cap', attempts };
    }
    return undefined;
  }

  /** Why the callee's calling hours forbid a call now, if they do. */
  hours(contact: ScreenedContact, now: number): Extract<Screening, { kind: 'no_time_zone' | 'no_window' | 'outside_window' }> | undefined {
    const windows = this.#settings.windows;
    if (windows.zonesFor(contact).length === 0) return { kind: 'no_time_zone' };
    if (windows.isCallable(contact, now)) return undefined;
    const next = windows.nextCallable(contact, now);
    return next === null ? { kind: 'no_window' } : { kind: 'outside_window', nextAt: next };
  }
}
