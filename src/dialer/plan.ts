import { DateTime } from 'luxon';
import type { SqlReader } from '../db/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import { calleeLanguage, type SurveyLanguage } from '../ivr/index.js';
import { maskPhone } from '../logging/index.js';
import { ATTEMPT_CAP_WINDOW_MS } from './run-store.js';
import { SCREENING_SQL, screenContact, screeningCaps, type Screening, type ScreeningCaps, type ScreeningFacts } from './screening.js';
import type { ListSettingsBook } from '../contacts/index.js';
import { earliestAttemptAt, LAST_ENDED_AT_SQL, type WaitingContact } from './waiting.js';

/**
 * Why a contact would or would not be called, in the order a reader cares: who is called now,
 * who later, and who never (with the reason).
 */
export const PLAN_REASONS = [
  'due_now',
  'retry_later',
  'outside_window',
  'live_elsewhere',
  'in_call',
  'suppressed',
  'recent_survey',
  'attempt_cap',
  'attempts_used',
  'no_time_zone',
  'no_window',
  'final',
] as const;
export type PlanReason = (typeof PLAN_REASONS)[number];

export const PLAN_REASON_TEXT: Record<PlanReason, string> = {
  due_now: 'due now: called as soon as a slot is free',
  retry_later: 'waiting for the retry delay',
  outside_window: "outside the callee's calling hours until the time shown",
  live_elsewhere: 'on a live call in another list; looked at again shortly',
  in_call: 'on a call now',
  suppressed: 'on the do-not-call list (excluded)',
  recent_survey: 'frequency cap: a person answered for this client recently (excluded)',
  attempt_cap: 'frequency cap: too many attempts in the last 30 days over all lists (excluded)',
  attempts_used: 'every allowed attempt was made (excluded)',
  no_time_zone: 'no time zone: no valid country or zone for the number (excluded)',
  no_window: 'the calling hours never open for this callee (excluded)',
  final: 'already final',
};

/** Verdicts: called at `nextCallAt`, on a call now, excluded for good, or already done. */
export type PlanVerdict = 'call' | 'in_call' | 'excluded' | 'final';

export interface PlanRow {
  contactId: number;
  /** The contact's row in the uploaded file. */
  row: number;
  /** Masked to the last three digits, as in logs and the default report CSV. */
  phone: string;
  country: string | null;
  /** The survey language the callee will hear (docs/cli.md: the contact's column, the list's --language, the country). */
  language: SurveyLanguage;
  /** The zone the callee's hours are read in, or `US: 29 zones` when the country's overlap is used. */
  zone: string | null;
  status: ContactStatus;
  attempts: number;
  verdict: PlanVerdict;
  reason: PlanReason;
  /** Epoch ms of the first instant the dialer would start this call, for verdict `call`. */
  nextCallAt: number | null;
  /** The same instant as ISO-8601 in the callee's zone (its first zone when there are several). */
  nextCallLocal: string | null;
  /** Human detail: the cap's date, the final status ... */
  detail: string | null;
}

export interface ListPlan {
  listId: number;
  listName: string;
  /** The instant the plan is for (now). */
  at: number;
  policy: {
    cps: number;
    maxConcurrent: number;
    maxAttempts: number;
    retryDelayMs: number;
    callingHours: string;
    minDaysBetweenSurveys: number;
    maxAttemptsPer30Days: number;
  };
  contacts: number;
  byReason: { reason: PlanReason; verdict: PlanVerdict; contacts: number; description: string }[];
  /** Upcoming first calls per UTC hour (verdict `call`), earliest first. */
  byHour: { hourStartsAt: number; contacts: number }[];
  /** The languages the contacts still to be called (verdict `call`) will hear, most first. */
  byLanguage: { language: SurveyLanguage; contacts: number }[];
  /** Seconds the contacts due now take to dial at the list's pace (cps), a lower bound. */
  dueNowDialSeconds: number;
  rows: PlanRow[];
}

interface PlanContact extends WaitingContact {
  id: number;
  language: string | null;
  listId: number;
  row: number;
  phoneE164: string;
  status: ContactStatus;
}

