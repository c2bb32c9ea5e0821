import type { FrequencyCaps, Tariff } from '../config/index.js';
import { DialingPolicy, parseJsonColumn, SurveyScript } from './settings.js';
import type { SqlReader } from '../db/index.js';
import type { CommentMode } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { TariffSchema } from '../billing/index.js';
import { calleeLanguage, type ReasonSettings, type SurveyLanguage } from '../ivr/index.js';
import { isCallableAt, nextCallableAt, parseCallingHours, rulesForCountry, zonesForContact, type CallingRules } from '../calling-hours/index.js';

/** A list's dialing policy with every default filled in: what the dialer actually does. */
export interface EffectivePolicy {
  cps: number;
  maxConcurrent: number;
  maxAttempts: number;
  retryDelayMs: number;
  /** One calling-hours spec for every callee, or null for each callee's country preset. */
  callingHours: string | null;
  ringingTimerSeconds: number;
  lengthTimerSeconds: number;
  /** Not surveyed again within this many days by the same client (0 = off). */
  minDaysBetweenSurveys: number;
  /** At most this many attempts to one number in 30 days over every list (0 = off). */
  maxAttemptsPer30Days: number;
}

export const DEFAULT_POLICY: EffectivePolicy = {
  // Vonage's default account limit.
  cps: 3,
  maxConcurrent: 30,
  maxAttempts: 3,
  // Attempts spread over different parts of the day reach more people than quick redials.
  retryDelayMs: 2 * 3600_000,
  callingHours: null,
  ringingTimerSeconds: 30,
  lengthTimerSeconds: 300,
  // Delighted's default survey throttle (30 days) and the French 4-calls-per-30-days rule
  // (reference §6.4); CAP_* variables change them for every list.
  minDaysBetweenSurveys: 30,
  maxAttemptsPer30Days: 4,
};

export type PolicyOverrides = Partial<
  Pick<EffectivePolicy, 'cps' | 'maxConcurrent' | 'maxAttempts' | 'retryDelayMs' | 'callingHours' | 'minDaysBetweenSurveys' | 'maxAttemptsPer30Days'>
>;

