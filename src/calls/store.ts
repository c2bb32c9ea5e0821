import { prepared, type AppDatabase } from '../db/index.js';
import type { AnsweredBy, CallEventKind, CallOutcome, CallState, IvrStage } from '../db/schema/index.js';

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
  /** How often the callee was asked the question again. */
  reprompts: number;
  optedOut: boolean;
}

/** A callback as the call's history keeps it: verbatim, with when it happened and when it came. */
export interface CallEvent {
  callId: number | null;
  kind: CallEventKind;
  status: string | null;
  occurredAt: number;
  receivedAt: number;
  payload: unknown;
}

/** What a `completed` status tells of a call; each fact is kept only where none is known yet. */
export interface CallCompletion {
  durationSeconds: number | null;
  priceMicros: number | null;
  rateMicros: number | null;
  network: string | null;
  /** When the call was answered, should the duration show it was (the provider's start time). */
  connectedAt: number;
}

/** The IVR stages a move may start from; `'any'` moves from every stage, none included. */
export type StagesFrom = readonly (IvrStage | null)[] | 'any';

/**
 * The calls store (docs/adr/0013-store-ports.md): the only code that speaks SQL for call attempts
 * and their history, in the webhooks' terms. Every change is conditional, so a duplicate or late
 * callback changes nothing it should not; a method that reports `true` made the change.
 */
export interface CallStore {
  byRef(ref: string): Promise<CallRow | undefined>;
  byId(id: number): Promise<CallRow | undefined>;
  byProviderUuid(uuid: string): Promise<CallRow | undefined>;
  /** Appends a callback to the call's history. */
  recordEvent(event: CallEvent): Promise<void>;
  /** Learns the provider's uuid of the call, unless it knows one already. */
  adoptProviderUuid(callId: number, uuid: string): Promise<void>;
  /** Moves the state forward, never back; `answered` also records when (the first time). */
  advanceState(callId: number, state: 'started' | 'ringing' | 'answered', at: number): Promise<void>;
  /** Records who answered; with `onlyIfUnknown`, only when nobody was recorded yet. */
  setAnsweredBy(callId: number, answeredBy: AnsweredBy, onlyIfUnknown: boolean): Promise<void>;
  /** Whether the callee proved to be a person: a score, an opt-out, or any key pressed. */
  provedHuman(callId: number): Promise<boolean>;
  /** Keeps the facts of a `completed` status that are not known yet. */
  recordCompletion(callId: number, completion: CallCompletion): Promise<void>;
  /** Ends the call with `outcome` unless it ended before; true when this ended it. */
  end(callId: number, outcome: CallOutcome, endedAt: number): Promise<boolean>;
  /** Gives an ended call another outcome (when it had `from`, if given); true when it changed. */
  reclassifyEnded(callId: number, to: CallOutcome, from?: CallOutcome): Promise<boolean>;
  /** Moves the IVR stage to `to` when the call is at one of `from`; true when it moved. */
  moveIvrStage(callId: number, to: IvrStage, from: StagesFrom): Promise<boolean>;
  /** The callee is asked the question again: stage `reprompt`, one more re-prompt, unless past the question. */
  askAgain(callId: number): Promise<void>;
  /** The callee pressed star: the call is opted out and its survey done. */
  markOptedOut(callId: number): Promise<void>;
}

const CALL_COLUMNS = `id, contact_id AS contactId, list_id AS listId, attempt, ref, provider_uuid AS providerUuid, state, outcome,
  answered_by AS answeredBy, answered_at AS answeredAt, duration_seconds AS durationSeconds,
  provider_price_micros AS providerPriceMicros, ivr_stage AS ivrStage, reprompts, opted_out AS optedOut`;

type Raw<T> = Omit<T, 'optedOut'> & { optedOut: number };
/** A call row as the handlers read it: the opt-out, a 0/1 flag on both engines, as a boolean. */
export const toCall = (row: unknown): CallRow | undefined => {
  const raw = row as Raw<CallRow> | undefined;
  return raw ? { ...raw, optedOut: raw.optedOut === 1 } : undefined;
};

/** The states a call moves through, in order; it never moves back. */
export const STATE_ORDER: readonly CallState[] = ['creating', 'started', 'ringing', 'answered', 'ended'];

