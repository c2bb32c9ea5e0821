import type { FrequencyCaps, Tariff } from '../config/index.js';
import { getList, updateListSettings, type ListDetails, type ListSettingsPatch } from '../contacts/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
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

/** The end of contact `c`'s last attempt, through calls_contact_attempt_uq: a column of a query over `contacts c`. */
export const LAST_ENDED_AT_SQL = `CASE WHEN c.attempts > 0 THEN (SELECT k.ended_at FROM calls k WHERE k.contact_id = c.id ORDER BY k.attempt DESC LIMIT 1) END AS lastEndedAt`;

/** The pending contacts of a list with what plannedAttemptAt needs. */
const WAITING_SQL = `SELECT c.id, c.country, c.timezone, c.attempts, c.not_before AS notBefore, c.next_attempt_at AS nextAttemptAt, ${LAST_ENDED_AT_SQL}
  FROM contacts c WHERE c.list_id = ? AND c.status = 'pending'`;

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
 * every run, and when a run sees its list's settings change (another process's `lists set`). One
 * short transaction; returns how many contacts moved.
 */
export function replanWaiting(deps: { database: AppDatabase; logger?: Logger | undefined }, settings: ListSettings, now: number): number {
  const rules = timingRules(settings);
  const planned = prepared(deps.database, 'SELECT planned_rules AS rules FROM lists WHERE id = ?').get(settings.listId) as { rules: string | null } | undefined;
  if (planned?.rules === rules) return 0;
  const select = prepared(deps.database, WAITING_SQL);
  const move = prepared(deps.database, `UPDATE contacts SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`);
  // Fresh contacts of one place share their answer (earliest = now): one calendar search per place.
  const fresh = new Map<string, number>();
  const moved = deps.database.sqlite.transaction(() => {
    let count = 0;
    // all(), not iterate(): the connection cannot write while a statement is still reading.
    for (const contact of select.all(settings.listId) as (WaitingContact & { id: number; nextAttemptAt: number | null })[]) {
      let at: number;
      if (contact.attempts === 0 && contact.notBefore === null) {
        const key = `${contact.country ?? ''}|${contact.timezone ?? ''}`;
        at = fresh.get(key) ?? plannedAttemptAt(settings, contact, now);
        fresh.set(key, at);
      } else {
        at = plannedAttemptAt(settings, contact, now);
      }
      if (at === contact.nextAttemptAt || (at <= now && contact.nextAttemptAt !== null && contact.nextAttemptAt <= now)) continue;
      move.run(at, now, contact.id);
      count++;
    }
    prepared(deps.database, 'UPDATE lists SET planned_rules = ? WHERE id = ?').run(rules, settings.listId);
    return count;
  }).immediate();
  deps.logger?.info('waiting contacts re-planned under the rules in force', { listId: settings.listId, moved });
  return moved;
}

/**
 * Saves new settings into a list (`lists set`, the flags of `run`) and, in the same transaction,
 * re-plans its waiting contacts under them, so that `lists show`, `lists plan` and a daemon that
 * starts runs when contacts are due see the new times at once.
 */
export function saveListSettings(options: {
  database: AppDatabase;
  config: { defaultTariff: Tariff; frequencyCaps?: FrequencyCaps | undefined };
  now: number;
  listId: number;
  patch: ListSettingsPatch;
  logger?: Logger | undefined;
}): { list: ListDetails; replanned: number } {
  const { database, listId } = options;
  return database.sqlite.transaction(() => {
    updateListSettings({ database, listId, patch: options.patch });
    const settings = new ListSettingsBook(database, options.config).get(listId);
    const replanned = replanWaiting({ database, logger: options.logger }, settings, options.now);
    return { list: getList({ database, listId }), replanned };
  }).immediate();
}