/**
 * A dry run of the dialer on one list: for every contact, when the loop would call it or why it
 * never will, using the same screening as the loop (screenContact) at `now`. Writes nothing, so it
 * runs beside a dialer, on one snapshot of the database. Frequency caps and suppressions are read
 * as they are now; answers given in other lists later can still exclude a contact.
 */
export async function planList(options: { reader: SqlReader; lists: ListSettingsBook; listId: number; now: number }): Promise<ListPlan> {
  const { now } = options;
  const settings = await options.lists.load(options.listId);
  const policy = settings.policy;
  const caps = screeningCaps(settings);
  const rows = await options.reader.snapshot(async (reader) => {
    const contacts = await reader.all<PlanContact>(
      `SELECT c.id, c.list_id AS "listId", c.row_number AS "row", c.phone_e164 AS "phoneE164", c.country, c.language, c.timezone, c.status, c.attempts,
         c.not_before AS "notBefore", ${LAST_ENDED_AT_SQL}
       FROM contacts c WHERE c.list_id = ? ORDER BY c.row_number`,
      [options.listId],
    );
    const planned: PlanRow[] = [];
    for (const contact of contacts) planned.push(await planContact(reader, contact));
    return planned;
  });
  const counts = new Map<PlanReason, { verdict: PlanVerdict; contacts: number }>();
  const hours = new Map<number, number>();
  const languages = new Map<SurveyLanguage, number>();
  for (const r of rows) {
    if (r.verdict === 'call') languages.set(r.language, (languages.get(r.language) ?? 0) + 1);
    const entry = counts.get(r.reason) ?? { verdict: r.verdict, contacts: 0 };
    entry.contacts++;
    counts.set(r.reason, entry);
    if (r.nextCallAt !== null) {
      const hour = Math.floor(r.nextCallAt / 3600_000) * 3600_000;
      hours.set(hour, (hours.get(hour) ?? 0) + 1);
    }
  }
  return {
    listId: settings.listId,
    listName: settings.listName,
    at: now,
    policy: {
      cps: policy.cps,
      maxConcurrent: policy.maxConcurrent,
      maxAttempts: policy.maxAttempts,
      retryDelayMs: policy.retryDelayMs,
      callingHours: policy.callingHours ?? "each callee's country preset",
      minDaysBetweenSurveys: policy.minDaysBetweenSurveys,
      maxAttemptsPer30Days: policy.maxAttemptsPer30Days,
    },
    contacts: rows.length,
    byReason: PLAN_REASONS.filter((r) => counts.has(r)).map((reason) => ({ reason, ...counts.get(reason)!, description: PLAN_REASON_TEXT[reason] })),
    byLanguage: [...languages.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([language, contacts]) => ({ language, contacts })),
    byHour: [...hours.entries()].sort((a, b) => a[0] - b[0]).map(([hourStartsAt, n]) => ({ hourStartsAt, contacts: n })),
    dueNowDialSeconds: Math.ceil((counts.get('due_now')?.contacts ?? 0) / policy.cps),
    rows,
  };

  async function planContact(reader: SqlReader, contact: PlanContact): Promise<PlanRow> {
    const zones = settings.windows.zonesFor(contact);
    const base = {
      contactId: contact.id,
      row: contact.row,
      phone: maskPhone(contact.phoneE164),
      country: contact.country,
      language: calleeLanguage({ contactLanguage: contact.language, contactCountry: contact.country, listLanguage: settings.explicitLanguage, listCountry: settings.defaultCountry }),
      zone: zones.length === 0 ? null : zones.length === 1 ? zones[0]! : `${contact.country ?? '?'}: ${zones.length} zones`,
      status: contact.status,
      attempts: contact.attempts,
    };
    const row = (verdict: PlanVerdict, reason: PlanReason, nextCallAt: number | null = null, detail: string | null = null): PlanRow => ({
      ...base,
      verdict,
      reason,
      nextCallAt,
      nextCallLocal: nextCallAt === null || zones.length === 0 ? null : DateTime.fromMillis(nextCallAt, { zone: zones[0]! }).toISO({ suppressMilliseconds: true }),
      detail,
    });
    if (contact.status === 'dialing') return row('in_call', 'in_call');
    if (contact.status !== 'pending') return row('final', 'final', null, contact.status);
    if (contact.attempts >= policy.maxAttempts) return row('excluded', 'attempts_used', null, `${contact.attempts} of ${policy.maxAttempts}`);
    // The loop looks at a contact when it is due under the rules in force (its run re-plans the
    // waiting contacts first: plannedAttemptAt); what it decides then is what the screening says
    // at that instant, except that caps are judged on today's data.
    const dueAt = earliestAttemptAt(policy, contact, now);
    const verdict: Screening = screenContact(settings, contact, await screeningFacts(reader, contact, caps, now), now);
    switch (verdict.kind) {
      case 'suppressed':
        return row('excluded', 'suppressed');
      case 'recent_survey':
        return row('excluded', 'recent_survey', null, `answered in list ${verdict.listId} on ${new Date(verdict.surveyedAt).toISOString().slice(0, 10)}`);
      case 'attempt_cap':
        return row('excluded', 'attempt_cap', null, `${verdict.attempts} attempts in 30 days`);
      case 'no_time_zone':
        return row('excluded', 'no_time_zone', null, contact.timezone ? `unknown zone '${contact.timezone}'` : null);
      case 'no_window':
        return row('excluded', 'no_window');
      case 'live_elsewhere':
        return row('call', 'live_elsewhere', Math.max(dueAt, verdict.recheckAt));
      case 'outside_window':
      case 'callable': {
        const at = settings.windows.nextCallable(contact, dueAt);
        if (at === null) return row('excluded', 'no_window');
        if (at <= now) return row('call', 'due_now', now);
        const waitingForRetry = contact.attempts > 0 && dueAt > now && at === dueAt;
        return row('call', waitingForRetry ? 'retry_later' : 'outside_window', at);
      }
      default: {
        const unreachable: never = verdict;
        throw new Error(`unknown screening ${String(unreachable)}`);
      }
    }
  }
}