/** The calls store on SQLite; each method one prepared statement or two, no transaction of its own. */
export class SqliteCallStore implements CallStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  #sql(sql: string) {
    return prepared(this.#db, sql);
  }

  async byRef(ref: string): Promise<CallRow | undefined> {
    return toCall(this.#sql(`SELECT ${CALL_COLUMNS} FROM calls WHERE ref = ?`).get(ref));
  }

  async byId(id: number): Promise<CallRow | undefined> {
    return toCall(this.#sql(`SELECT ${CALL_COLUMNS} FROM calls WHERE id = ?`).get(id));
  }

  async byProviderUuid(uuid: string): Promise<CallRow | undefined> {
    return toCall(this.#sql(`SELECT ${CALL_COLUMNS} FROM calls WHERE provider_uuid = ?`).get(uuid));
  }

  async recordEvent(event: CallEvent): Promise<void> {
    this.#sql('INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, ?, ?, ?, ?, ?)').run(
      event.callId,
      event.kind,
      event.status,
      event.occurredAt,
      event.receivedAt,
      JSON.stringify(event.payload),
    );
  }

  async adoptProviderUuid(callId: number, uuid: string): Promise<void> {
    this.#sql('UPDATE calls SET provider_uuid = ? WHERE id = ? AND provider_uuid IS NULL').run(uuid, callId);
  }

  async advanceState(callId: number, state: 'started' | 'ringing' | 'answered', at: number): Promise<void> {
    const earlier = STATE_ORDER.slice(0, STATE_ORDER.indexOf(state));
    this.#sql(
      `UPDATE calls SET state = ?, answered_at = CASE WHEN ? = 'answered' THEN coalesce(answered_at, ?) ELSE answered_at END
       WHERE id = ? AND state IN (${earlier.map(() => '?').join(', ')})`,
    ).run(state, state, at, callId, ...earlier);
    // An answer that comes after the call ended (held webhooks) still tells when it was answered.
    if (state === 'answered') this.#sql('UPDATE calls SET answered_at = coalesce(answered_at, ?) WHERE id = ?').run(at, callId);
  }

  async setAnsweredBy(callId: number, answeredBy: AnsweredBy, onlyIfUnknown: boolean): Promise<void> {
    this.#sql(`UPDATE calls SET answered_by = ? WHERE id = ?${onlyIfUnknown ? ' AND answered_by IS NULL' : ''}`).run(answeredBy, callId);
  }

  async provedHuman(callId: number): Promise<boolean> {
    return (
      this.#sql(
        `SELECT 1 FROM calls WHERE id = ? AND (opted_out = 1 OR EXISTS (SELECT 1 FROM responses WHERE call_id = calls.id)
           OR EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = calls.id AND e.kind = 'input'
                      AND coalesce(json_extract(e.payload, '$.dtmf.digits'), '') <> ''))`,
      ).get(callId) !== undefined
    );
  }

  async recordCompletion(callId: number, c: CallCompletion): Promise<void> {
    this.#sql(
      `UPDATE calls SET duration_seconds = coalesce(duration_seconds, ?), provider_price_micros = coalesce(provider_price_micros, ?),
         provider_rate_micros = coalesce(provider_rate_micros, ?), network = coalesce(network, ?),
         answered_at = coalesce(answered_at, CASE WHEN ? > 0 THEN ? END)
       WHERE id = ?`,
    ).run(c.durationSeconds, c.priceMicros, c.rateMicros, c.network, c.durationSeconds ?? 0, c.connectedAt, callId);
  }

  async end(callId: number, outcome: CallOutcome, endedAt: number): Promise<boolean> {
    return this.#sql(`UPDATE calls SET state = 'ended', outcome = ?, ended_at = ? WHERE id = ? AND state <> 'ended'`).run(outcome, endedAt, callId).changes === 1;
  }

  async reclassifyEnded(callId: number, to: CallOutcome, from?: CallOutcome): Promise<boolean> {
    return (
      this.#sql(`UPDATE calls SET outcome = ? WHERE id = ? AND state = 'ended' AND (? IS NULL OR outcome = ?)`).run(to, callId, from ?? null, from ?? null).changes === 1
    );
  }

  async moveIvrStage(callId: number, to: IvrStage, from: StagesFrom): Promise<boolean> {
    if (from === 'any') return this.#sql('UPDATE calls SET ivr_stage = ? WHERE id = ?').run(to, callId).changes === 1;
    const stages = from.filter((s): s is IvrStage => s !== null);
    const conditions = [...(from.includes(null) ? ['ivr_stage IS NULL'] : []), ...(stages.length ? [`ivr_stage IN (${stages.map(() => '?').join(', ')})`] : [])];
    if (conditions.length === 0) return false;
    return this.#sql(`UPDATE calls SET ivr_stage = ? WHERE id = ? AND (${conditions.join(' OR ')})`).run(to, callId, ...stages).changes === 1;
  }

  async askAgain(callId: number): Promise<void> {
    this.#sql(`UPDATE calls SET ivr_stage = 'reprompt', reprompts = reprompts + 1 WHERE id = ? AND (ivr_stage IS NULL OR ivr_stage IN ('greeting', 'question'))`).run(callId);
  }

  async markOptedOut(callId: number): Promise<void> {
    this.#sql(`UPDATE calls SET opted_out = 1, ivr_stage = 'done' WHERE id = ?`).run(callId);
  }
}
