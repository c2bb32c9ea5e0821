import type { FrequencyCaps, Tariff } from '../config/index.js';
import { changeListSettings, showList, type ListDetails, type ListSettingsPatch, type ListStore } from '../contacts/index.js';
import type { SqlReader } from '../db/index.js';
import type { RunStore, WaitingMove } from './run-store.js';
import type { Logger } from '../logging/index.js';
import { ListSettingsBook, type ContactPlace, type EffectivePolicy, type ListSettings } from '../contacts/index.js';

/** What decides when a pending contact may be called next, besides the list's rules. */
export interface WaitingContact extends ContactPlace {
  attempts: number;
  /** Its own earliest time (a trigger's notBefore), epoch ms. */
  notBefore: number | null;
  /** When its last attempt ended, epoch ms; null before the first. */
  lastEndedAt: number | null;
}

/**
 * The earliest a pending contact may be called under `policy`, before calling hours: now, its own
 * `notBefore`, or the retry delay after its last attempt ended, whichever is latest.
 */
export function earliestAttemptAt(policy: Pick<EffectivePolicy, 'retryDelayMs'>, contact: WaitingContact, now: number): number {
  const retryAt = contact.attempts > 0 && contact.lastEndedAt !== null ? contact.lastEndedAt + policy.retryDelayMs : now;
  return Math.max(now, contact.notBefore ?? now, retryAt);
}

/**
 * When the dialer should look at a pending contact next under the list's rules in force: its
 * earliest time moved to the callee's next opening. A contact that will never be called (attempts
 * used up since the limit was lowered, no zone, hours that never open) is due at its earliest, so
 * that the loop closes it then and says why.
 */
export function plannedAttemptAt(settings: ListSettings, contact: WaitingContact, now: number): number {
  if (contact.attempts >= settings.policy.maxAttempts) return now;
  const earliest = earliestAttemptAt(settings.policy, contact, now);
  return settings.windows.nextCallable(contact, earliest) ?? earliest;
}

/** The end of contact `c`'s last attempt, through calls_contact_attempt_uq: a column of a query over `contacts c` (its alias quoted for PostgreSQL). */
export const LAST_ENDED_AT_SQL = `CASE WHEN c.attempts > 0 THEN (SELECT k.ended_at FROM calls k WHERE k.contact_id = c.id ORDER BY k.attempt DESC LIMIT 1) END AS "lastEndedAt"`;

/** The rules plannedAttemptAt follows, as stored in lists.planned_rules: the same text, the same plan. */
export function timingRules(settings: ListSettings): string {
  const { callingHours, retryDelayMs, maxAttempts } = settings.policy;
  return JSON.stringify({ callingHours, retryDelayMs, maxAttempts, defaultTimezone: settings.defaultTimezone });
}

/**
 * Re-plans when a list's waiting contacts are next looked at, under its rules in force: a contact
 * parked at an opening of the old calling hours, or waiting out the old retry delay, gets the time
 * the new rules give it, earlier or later. The dialer parks a contact by writing that time
 * (next_attempt_at), so without this a change of hours or retry delay would reach only contacts
 * that are due anyway. Contacts due now under both the old and the new rules keep their time, so
 * the longest waiting still go first.
 *
 * Only when the rules differ from those the contacts were last planned under (lists.planned_rules),
 * so that a run's start costs one row read when nothing changed; a re-plan of 100,000 waiting
 * contacts takes about a second. Called when `lists set` or `run` saves settings, at the start of
 * every run, and when a run sees its list's settings change (another process's `lists set`). The
 * moves commit in one short transaction; returns how many contacts moved.
 */
export async function replanWaiting(deps: { runs: RunStore; logger?: Logger | undefined }, settings: ListSettings, now: number): Promise<number> {
  const rules = timingRules(settings);
  if ((await deps.runs.plannedRules(settings.listId)) === rules) return 0;
  // Fresh contacts of one place share their answer (earliest = now): one calendar search per place.
  const fresh = new Map<string, number>();
  const moves: WaitingMove[] = [];
  for (const contact of await deps.runs.waitingContacts(settings.listId)) {
    let at: number;
    if (contact.attempts === 0 && contact.notBefore === null) {
      const key = `${contact.country ?? ''}|${contact.timezone ?? ''}`;
      at = fresh.get(key) ?? plannedAttemptAt(settings, contact, now);
      fresh.set(key, at);
    } else {
      at = plannedAttemptAt(settings, contact, now);
    }
    if (at === contact.nextAttemptAt || (at <= now && contact.nextAttemptAt !== null && contact.nextAttemptAt <= now)) continue;
    moves.push({ id: contact.id, from: contact.nextAttemptAt, to: at });
  }
  // Each move only while the contact still waits at the time read: one claimed meanwhile is the run's.
  const moved = await deps.runs.replan(settings.listId, moves, rules, now);
  deps.logger?.info('waiting contacts re-planned under the rules in force', { listId: settings.listId, moved });
  return moved;
}

/**
 * Saves new settings into a list (`lists set`, the flags of `run`) and re-plans its waiting
 * contacts under them, so that `lists show`, `lists plan` and a daemon that starts runs when
 * contacts are due see the new times at once. Two steps, each atomic: a crash between them leaves
 * the contacts planned under the old rules with the list's planned rules still the old ones, and
 * the next run (or save) re-plans them.
 */
export async function saveListSettings(options: {
  lists: ListStore;
  runs: RunStore;
  /** What the saved settings are read back through. */
  reader: SqlReader;
  config: { defaultTariff: Tariff; frequencyCaps?: FrequencyCaps | undefined };
  now: number;
  listId: number;
  patch: ListSettingsPatch;
  logger?: Logger | undefined;
}): Promise<{ list: ListDetails; replanned: number }> {
  const { lists, listId } = options;
  await changeListSettings({ lists, listId, patch: options.patch });
  const settings = await new ListSettingsBook(options.reader, options.config).load(listId);
  const replanned = await replanWaiting({ runs: options.runs, logger: options.logger }, settings, options.now);
  return { list: await showList({ lists, listId }), replanned };
}
