import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import type { FrequencyCaps, Tariff } from '../config/index.js';
import { canonicalTimeZone, normalizePhone } from '../contacts/index.js';
import type { SqlReader } from '../db/index.js';
import type { TriggerStatus } from '../db/schema/index.js';
import { ListSettingsBook, type ListSettings } from '../contacts/index.js';
import { hoursScreening, screenContact, screeningCaps, type Screening } from '../dialer/index.js';
import { AppError } from '../errors/index.js';
import { SURVEY_LANGUAGES } from '../ivr/index.js';
import { maskPhone, type Logger } from '../logging/index.js';
import type { RecordedTrigger, TriggerStore } from './store.js';
import type { TriggerUnits } from './units.js';

/** A `notBefore` further ahead than this is refused as a mistake (a post-call survey is about a recent call). */
export const MAX_NOT_BEFORE_MS = 7 * 86_400_000;

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** Attribute names the request may not use: they have their own fields or built-in meanings. */
const RESERVED_ATTRIBUTES = new Set(['agent', 'language', 'phone', 'name', 'timezone']);

/** "required: …" when a field is missing, "must be …" when it has another type (`"listId": "7"`). */
const typeError = (type: string, required: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `required: ${required}` : `must be ${type}, got ${JSON.stringify(issue.input) ?? typeof issue.input}`;

/** The body of POST /api/v1/surveys (and what `surveys trigger` builds from its flags). */
export const TriggerRequest = z.strictObject(
  {
    phone: z.string({ error: typeError('a string', 'the number to call, in E.164 like +48501234567') }).trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters'),
    listId: z.number({ error: typeError('a number', 'the id of a list that accepts triggered surveys') }).int('must be a whole number').positive('must be a positive list id'),
    agent: z.string({ error: typeError('a string', 'the agent whose conversation the survey rates') }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    attributes: z
      .record(
        z.string().refine((k) => ATTRIBUTE_NAME.test(k) && !RESERVED_ATTRIBUTES.has(k.toLowerCase()), {
          error: (issue) => `'${String(issue.input)}' is not an attribute name we accept: a letter, then letters, digits, _ or - (at most 40), and not ${[...RESERVED_ATTRIBUTES].join(', ')}`,
        }),
        z.union([z.string().max(200, 'must be at most 200 characters'), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }),
      )
      .refine((a) => Object.keys(a).length <= 20, 'at most 20 attributes')
      .optional(),
    notBefore: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-01-05T10:00:00Z' }).optional(),
    language: z.enum(SURVEY_LANGUAGES, { error: `must be one of ${SURVEY_LANGUAGES.join(', ')}` }).optional(),
    timezone: z
      .string()
      .refine((zone) => canonicalTimeZone(zone) !== null, { error: (issue) => `'${String(issue.input)}' is not an IANA time zone, e.g. Europe/Warsaw` })
      .optional(),
  },
  // Only for a body that is not an object at all; unknown keys keep their own message.
  { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object: {phone, listId, agent, attributes?, notBefore?, language?, timezone?}' : undefined) },
);
export type TriggerRequest = z.infer<typeof TriggerRequest>;

/** Idempotency keys as clients send them: visible ASCII, at most 200 characters. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1 to 200 visible ASCII characters');

/** Why a trigger is scheduled for later or refused; `lists plan` uses the same names. */
export type TriggerReason = 'not_before' | 'outside_window' | 'suppressed' | 'recent_survey' | 'attempt_cap' | 'no_time_zone' | 'no_window' | 'already_in_list';

/** The 202 body (and the CLI's JSON): identical for every replay of the same key. */
export interface TriggerResult {
  surveyId: number;
  listId: number;
  status: TriggerStatus;
  reason: TriggerReason | null;
  message: string;
  /** When the call is due (ISO 8601 UTC); null when refused. */
  callAt: string | null;
}

export interface TriggerDeps {
  /** The trigger's unit of work: its decision is read and written in one transaction. */
  units: TriggerUnits;
  /** What the list's settings are read through (`ListSettingsBook`), with the defaults of the config. */
  reader: SqlReader;
  config: { defaultTariff: Tariff; frequencyCaps?: FrequencyCaps | undefined };
  clock: Clock;
  logger: Logger;
}

export interface TriggerInput {
  /** The API caller: the list must be theirs. Undefined for the operator's CLI (any list). */
  clientId?: number | undefined;
  idempotencyKey?: string | undefined;
  request: unknown;
}

/**
 * Queues a post-call survey: a new contact in a list that accepts triggers, with the agent and the
 * attributes as the contact's attributes (so the report's breakdowns, the per-agent results and
 * the alerts see them), due now or at `notBefore`. It runs the dialer's own screening first, so a
 * number the dialer would not call is refused here with the reason, and one outside the callee's
 * calling hours is scheduled for the next opening. The dialer screens again when the call is due.
 *
 * Idempotent with a key: the first request's answer is stored and returned again for the same key
 * and body; the same key with another body is a CONFLICT. A number is surveyed once per list (the
 * contact is unique per number and list), so repeated triggers for one customer need a list per
 * period; the frequency caps usually forbid a second survey within weeks anyway.
 *
 * The whole decision is one unit of work: two requests with the same key, or for the same number,
 * never both add a contact.
 */
export async function triggerSurvey(deps: TriggerDeps, input: TriggerInput): Promise<{ result: TriggerResult; replayed: boolean }> {
  const parsed = TriggerRequest.safeParse(input.request);
  if (!parsed.success) throw new AppError('INPUT_INVALID', describeIssues(parsed.error));
  const request = parsed.data;
  let key: string | undefined;
  if (input.idempotencyKey !== undefined) {
    const checked = IdempotencyKey.safeParse(input.idempotencyKey);
    if (!checked.success) throw new AppError('INPUT_INVALID', checked.error.issues[0]!.message);
    key = checked.data;
  }
  const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
  // Read before the unit, which may await only its stores; the unit decides whether the list is the caller's.
  const settings = await new ListSettingsBook(deps.reader, deps.config).find(request.listId);
  const now = deps.clock.now();

  // Only the stores are awaited inside the unit (docs/adr/0013-store-ports.md); the log follows its commit.
  const outcome = await deps.units.run(async ({ triggers }) => {
    const list = await triggers.listForTrigger(request.listId);
    // Another client's list answers exactly like a missing one.
    if (!list || !settings || (input.clientId !== undefined && list.clientId !== input.clientId)) {
      throw new AppError('NOT_FOUND', `list ${request.listId} does not exist`);
    }
    const scope = list.clientId ?? 0;
    if (key !== undefined) {
      const earlier = await triggers.earlier(scope, key);
      if (earlier) {
        if (earlier.requestHash !== requestHash) {
          throw new AppError('CONFLICT', `Idempotency-Key '${key}' was already used with a different request (survey ${earlier.surveyId}); use a new key for a new survey`);
        }
        return { result: toResult(earlier), replayed: true, phone: null };
      }
    }
    if (!list.acceptsTriggers) {
      throw new AppError('CONFLICT', `list ${list.id} does not accept triggered surveys; the operator enables it with \`nps-dialer lists set ${list.id} --accept-triggers\``);
    }
    const phone = normalizePhone(request.phone, (list.defaultCountry ?? undefined) as Parameters<typeof normalizePhone>[1]);
    if (!phone.ok) throw new AppError('INPUT_INVALID', `phone: '${request.phone}' ${phone.reason}`);
    const timezone = request.timezone ? canonicalTimeZone(request.timezone) : null;
    const notBefore = request.notBefore ? Date.parse(request.notBefore) : now;
    if (notBefore - now > MAX_NOT_BEFORE_MS) throw new AppError('INPUT_INVALID', `notBefore: ${request.notBefore} is more than 7 days ahead`);
    const verdict = await decide(triggers, settings, { phoneE164: phone.e164, country: phone.country ?? null, timezone }, now, Math.max(now, notBefore));

    let contactId: number | null = null;
    if (verdict.status !== 'refused') {
      contactId = await triggers.addContact({
        listId: list.id,
        phoneE164: phone.e164,
        country: phone.country ?? null,
        language: request.language ?? null,
        timezone,
        attributes: { ...(request.attributes ?? {}), agent: request.agent },
        callAt: verdict.callAt!,
        notBefore: request.notBefore ? notBefore : null,
        at: now,
      });
    }
    const recorded = await triggers.record({
      clientId: list.clientId,
      listId: list.id,
      contactId,
      phoneE164: phone.e164,
      agent: request.agent,
      scope,
      key: key ?? null,
      requestHash,
      status: verdict.status,
      reason: verdict.reason,
      message: verdict.message,
      callAt: verdict.callAt,
      at: now,
    });
    return { result: toResult(recorded), replayed: false, phone: phone.e164 };
  });
  if (!outcome.replayed) {
    deps.logger.info('survey triggered', {
      listId: outcome.result.listId,
      surveyId: outcome.result.surveyId,
      status: outcome.result.status,
      reason: outcome.result.reason,
      phone: maskPhone(outcome.phone),
    });
  }
  return { result: outcome.result, replayed: outcome.replayed };
}

const toResult = (row: RecordedTrigger): TriggerResult => ({
  surveyId: row.surveyId,
  listId: row.listId,
  status: row.status,
  reason: row.reason,
  message: row.message,
  callAt: row.callAt === null ? null : new Date(row.callAt).toISOString(),
});

interface Verdict {
  status: TriggerStatus;
  reason: TriggerReason | null;
  message: string;
  callAt: number | null;
}

/**
 * The dialer's screening, asked now (suppression, frequency caps) and at the requested time
 * (calling hours), plus the one rule of triggers: a number is in a list once.
 */
async function decide(
  triggers: TriggerStore,
  settings: ListSettings,
  callee: { phoneE164: string; country: string | null; timezone: string | null },
  now: number,
  at: number,
): Promise<Verdict> {
  const refused = (reason: TriggerReason, message: string): Verdict => ({ status: 'refused', reason, message, callAt: null });
  const existing = await triggers.statusInList(settings.listId, callee.phoneE164);
  if (existing) {
    return refused(
      'already_in_list',
      `${maskPhone(callee.phoneE164)} is already in list ${settings.listId} (status ${existing}); a number is surveyed once per list, so use a list per period`,
    );
  }
  const contact = { id: 0, listId: settings.listId, ...callee };
  const verdict: Screening = screenContact(settings, contact, await triggers.screeningFacts(contact, screeningCaps(settings), now), now);
  switch (verdict.kind) {
    case 'suppressed':
      return refused('suppressed', `${maskPhone(callee.phoneE164)} is on the do-not-call list and is never called`);
    case 'recent_survey':
      return refused(
        'recent_survey',
        `frequency cap: a person at this number answered a survey for this client on ${new Date(verdict.surveyedAt).toISOString().slice(0, 10)} (list ${verdict.listId}); ` +
          `not surveyed again within ${settings.policy.minDaysBetweenSurveys} days`,
      );
    case 'attempt_cap':
      return refused('attempt_cap', `frequency cap: this number had ${verdict.attempts} call attempts in the last 30 days over every list (at most ${settings.policy.maxAttemptsPer30Days})`);
    case 'no_time_zone':
      return refused('no_time_zone', `the callee's local time is unknown (no country or zone for ${maskPhone(callee.phoneE164)}); send a timezone`);
    case 'no_window':
      return refused('no_window', "the list's calling hours never open for this callee");
    case 'callable':
    case 'outside_window':
    case 'live_elsewhere':
      break;
    default: {
      const unreachable: never = verdict;
      throw new Error(`unknown screening ${String(unreachable)}`);
    }
  }
  // Calling hours are asked at the requested time; a live call elsewhere is the dialer's to wait for.
  const hours = hoursScreening(settings, contact, at);
  if (hours?.kind === 'no_time_zone') return refused('no_time_zone', `the callee's local time is unknown; send a timezone`);
  if (hours?.kind === 'no_window') return refused('no_window', "the list's calling hours never open for this callee");
  if (hours?.kind === 'outside_window') {
    const zone = settings.windows.zonesFor(contact)[0];
    const local = zone ? ` (${DateTime.fromMillis(hours.nextAt, { zone }).toFormat("ccc HH:mm 'in' z")})` : '';
    return {
      status: 'scheduled',
      reason: 'outside_window',
      message: `outside the callee's calling hours until ${new Date(hours.nextAt).toISOString()}${local}; the call is scheduled for then`,
      callAt: hours.nextAt,
    };
  }
  if (at > now) return { status: 'scheduled', reason: 'not_before', message: `scheduled for ${new Date(at).toISOString()} (notBefore)`, callAt: at };
  return { status: 'queued', reason: null, message: 'queued: the call starts within a minute, subject to the list pace', callAt: now };
}

/** Every problem of the body, each naming its field; a bad attribute name says which rule it breaks. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return issue.path.length ? `${issue.path.join('.')}: ${message}` : message;
    })
    .join('; ');
}

/** JSON with object keys sorted, so that the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
