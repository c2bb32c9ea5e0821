import { prepared, type AppDatabase } from '../db/index.js';
import type { ContactStatus, TriggerStatus } from '../db/schema/index.js';
import { sqliteScreeningFacts, type ScreeningCaps, type ScreeningFacts } from '../dialer/index.js';
import type { TriggerReason } from './post-call.js';

/** A ready list as a trigger sees it. */
export interface TriggerList {
  id: number;
  /** The list's client; null for a list without one (triggered from the CLI only). */
  clientId: number | null;
  /** The country a national number is read in. */
  defaultCountry: string | null;
  acceptsTriggers: boolean;
}

/** A stored trigger: what its answer (the 202 body) is made of, and the hash of the request that made it. */
export interface RecordedTrigger {
  surveyId: number;
  listId: number;
  status: TriggerStatus;
  reason: TriggerReason | null;
  message: string;
  /** When the call is due; null when refused. */
  callAt: number | null;
  requestHash: string;
}

/** The contact a queued or scheduled trigger adds to its list, pending. */
export interface TriggeredContact {
  listId: number;
  phoneE164: string;
  country: string | null;
  language: string | null;
  timezone: string | null;
  attributes: Record<string, string | number | boolean>;
  /** When the first attempt is due. */
  callAt: number;
  /** The request's notBefore, kept apart from the call time: new calling hours never move a call before it. */
  notBefore: number | null;
  at: number;
}

/** A trigger's answer, with what identifies its request. */
export interface NewTrigger {
  clientId: number | null;
  listId: number;
  /** The contact it added; null when refused. */
  contactId: number | null;
  phoneE164: string;
  agent: string;
  /** Whose idempotency keys this one's must not collide with: the client, 0 for a list without one. */
  scope: number;
  key: string | null;
  requestHash: string;
  status: TriggerStatus;
  reason: TriggerReason | null;
  message: string;
  callAt: number | null;
  at: number;
}

/**
 * The triggered surveys' store (docs/adr/0013-store-ports.md): the only code that speaks SQL for
 * a post-call trigger, in the trigger's own terms. Asynchronous, so that PostgreSQL is a second
 * adapter behind the same calls; SQLite's adapter answers at once. A trigger's decision (read the
 * list and an earlier request, screen, add the contact, record the answer) runs in one unit of work
 * (`TriggerUnits`), so that two requests with the same key or number never both add a contact:
 * the second gets the first's answer, or finds its contact in the list. A unit asks `earlier`,
 * then `statusInList`, then `addContact`, the order in which the PostgreSQL adapter locks.
 * Every adapter passes test/triggers/store-conformance.ts.
 */
export interface TriggerStore {
  /** The ready list `listId` as a trigger sees it; undefined when there is none (or it is still importing). */
  listForTrigger(listId: number): Promise<TriggerList | undefined>;
  /** The trigger recorded earlier with this idempotency key in this scope. */
  earlier(scope: number, key: string): Promise<RecordedTrigger | undefined>;
  /** The status of the list's contact for this number; undefined when the number is not in the list. */
  statusInList(listId: number, phoneE164: string): Promise<ContactStatus | undefined>;
  /** What the dialer's screening asks of the database about a number (the rules are `screenContact`'s). */
  screeningFacts(contact: { listId: number; phoneE164: string }, caps: ScreeningCaps, now: number): Promise<ScreeningFacts>;
  /**
   * Adds the contact, pending, with the next row number of its list (row 1 being a file's header);
   * returns its id. Rejects when the number is in the list already (one contact per number and list).
   */
  addContact(contact: TriggeredContact): Promise<number>;
  /** Stores the trigger's answer; returns it as stored, with its survey id. */
  record(trigger: NewTrigger): Promise<RecordedTrigger>;
}

const TRIGGER_COLUMNS = `id AS surveyId, list_id AS listId, status, reason, message, call_at AS callAt, request_hash AS requestHash`;

/** The triggered surveys' store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteTriggerStore implements TriggerStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  async listForTrigger(listId: number): Promise<TriggerList | undefined> {
    const row = prepared(
      this.#database,
      `SELECT id, client_id AS clientId, default_country AS defaultCountry, accepts_triggers AS acceptsTriggers FROM lists WHERE id = ? AND state = 'ready'`,
    ).get(listId) as (Omit<TriggerList, 'acceptsTriggers'> & { acceptsTriggers: number }) | undefined;
    return row && { ...row, acceptsTriggers: row.acceptsTriggers === 1 };
  }

  async earlier(scope: number, key: string): Promise<RecordedTrigger | undefined> {
    return prepared(this.#database, `SELECT ${TRIGGER_COLUMNS} FROM survey_triggers WHERE idempotency_scope = ? AND idempotency_key = ?`).get(scope, key) as RecordedTrigger | undefined;
  }

  async statusInList(listId: number, phoneE164: string): Promise<ContactStatus | undefined> {
    const row = prepared(this.#database, 'SELECT status FROM contacts WHERE phone_e164 = ? AND list_id = ?').get(phoneE164, listId) as { status: ContactStatus } | undefined;
    return row?.status;
  }

  async screeningFacts(contact: { listId: number; phoneE164: string }, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
    return sqliteScreeningFacts(this.#database, contact, caps, now);
  }

  async addContact(contact: TriggeredContact): Promise<number> {
    const row = prepared(
      this.#database,
      `INSERT INTO contacts (list_id, row_number, phone_e164, country, language, timezone, attributes, status, attempts, next_attempt_at, not_before, updated_at)
       VALUES (?, (SELECT coalesce(max(row_number), 1) + 1 FROM contacts WHERE list_id = ?), ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) RETURNING id`,
    ).get(
      contact.listId,
      contact.listId,
      contact.phoneE164,
      contact.country,
      contact.language,
      contact.timezone,
      JSON.stringify(contact.attributes),
      contact.callAt,
      contact.notBefore,
      contact.at,
    ) as { id: number };
    return row.id;
  }

  async record(trigger: NewTrigger): Promise<RecordedTrigger> {
    return prepared(
      this.#database,
      `INSERT INTO survey_triggers (client_id, list_id, contact_id, phone_e164, agent, idempotency_scope, idempotency_key, request_hash, status, reason, message, call_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${TRIGGER_COLUMNS}`,
    ).get(
      trigger.clientId,
      trigger.listId,
      trigger.contactId,
      trigger.phoneE164,
      trigger.agent,
      trigger.scope,
      trigger.key,
      trigger.requestHash,
      trigger.status,
      trigger.reason,
      trigger.message,
      trigger.callAt,
      trigger.at,
    ) as RecordedTrigger;
  }
}