/** The policy a list dials with: its stored values, else the configured caps, else the defaults. */
export function effectivePolicy(stored: DialingPolicy, overrides: PolicyOverrides = {}, caps: FrequencyCaps = DEFAULT_POLICY): EffectivePolicy {
  return {
    ...DEFAULT_POLICY,
    minDaysBetweenSurveys: caps.minDaysBetweenSurveys,
    maxAttemptsPer30Days: caps.maxAttemptsPer30Days,
    ...(stored.cps !== undefined ? { cps: stored.cps } : {}),
    ...(stored.maxConcurrent !== undefined ? { maxConcurrent: stored.maxConcurrent } : {}),
    ...(stored.maxAttempts !== undefined ? { maxAttempts: stored.maxAttempts } : {}),
    ...(stored.retryDelaySeconds !== undefined ? { retryDelayMs: stored.retryDelaySeconds * 1000 } : {}),
    ...(stored.callingHours !== undefined ? { callingHours: stored.callingHours } : {}),
    ...(stored.minDaysBetweenSurveys !== undefined ? { minDaysBetweenSurveys: stored.minDaysBetweenSurveys } : {}),
    ...(stored.maxAttemptsPer30Days !== undefined ? { maxAttemptsPer30Days: stored.maxAttemptsPer30Days } : {}),
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

/** Where a contact is, for calling hours. */
export interface ContactPlace {
  country: string | null;
  timezone: string | null;
}

/**
 * Calling-hours decisions for one list: the list's own rule for everybody, or each callee's
 * country preset, evaluated in the callee's zone(s); zones are cached per (country, zone).
 */
export class CallingWindows {
  readonly #override: CallingRules | null;
  readonly #defaultTimezone: string | null;
  readonly #zones = new Map<string, string[]>();

  constructor(callingHours: string | null, defaultTimezone: string | null) {
    this.#override = callingHours ? parseCallingHours(callingHours) : null;
    this.#defaultTimezone = defaultTimezone;
  }

  rulesFor(place: ContactPlace): CallingRules {
    return this.#override ?? rulesForCountry(place.country);
  }

  zonesFor(place: ContactPlace): string[] {
    const key = `${place.country ?? ''}|${place.timezone ?? ''}`;
    let zones = this.#zones.get(key);
    if (!zones) {
      zones = zonesForContact({ timezone: place.timezone, country: place.country, defaultTimezone: this.#defaultTimezone });
      this.#zones.set(key, zones);
    }
    return zones;
  }

  isCallable(place: ContactPlace, atMs: number): boolean {
    const zones = this.zonesFor(place);
    return zones.length > 0 && isCallableAt(this.rulesFor(place), zones, place.country, atMs);
  }

  /** The first instant at or after `fromMs` the callee may be called; null when never (no zone, no window). */
  nextCallable(place: ContactPlace, fromMs: number): number | null {
    const zones = this.zonesFor(place);
    return zones.length > 0 ? nextCallableAt(this.rulesFor(place), zones, place.country, fromMs) : null;
  }
}

/** Everything the dialer and the webhook handlers need to know about one list. */
export interface ListSettings {
  listId: number;
  listName: string;
  clientId: number | null;
  company: string;
  question: string | undefined;
  /** What a callee with no language of their own and no known country hears (calleeLanguage). */
  language: SurveyLanguage;
  /** The list's own `--language`, if set: it wins over the countries. */
  explicitLanguage: string | undefined;
  /** The keypad reason question, if the list asks it. */
  reasons: ReasonSettings | undefined;
  /** How the comment after the score is taken (`lists set --comment`). */
  commentMode: CommentMode;
  /** The list's `--country`. */
  defaultCountry: string | null;
  policy: EffectivePolicy;
  tariff: Tariff;
  /** IANA zone for callees of multi-zone countries without their own. */
  defaultTimezone: string | null;
  windows: CallingWindows;
  /** When an operator paused the list (its runs start no call); null while it may be dialled. */
  pausedAt: number | null;
}

/** The stored row a list's settings are built from; the same text means the same settings. */
interface ListRow {
  id: number;
  name: string;
  clientId: number | null;
  clientName: string | null;
  script: string;
  policy: string;
  tariff: string | null;
  defaultTimezone: string | null;
  defaultCountry: string | null;
  pausedAt: number | null;
}

const LIST_SQL = `SELECT l.id, l.name, l.client_id AS "clientId", c.name AS "clientName", l.script, l.policy, l.tariff, l.default_timezone AS "defaultTimezone",
  l.default_country AS "defaultCountry", l.paused_at AS "pausedAt"
  FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ? AND l.state = 'ready'`;

/** What a list's settings default to when it does not say: the configuration's. */
type SettingsDefaults = { defaultTariff: Tariff; frequencyCaps?: FrequencyCaps | undefined };

const fingerprint = (row: ListRow) =>
  JSON.stringify([row.name, row.clientId, row.clientName, row.script, row.policy, row.tariff, row.defaultTimezone, row.defaultCountry, row.pausedAt]);

/**
 * What `ListSettingsBook.get` throws for a list it has not loaded: a caller read the settings
 * before `load`. A unit of work that meets it has written nothing that stays (it is rolled back);
 * `runCallUnit` loads the list and runs the unit again.
 */
export class ListNotLoadedError extends Error {
  readonly listId: number;

  constructor(listId: number) {
    super(`the settings of list ${listId} were read before they were loaded: \`await lists.load(${listId})\` first (outside any unit of work)`);
    this.name = 'ListNotLoadedError';
    this.listId = listId;
  }
}

/**
 * The lists' settings, read once per list and kept. Reading is asynchronous (`load`, through the
 * read models' port, on SQLite or PostgreSQL); `get` answers synchronously from what was loaded,
 * because units of work (the webhooks' settling, billing, the IVR's texts) read settings between
 * their store calls, where nothing else may be awaited. `lists set` may change settings while a run
 * is going (from another process): the run asks `reloadIfChanged` on every turn of its loop, and a
 * status event that may settle a contact does so just before its unit, so the webhook handlers
 * settle calls under the new settings too. `invalidate` forgets a list; the next `load` reads it.
 */
export class ListSettingsBook {
  readonly #reader: SqlReader;
  readonly #defaults: SettingsDefaults;
  readonly #cache = new Map<number, { settings: ListSettings; fingerprint: string }>();
  /** Counts `invalidate` calls: a read that began before one must not put back what it forgot. */
  #invalidations = 0;

  constructor(reader: SqlReader, config: SettingsDefaults) {
    this.#reader = reader;
    this.#defaults = { defaultTariff: config.defaultTariff, frequencyCaps: config.frequencyCaps };
  }

  /** The list's settings, read unless already loaded; NOT_FOUND for no ready list. */
  async load(listId: number): Promise<ListSettings> {
    const settings = await this.find(listId);
    if (!settings) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
    return settings;
  }

  /** Like `load`, but undefined for no ready list. */
  async find(listId: number): Promise<ListSettings | undefined> {
    const cached = this.#cache.get(listId);
    if (cached) return cached.settings;
    const invalidations = this.#invalidations;
    const row = await this.#row(listId);
    if (!row) return undefined;
    // Another caller may have loaded it meanwhile: the first stays, so `get` keeps its identity.
    const entry = this.#cache.get(listId) ?? { settings: settingsOf(row, this.#defaults), fingerprint: fingerprint(row) };
    if (invalidations === this.#invalidations) this.#cache.set(listId, entry);
    return entry.settings;
  }

  /** The settings `load` read; throws ListNotLoadedError for a list not loaded (or invalidated since). */
  get(listId: number): ListSettings {
    const entry = this.#cache.get(listId);
    if (!entry) throw new ListNotLoadedError(listId);
    return entry.settings;
  }

  /** Forgets a list's settings, e.g. after `run` saved new flags: the next `load` reads them again. */
  invalidate(listId: number): void {
    this.#invalidations++;
    this.#cache.delete(listId);
  }

  /**
   * Reads the list's stored settings again (one row by primary key) and keeps them if they changed
   * since they were loaded, or were not loaded; returns whether `get` now answers differently. A
   * list that is no longer ready keeps what was loaded.
   */
  async reloadIfChanged(listId: number): Promise<boolean> {
    const invalidations = this.#invalidations;
    const row = await this.#row(listId);
    if (!row || invalidations !== this.#invalidations) return false;
    const cached = this.#cache.get(listId);
    if (cached && fingerprint(row) === cached.fingerprint) return false;
    this.#cache.set(listId, { settings: settingsOf(row, this.#defaults), fingerprint: fingerprint(row) });
    return true;
  }

  #row(listId: number): Promise<ListRow | undefined> {
    return this.#reader.get<ListRow>(LIST_SQL, [listId]);
  }
}

/** A list's settings from its row: the script and policy parsed, every default filled in. */
function settingsOf(row: ListRow, defaults: SettingsDefaults): ListSettings {
  const script = parseJsonColumn(SurveyScript, row.script, 'survey script');
  const policy = effectivePolicy(parseJsonColumn(DialingPolicy, row.policy, 'dialing policy'), {}, defaults.frequencyCaps ?? DEFAULT_POLICY);
  return {
    listId: row.id,
    listName: row.name,
    clientId: row.clientId,
    company: script.company ?? row.clientName ?? row.name,
    question: script.question,
    language: calleeLanguage({ listLanguage: script.language, listCountry: row.defaultCountry }),
    explicitLanguage: script.language,
    reasons: script.reasons,
    commentMode: script.comment ?? 'recording',
    defaultCountry: row.defaultCountry,
    policy,
    tariff: row.tariff ? parseJsonColumn(TariffSchema, row.tariff, 'tariff') : defaults.defaultTariff,
    defaultTimezone: row.defaultTimezone,
    windows: new CallingWindows(policy.callingHours, row.defaultTimezone),
    pausedAt: row.pausedAt,
  };
}
