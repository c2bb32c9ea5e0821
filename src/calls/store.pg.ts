import { changes, one, type Queryable } from '../db/postgres/index.js';
import type { AnsweredBy, CallOutcome, IvrStage } from '../db/schema/index.js';
import { STATE_ORDER, toCall, type CallCompletion, type CallEvent, type CallRow, type CallStore, type StagesFrom } from './store.js';

const CALL_COLUMNS = `id, contact_id AS "contactId", list_id AS "listId", attempt, ref, provider_uuid AS "providerUuid", state, outcome,
  answered_by AS "answeredBy", answered_at AS "answeredAt", duration_seconds AS "durationSeconds",
  provider_price_micros AS "providerPriceMicros", ivr_stage AS "ivrStage", reprompts, opted_out AS "optedOut"`;

/**
 * The calls store on PostgreSQL, statement for statement as on SQLite. Units of work run
 * concurrently here, and every write is conditional on the state it moves from, so of two units
 * moving one call the second waits for the first's row lock, sees what it wrote and changes nothing
 * it should not: one `end` reports true.
 */
export class PostgresCallStore implements CallStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async byRef(ref: string): Promise<CallRow | undefined> {
    return toCall(await one(this.#q, `SELECT ${CALL_COLUMNS} FROM calls WHERE ref = $1`, [ref]));
  }

  async byId(id: number): Promise<CallRow | undefined> {
    return toCall(await one(this.#q, `SELECT ${CALL_COLUMNS} FROM calls WHERE id = $1`, [id]));
  }

  async byProviderUuid(uuid: string): Promise<CallRow | undefined> {
    return toCall(await one(this.#q, `SELECT ${CALL_COLUMNS} FROM calls WHERE provider_uuid = $1`, [uuid]));
  }

  async recordEvent(event: CallEvent): Promise<void> {
    await this.#q.query('INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES ($1, $2, $3, $4, $5, $6)', [
      event.callId,
      event.kind,
      event.status,
      event.occurredAt,
      event.receivedAt,
      JSON.stringify(event.payload),
    ]);
  }

  async adoptProviderUuid(callId: number, uuid: string): Promise<void> {
    await this.#q.query('UPDATE calls SET provider_uuid = $1 WHERE id = $2 AND provider_uuid IS NULL', [uuid, callId]);
  }

  async advanceState(callId: number, state: 'started' | 'ringing' | 'answered', at: number): Promise<void> {
    const earlier = STATE_ORDER.slice(0, STATE_ORDER.indexOf(state));
    await this.#q.query(
      `UPDATE calls SET state = $1, answered_at = CASE WHEN $1 = 'answered' THEN coalesce(answered_at, $2) ELSE answered_at END
       WHERE id = $3 AND state = ANY($4::text[])`,
      [state, at, callId, earlier],
    );
    // An answer that comes after the call ended (held webhooks) still tells when it was answered.
    if (state === 'answered') await this.#q.query('UPDATE calls SET answered_at = coalesce(answered_at, $1) WHERE id = $2', [at, callId]);
  }

  async setAnsweredBy(callId: number, answeredBy: AnsweredBy, onlyIfUnknown: boolean): Promise<void> {
    await this.#q.query(`UPDATE calls SET answered_by = $1 WHERE id = $2${onlyIfUnknown ? ' AND answered_by IS NULL' : ''}`, [answeredBy, callId]);
  }

  async provedHuman(callId: number): Promise<boolean> {
    // The payload is JSON kept as text, as on SQLite: read inside it as jsonb.
    const row = await one(
      this.#q,
      `SELECT 1 FROM calls WHERE id = $1 AND (opted_out = 1 OR EXISTS (SELECT 1 FROM responses WHERE call_id = calls.id)
         OR EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = calls.id AND e.kind = 'input'
                    AND coalesce(e.payload::jsonb #>> '{dtmf,digits}', '') <> ''))`,
      [callId],
    );
    return row !== undefined;
  }

  async recordCompletion(callId: number, c: CallCompletion): Promise<void> {
    // A call with connected seconds was answered, at the provider's start time.
    const answeredAt = (c.durationSeconds ?? 0) > 0 ? c.connectedAt : null;
    await this.#q.query(
      `UPDATE calls SET duration_seconds = coalesce(duration_seconds, $1), provider_price_micros = coalesce(provider_price_micros, $2),
         provider_rate_micros = coalesce(provider_rate_micros, $3), network = coalesce(network, $4), answered_at = coalesce(answered_at, $5)
       WHERE id = $6`,
      [c.durationSeconds, c.priceMicros, c.rateMicros, c.network, answeredAt, callId],
    );
  }

  async end(callId: number, outcome: CallOutcome, endedAt: number): Promise<boolean> {
    return (await changes(this.#q, `UPDATE calls SET state = 'ended', outcome = $1, ended_at = $2 WHERE id = $3 AND state <> 'ended'`, [outcome, endedAt, callId])) === 1;
  }

  async reclassifyEnded(callId: number, to: CallOutcome, from?: CallOutcome): Promise<boolean> {
    return (await changes(this.#q, `UPDATE calls SET outcome = $1 WHERE id = $2 AND state = 'ended' AND ($3::text IS NULL OR outcome = $3)`, [to, callId, from ?? null])) === 1;
  }

  async moveIvrStage(callId: number, to: IvrStage, from: StagesFrom): Promise<boolean> {
    if (from === 'any') return (await changes(this.#q, 'UPDATE calls SET ivr_stage = $1 WHERE id = $2', [to, callId])) === 1;
    const stages = from.filter((s): s is IvrStage => s !== null);
    const conditions = [...(from.includes(null) ? ['ivr_stage IS NULL'] : []), ...(stages.length ? ['ivr_stage = ANY($3::text[])'] : [])];
    if (conditions.length === 0) return false;
    const values: unknown[] = stages.length ? [to, callId, stages] : [to, callId];
    return (await changes(this.#q, `UPDATE calls SET ivr_stage = $1 WHERE id = $2 AND (${conditions.join(' OR ')})`, values)) === 1;
  }

  async askAgain(callId: number): Promise<void> {
    await this.#q.query(`UPDATE calls SET ivr_stage = 'reprompt', reprompts = reprompts + 1 WHERE id = $1 AND (ivr_stage IS NULL OR ivr_stage IN ('greeting', 'question'))`, [callId]);
  }

  async markOptedOut(callId: number): Promise<void> {
    await this.#q.query(`UPDATE calls SET opted_out = 1, ivr_stage = 'done' WHERE id = $1`, [callId]);
  }
}
