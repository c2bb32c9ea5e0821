import { prepared, type AppDatabase } from '../db/index.js';
import type { CallOutcome, ContactStatus } from '../db/schema/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import type { ContactRow } from '../contacts/index.js';

/** What the run does with one due contact: dial it, close it for good, or park it until a later time. */
export type TakeDecision = { kind: 'claim' } | { kind: 'close'; status: ContactStatus } | { kind: 'park'; until: number };

/** The list's open contacts: how many are pending or dialling, and when the next pending one is due. */
export interface OpenContacts {
  n: number;
  nextAt: number | null;
}

/** The figures of a run's progress report that come from the database. */
export interface ProgressCounts {
  byStatus: Record<string, number>;
  contacts: number;
  calls: number;
  answered: number;
  responses: number;
  promoters: number;
  detractors: number;
}

/**
 * The outbound run's store: the only code of the dialing loop that speaks SQL. Contacts are taken
 * by conditional updates (pending → dialing only from the attempt count read), so two runs or a
 * restart never take the same contact; an attempt's call row exists before its create request.
 * Each method is one unit of work (`takeDue` and the attempt methods commit as one transaction).
 */
export class RunStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  /**
   * Looks at up to `limit` due contacts of the list, oldest due first, and applies `decide`'s
   * verdict to each in one transaction: claims (pending → dialing, conditional), closings and
   * parkings commit together. Returns how many were looked at, and the contacts claimed.
   */
  takeDue(listId: number, now: number, limit: number, decide: (contact: ContactRow) => TakeDecision): { examined: number; claimed: ContactRow[] } {
    const database = this.#database;
    return database.sqlite
      .transaction(() => {
        const due = prepared(
          database,
          `SELECT id, list_id AS listId, phone_e164 AS phoneE164, country, timezone, language, name, status, attempts FROM contacts
           WHERE list_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
        ).all(listId, now, limit) as ContactRow[];
        const claimed = due.filter((contact) => {
          const decision = decide(contact);
          switch (decision.kind) {
            case 'claim':
              return prepared(database, `UPDATE contacts SET status = 'dialing', updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`).run(now, contact.id, contact.attempts).changes === 1;
            case 'close':
              prepared(database, `UPDATE contacts SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending'`).run(decision.status, now, contact.id);
              return false;
            case 'park':
              prepared(database, `UPDATE contacts SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`).run(decision.until, now, contact.id);
              return false;
            default: {
              const unreachable: never = decision;
              throw new Error(`unknown decision ${String(unreachable)}`);
            }
          }
        });
        return { examined: due.length, claimed };
      })
      .immediate();
  }

  /** Whether the contact has a score (from any attempt, late webhooks included). */
  hasResponse(contactId: number): boolean {
    return prepared(this.#database, 'SELECT 1 FROM responses WHERE contact_id = ?').get(contactId) !== undefined;
  }

  /** The outcome of the contact's last attempt, if it ended. */
  lastOutcome(contactId: number): CallOutcome | null {
    const row = prepared(this.#database, 'SELECT outcome FROM calls WHERE contact_id = ? ORDER BY attempt DESC LIMIT 1').get(contactId) as { outcome: CallOutcome | null } | undefined;
    return row?.outcome ?? null;
  }

  /** When the list's next pending contact is due (an index lookup), null when none is pending. */
  nextDueAt(listId: number): number | null {
    return (prepared(this.#database, `SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = ? AND status = 'pending'`).get(listId) as { at: number | null }).at;
  }

  /** The list's open contacts (a scan of the list: asked only when the run is idle or ends). */
  openContacts(listId: number): OpenContacts {
    return prepared(
      this.#database,
      `SELECT count(*) AS n, min(CASE WHEN status = 'pending' THEN next_attempt_at END) AS nextAt FROM contacts WHERE list_id = ? AND status IN ('pending', 'dialing')`,
    ).get(listId) as OpenContacts;
  }

  /** A claimed contact goes back to pending, undialled (the run stopped before its create was sent). */
  release(contact: ContactRow, now: number): void {
    prepared(this.#database, `UPDATE contacts SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(now, contact.id, contact.attempts);
  }

  /** Counts the attempt and creates its call row (state `creating`) in one transaction; returns the call's id. */
  beginAttempt(contact: ContactRow, attempt: number, ref: string, now: number): number {
    const database = this.#database;
    return database.sqlite
      .transaction(() => {
        prepared(database, 'UPDATE contacts SET attempts = ? WHERE id = ? AND attempts = ?').run(attempt, contact.id, contact.attempts);
        return (
          prepared(database, `INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES (?, ?, ?, ?, 'creating', ?) RETURNING id`).get(contact.id, contact.listId, attempt, ref, now) as {
            id: number;
          }
        ).id;
      })
      .immediate();
  }

  /** The provider created the call: its uuids (unless a webhook brought them first), and `started` unless it moved on. */
  markCreated(callId: number, uuid: string, conversationUuid: string | null): void {
    prepared(
      this.#database,
      `UPDATE calls SET provider_uuid = coalesce(provider_uuid, ?), conversation_uuid = coalesce(conversation_uuid, ?),
         state = CASE WHEN state = 'creating' THEN 'started' ELSE state END WHERE id = ?`,
    ).run(uuid, conversationUuid, callId);
  }

  /** The create was never sent or was refused without a call: the attempt is taken back, its row deleted. */
  undoAttempt(callId: number, contact: ContactRow, attempt: number): void {
    const database = this.#database;
    database.sqlite
      .transaction(() => {
        prepared(database, `DELETE FROM calls WHERE id = ? AND state = 'creating' AND provider_uuid IS NULL`).run(callId);
        prepared(database, 'UPDATE contacts SET attempts = ? WHERE id = ? AND attempts = ?').run(contact.attempts, contact.id, attempt);
      })
      .immediate();
  }

  /** The list's figures for a progress report. Responses first, calls second: a score stored in between is then counted in both. */
  progress(listId: number): ProgressCounts {
    const database = this.#database;
    const byStatus: Record<string, number> = {};
    let contacts = 0;
    for (const { status, n } of prepared(database, 'SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status').all(listId) as { status: ContactStatus; n: number }[]) {
      byStatus[status] = n;
      contacts += n;
    }
    const scores = prepared(database, `SELECT count(*) AS responses, sum(${promoterSql('score')}) AS promoters, sum(${detractorSql('score')}) AS detractors FROM responses WHERE list_id = ?`).get(listId) as {
      responses: number;
      promoters: number | null;
      detractors: number | null;
    };
    const calls = prepared(
      database,
      `SELECT count(*) AS calls,
              coalesce(sum(outcome = 'human' OR (state <> 'ended' AND (answered_at IS NOT NULL OR ivr_stage IS NOT NULL) AND answered_by IS NOT 'machine')
                           OR EXISTS (SELECT 1 FROM responses r WHERE r.call_id = calls.id)), 0) AS answered
       FROM calls WHERE list_id = ?`,
    ).get(listId) as { calls: number; answered: number };
    return { byStatus, contacts, calls: calls.calls, answered: calls.answered, responses: scores.responses, promoters: scores.promoters ?? 0, detractors: scores.detractors ?? 0 };
  }
}
