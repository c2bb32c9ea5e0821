import type { AppDatabase } from '../db/index.js';
import type { AnsweredBy, CallEventKind, CallOutcome, CallState, ContactStatus, IvrStage } from '../db/schema/index.js';

/** A call attempt as the handlers need it. */
export interface CallRow {
  id: number;
  contactId: number;
  listId: number;
  attempt: number;
  ref: string;
  providerUuid: string | null;
  state: CallState;
  outcome: CallOutcome | null;
  answeredBy: AnsweredBy | null;
  answeredAt: number | null;
  durationSeconds: number | null;
  providerPriceMicros: number | null;
  ivrStage: IvrStage | null;
  optedOut: boolean;
}

export interface ContactRow {
  id: number;
  listId: number;
  phoneE164: string;
  country: string | null;
  timezone: string | null;
  language: string | null;
  name: string | null;
  status: ContactStatus;
  attempts: number;
}

const CALL_COLUMNS = `id, contact_id AS contactId, list_id AS listId, attempt, ref, provider_uuid AS providerUuid, state, outcome,
  answered_by AS answeredBy, answered_at AS answeredAt, duration_seconds AS durationSeconds,
  provider_price_micros AS providerPriceMicros, ivr_stage AS ivrStage, opted_out AS optedOut`;

const CONTACT_COLUMNS = `id, list_id AS listId, phone_e164 AS phoneE164, country, timezone, language, name, status, attempts`;

type Raw<T> = Omit<T, 'optedOut'> & { optedOut: number };
const toCall = (row: Raw<CallRow> | undefined): CallRow | undefined => (row ? { ...row, optedOut: row.optedOut === 1 } : undefined);

/** Prepared statements over calls and contacts, prepared once per database. */
export class CallStore {
  readonly #db: AppDatabase;
  readonly #byRef;
  readonly #byId;
  readonly #byUuid;
  readonly #contact;
  readonly #event;

  constructor(database: AppDatabase) {
    this.#db = database;
    const s = database.sqlite;
    this.#byRef = s.prepare(`SELECT ${CALL_COLUMNS} FROM calls WHERE ref = ?`);
    this.#byId = s.prepare(`SELECT ${CALL_COLUMNS} FROM calls WHERE id = ?`);
    this.#byUuid = s.prepare(`SELECT ${CALL_COLUMNS} FROM calls WHERE provider_uuid = ?`);
    this.#contact = s.prepare(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = ?`);
    this.#event = s.prepare(
      'INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  get database(): AppDatabase {
    return this.#db;
  }

  byRef(ref: string): CallRow | undefined {
    return toCall(this.#byRef.get(ref) as Raw<CallRow> | undefined);
  }

  byId(id: number): CallRow | undefined {
    return toCall(this.#byId.get(id) as Raw<CallRow> | undefined);
  }

  byProviderUuid(uuid: string): CallRow | undefined {
    return toCall(this.#byUuid.get(uuid) as Raw<CallRow> | undefined);
  }

  contact(id: number): ContactRow | undefined {
    return this.#contact.get(id) as ContactRow | undefined;
  }

  /** Appends a callback to the call's history, verbatim. */
  recordEvent(callId: number | null, kind: CallEventKind, status: string | null, occurredAt: number, receivedAt: number, payload: unknown): void {
    this.#event.run(callId, kind, status, occurredAt, receivedAt, JSON.stringify(payload));
  }
}

const stores = new WeakMap<AppDatabase, CallStore>();
/** The CallStore of a database (statements are prepared once). */
export function callStore(database: AppDatabase): CallStore {
  let store = stores.get(database);
  if (!store) {
    store = new CallStore(database);
    stores.set(database, store);
  }
  return store;
}