const DAY_MS = 86_400_000;

/**
 * What the screening asks of the database about a number, through the read models' port: the
 * lookups and the caps of the dialer's own (`RunStore.screeningFacts`), on either engine.
 */
async function screeningFacts(reader: SqlReader, contact: Pick<PlanContact, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
  const recent = caps.minDaysBetweenSurveys > 0 ? await reader.get<{ at: number; listId: number }>(SCREENING_SQL.recentSurvey, [contact.phoneE164, contact.listId, caps.clientId, now - caps.minDaysBetweenSurveys * DAY_MS]) : undefined;
  const attempts = caps.maxAttemptsPer30Days > 0 ? (await reader.get<{ n: number }>(SCREENING_SQL.attemptsSince, [contact.phoneE164, now - ATTEMPT_CAP_WINDOW_MS]))!.n : null;
  return {
    suppressed: (await reader.get('SELECT 1 AS one FROM suppressions WHERE phone_e164 = ?', [contact.phoneE164])) !== undefined,
    recentSurvey: recent ?? null,
    attemptsLast30Days: attempts,
    liveElsewhere: (await reader.get(SCREENING_SQL.liveElsewhere, [contact.phoneE164, contact.listId])) !== undefined,
  };
}

/** How many of the list's contacts hear each survey language (calleeLanguage), most first. */
export async function listLanguages(options: { reader: SqlReader; lists: ListSettingsBook; listId: number }): Promise<{ language: SurveyLanguage; contacts: number }[]> {
  const settings = await options.lists.load(options.listId);
  const groups = await options.reader.all<{ language: string | null; country: string | null; n: number }>(
    'SELECT language, country, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY language, country',
    [options.listId],
  );
  const counts = new Map<SurveyLanguage, number>();
  for (const g of groups) {
    const language = calleeLanguage({ contactLanguage: g.language, contactCountry: g.country, listLanguage: settings.explicitLanguage, listCountry: settings.defaultCountry });
    counts.set(language, (counts.get(language) ?? 0) + g.n);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([language, contacts]) => ({ language, contacts }));
}
