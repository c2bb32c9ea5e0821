import { createHash } from 'node:crypto';
import type { ContactStatus } from '../db/schema/index.js';
import { one, type Queryable } from '../db/postgres/index.js';
import { postgresScreeningFacts, type ScreeningCaps, type ScreeningFacts } from '../dialer/index.js';
import type { NewTrigger, RecordedTrigger, TriggeredContact, TriggerList, TriggerStore } from './store.js';

const TRIGGER_COLUMNS = `id AS "surveyId", list_id AS "listId", status, reason, message, call_at AS "callAt", request_hash AS "requestHash"`;

/**
 * The advisory locks a trigger's unit takes, as (namespace, key) pairs of int4: that form never
 * meets the single-bigint locks (the migrations'), and a namespace keeps these apart from each
 * other. A hash collision only makes two unrelated triggers wait for each other.
 */
const KEY_LOCK = 1_953_628_161;
const NUMBER_LOCK = 1_953_628_162;
const ROWS_LOCK = 1_953_628_163;

/** A lock key for the parts; a newline never occurs in an idempotency key or a number, so the join is unambiguous. */
const lockKey = (...parts: (string | number)[]) => createHash('sha256').update(parts.join('\n')).digest().readInt32BE(0);

/**
 * The triggered surveys' store on PostgreSQL. Built on the client of a unit of work
 * (`postgresTriggerUnits`), or on the pool for a single statement.
 *
 * SQLite runs one unit at a time, so a trigger read, decided and wrote alone. Here units run
 * concurrently on every node at READ COMMITTED, and the unique indexes alone would make the second
 * of two racing triggers fail rather than answer. So the reads a decision rests on take a
 * transaction-scoped lock first, and a racing unit waits there until the first one committed;
 * its next statement then sees what the first wrote (READ COMMITTED takes a snapshot per
 * statement): `earlier` the answer for the key, `statusInList` the number's contact, `addContact`
 * the list's last row number. A unit takes them in that order (key, number, list), so two units
 * never wait for each other in a circle. Outside a unit a lock is released with its statement.
 */
export class PostgresTriggerStore implements TriggerStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async listForTrigger(listId: number): Promise<TriggerList | undefined> {
    const row = await one<Omit<TriggerList, 'acceptsTriggers'> & { acceptsTriggers: number }>(
      this.#q,
      `SELECT id, client_id AS "clientId", default_country AS "defaultCountry", accepts_triggers AS "acceptsTriggers" FROM lists WHERE id = $1 AND state = 'ready'`,
      [listId],
    );
    return row && { ...row, acceptsTriggers: row.acceptsTriggers === 1 };
  }

  async earlier(scope: number, key: string): Promise<RecordedTrigger | undefined> {
    // Two nodes taking the same key at once: the second waits here and reads the first's answer.
    await this.#lock(KEY_LOCK, lockKey(scope, key));
    return one<RecordedTrigger>(this.#q, `SELECT ${TRIGGER_COLUMNS} FROM survey_triggers WHERE idempotency_scope = $1 AND idempotency_key = $2`, [scope, key]);
  }

  async statusInList(listId: number, phoneE164: string): Promise<ContactStatus | undefined> {
    // Two keys for the same number at once: the second sees the first's contact and is refused, as on SQLite.
    await this.#lock(NUMBER_LOCK, lockKey(listId, phoneE164));
    const row = await one<{ status: ContactStatus }>(this.#q, 'SELECT status FROM contacts WHERE phone_e164 = $1 AND list_id = $2', [phoneE164, listId]);
    return row?.status;
  }

  async screeningFacts(contact: { listId: number; phoneE164: string }, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
    return postgresScreeningFacts(this.#q, contact, caps, now);
  }

  async addContact(contact: TriggeredContact): Promise<number> {
    // max(row_number) + 1 is a read: two triggers into one list at once would take the same row.
    await this.#lock(ROWS_LOCK, contact.listId);
    const row = await one<{ id: number }>(
      this.#q,
      `INSERT INTO contacts (list_id, row_number, phone_e164, country, language, timezone, attributes, status, attempts, next_attempt_at, not_before, updated_at)
       VALUES ($1, (SELECT coalesce(max(row_number), 1) + 1 FROM contacts WHERE list_id = $1), $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9) RETURNING id`,
      [
        contact.listId,
        contact.phoneE164,
        contact.country,
        contact.language,
        contact.timezone,
        JSON.stringify(contact.attributes),
        contact.callAt,
        contact.notBefore,
        contact.at,
      ],
    );
    return row!.id;
  }

  async record(trigger: NewTrigger): Promise<RecordedTrigger> {
    const row = await one<RecordedTrigger>(
      this.#q,
      `INSERT INTO survey_triggers (client_id, list_id, contact_id, phone_e164, agent, idempotency_scope, idempotency_key, request_hash, status, reason, message, call_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${TRIGGER_COLUMNS}`,
      [
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
      ],
    );
    return row!;
  }

  /** Held until the unit commits or rolls back (pg_advisory_xact_lock); taken again by the same unit, it does not wait. */
  async #lock(namespace: number, key: number): Promise<void> {
    await this.#q.query('SELECT pg_advisory_xact_lock($1, $2)', [namespace, key]);
  }
}
