import { prepared, type AppDatabase } from '../db/index.js';
import { SCREENING_SQL, type ScreeningCaps, type ScreeningFacts } from './screening.js';
import { LAST_ENDED_AT_SQL, type WaitingContact } from './waiting.js';
import type { CallOutcome, ContactStatus } from '../db/schema/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import type { CallDeps } from '../calls/index.js';
import { isSuppressed, type ContactRow } from '../contacts/index.js';
import { AppError } from '../errors/index.js';

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

/** What the outbound side is given: the call handling's deps and the run's store. */
export interface DialerDeps extends CallDeps {
  runs: RunStore;
}

/** A due contact and what the run decided for it. */
export interface DueDecision {
  contact: ContactRow;
  decision: TakeDecision;
}

/** A call row an earlier process left unfinished, with what looking it up needs. */
export interface LeftCall {
  id: number;
  listId: number;
  uuid: string | null;
  createdAt: number;
  attempt: number;
  contactId: number;
  phone: string;
}

/**
 * The outbound side's store (docs/adr/0013-store-ports.md): the only code of the dialing loop and
 * of the reconciliation of calls left in flight that speaks SQL, asynchronous so that PostgreSQL
 * is a second adapter. Contacts are taken by conditional updates (pending → dialing only from the
 * attempt count read), so two runs, two nodes or a restart never take the same contact; an
 * attempt's call row exists before its create request. A method that writes several rows commits
 * them as one transaction.
 */
export interface RunStore {
  /** Up to `limit` due pending contacts of the list, oldest due first. */
  due(listId: number, now: number, limit: number): Promise<ContactRow[]>;
  /**
   * Applies the run's decisions in one transaction, each conditional on the contact still being
   * pending with the attempt count read: claims (→ dialing), closings and parkings. Returns the
   * contacts claimed.
   */
  applyDecisions(decisions: readonly DueDecision[], now: number): Promise<ContactRow[]>;
  /** What the screening asks of the database about a number (the rules are screenContact's). */
  screeningFacts(contact: Pick<ContactRow, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): Promise<ScreeningFacts>;
  /** Whether the contact has a score (from any attempt, late webhooks included). */
  hasResponse(contactId: number): Promise<boolean>;
  /** The outcome of the contact's last attempt, if it ended. */
  lastOutcome(contactId: number): Promise<CallOutcome | null>;
  /** When the list's next pending contact is due, null when none is pending. */
  nextDueAt(listId: number): Promise<number | null>;
  /** The list's open contacts (pending or dialling) and when the next pending one is due. */
  openContacts(listId: number): Promise<OpenContacts>;
  /** A claimed contact goes back to pending, undialled (the run stopped before its create was sent). */
  release(contact: ContactRow, now: number): Promise<void>;
  /**
   * Counts the attempt and creates its call row (state `creating`) in one transaction; returns the
   * call's id. Only while the contact is still being dialled with the attempt count read: when
   * another dialer moved it on (a successor after a failover gave it back or took it), refused with
   * a CONFLICT and nothing written, so that no attempt is begun twice and no contact dialled twice.
   */
  beginAttempt(contact: ContactRow, attempt: number, ref: string, now: number): Promise<number>;
  /** The provider created the call: its uuids (unless a webhook brought them first), and `started` unless it moved on. */
  markCreated(callId: number, uuid: string, conversationUuid: string | null): Promise<void>;
  /**
   * The create was never sent or was refused without a call: its row deleted and the attempt taken
   * back — the count only when that row went, so that a stale dialer's undo never takes back the
   * attempt another dialer began since.
   */
  undoAttempt(callId: number, contact: ContactRow, attempt: number): Promise<void>;
  /** The list's figures for a progress report. */
  progress(listId: number): Promise<ProgressCounts>;
  /** The list's calls not ended, oldest first (what an earlier process left in flight). */
  leftInFlight(listId: number): Promise<LeftCall[]>;
  leftCall(callId: number): Promise<LeftCall | undefined>;
  /** Provider uuids of the list's calls created in [from, to]: witnesses that the provider's call list is complete. */
  uuidsCreatedBetween(listId: number, from: number, to: number): Promise<string[]>;
  /**
   * Gives a create row the uuid of the call the provider's list showed for it (and `started`),
   * unless a webhook named it first or another row has that uuid. Returns the uuid the row has now.
   */
  adoptListedUuid(callId: number, uuid: string): Promise<string | null>;
  /**
   * A create the provider never received: the attempt row goes and the contact is due again with
   * its attempt count as before — only while nothing named the call (no uuid, no event) and the
   * contact still waits on this attempt. Returns whether it did.
   */
  undoUnsentAttempt(call: LeftCall, now: number): Promise<boolean>;
  /** Contacts of the list in `dialing` without an unfinished call (claimed but never dialled) go back to pending. */
  releaseUnstarted(listId: number, now: number): Promise<void>;
  /** The lists with a call not ended or a contact being dialled: what a starting daemon reconciles. */
  listsInFlight(): Promise<number[]>;
  /** The timing rules the list's waiting contacts were last planned under (lists.planned_rules); undefined for no list. */
  plannedRules(listId: number): Promise<string | null | undefined>;
  /** The list's pending contacts with what planning their next attempt needs. */
  waitingContacts(listId: number): Promise<WaitingRow[]>;
  /**
   * Moves waiting contacts to their new times and records the rules they were planned under, in one
   * transaction; each move only while the contact is pending at the time read. Returns how many moved.
   */
  replan(listId: number, moves: readonly WaitingMove[], rules: string, now: number): Promise<number>;
}

/** A pending contact as re-planning reads it. */
export interface WaitingRow extends WaitingContact {
  id: number;
  nextAttemptAt: number | null;
}

/** A waiting contact's new time, from the time it was read at. */
export interface WaitingMove {
  id: number;
  from: number | null;
  to: number;
}

// Aliases quoted: PostgreSQL folds unquoted ones to lower case, and both adapters share these lists.
export const CONTACT_COLUMNS = 'id, list_id AS "listId", phone_e164 AS "phoneE164", country, timezone, language, name, status, attempts';
export const LEFT_COLUMNS = `k.id, k.list_id AS "listId", k.provider_uuid AS uuid, k.created_at AS "createdAt", k.attempt, k.contact_id AS "contactId", c.phone_e164 AS phone
  FROM calls k JOIN contacts c ON c.id = k.contact_id`;
const DAY_MS = 86_400_000;
/** The attempt cap counts the calls of this trailing window (the French rule's 30 calendar days). */
export const ATTEMPT_CAP_WINDOW_MS = 30 * DAY_MS;

/** Why an attempt was not begun: the contact is no longer this dialer's (see RunStore.beginAttempt). */
export function attemptTaken(contact: ContactRow, attempt: number): AppError {
  return new AppError(
    'CONFLICT',
    `contact ${contact.id} is no longer being dialled with ${contact.attempts} attempt(s) made (another dialer gave it back or took it over); attempt ${attempt} was not begun`,
    { details: { contactId: contact.id, listId: contact.listId, attempt } },
  );
}

/** What the screening reads on SQLite, synchronously: the adapters of `RunStore` and `TriggerStore` answer with it, and `lists plan` (a read model) reads it directly. */
export function sqliteScreeningFacts(database: AppDatabase, contact: Pick<ContactRow, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): ScreeningFacts {
  const recent =
    caps.minDaysBetweenSurveys > 0
      ? ((prepared(database, SCREENING_SQL.recentSurvey).get(contact.phoneE164, contact.listId, caps.clientId, now - caps.minDaysBetweenSurveys * DAY_MS) as { at: number; listId: number } | undefined) ?? null)
      : null;
  const attempts =
    caps.maxAttemptsPer30Days > 0 ? (prepared(database, SCREENING_SQL.attemptsSince).get(contact.phoneE164, now - ATTEMPT_CAP_WINDOW_MS) as { n: number }).n : null;
  return {
    suppressed: isSuppressed(database, contact.phoneE164),
    recentSurvey: recent,
    attemptsLast30Days: attempts,
    liveElsewhere: prepared(database, SCREENING_SQL.liveElsewhere).get(contact.phoneE164, contact.listId) !== undefined,
  };
}

/** The outbound side's store on SQLite. */
export class SqliteRunStore implements RunStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  #sql(sql: string) {
    return prepared(this.#database, sql);
  }

  async due(listId: number, now: number, limit: number): Promise<ContactRow[]> {
    return this.#sql(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE list_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`).all(
      listId,
      now,
      limit,
    ) as ContactRow[];
  }

  async applyDecisions(decisions: readonly DueDecision[], now: number): Promise<ContactRow[]> {
    const claim = this.#sql(`UPDATE contacts SET status = 'dialing', updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`);
    const close = this.#sql(`UPDATE contacts SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`);
    const park = this.#sql(`UPDATE contacts SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`);
    return this.#database.sqlite
      .transaction(() =>
        decisions.flatMap(({ contact, decision }) => {
          switch (decision.kind) {
            case 'claim':
              return claim.run(now, contact.id, contact.attempts).changes === 1 ? [contact] : [];
            case 'close':
              close.run(decision.status, now, contact.id, contact.attempts);
              return [];
            case 'park':
              park.run(decision.until, now, contact.id, contact.attempts);
              return [];
            default: {
              const unreachable: never = decision;
              throw new Error(`unknown decision ${String(unreachable)}`);
            }
          }
        }),
      )
      .immediate();
  }

  async screeningFacts(contact: Pick<ContactRow, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
    return sqliteScreeningFacts(this.#database, contact, caps, now);
  }

  async hasResponse(contactId: number): Promise<boolean> {
    return this.#sql('SELECT 1 FROM responses WHERE contact_id = ?').get(contactId) !== undefined;
  }

  async lastOutcome(contactId: number): Promise<CallOutcome | null> {
    const row = this.#sql('SELECT outcome FROM calls WHERE contact_id = ? ORDER BY attempt DESC LIMIT 1').get(contactId) as { outcome: CallOutcome | null } | undefined;
    return row?.outcome ?? null;
  }

  async nextDueAt(listId: number): Promise<number | null> {
    return (this.#sql(`SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = ? AND status = 'pending'`).get(listId) as { at: number | null }).at;
  }

  async openContacts(listId: number): Promise<OpenContacts> {
    return this.#sql(
      `SELECT count(*) AS n, min(CASE WHEN status = 'pending' THEN next_attempt_at END) AS nextAt FROM contacts WHERE list_id = ? AND status IN ('pending', 'dialing')`,
    ).get(listId) as OpenContacts;
  }

  async release(contact: ContactRow, now: number): Promise<void> {
    this.#sql(`UPDATE contacts SET status = 'pending', updated_at = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(now, contact.id, contact.attempts);
  }

  async beginAttempt(contact: ContactRow, attempt: number, ref: string, now: number): Promise<number> {
    return this.#database.sqlite
      .transaction(() => {
        // Zero rows: the contact is no longer this dialer's (given back, or taken with another count).
        if (this.#sql(`UPDATE contacts SET attempts = ? WHERE id = ? AND status = 'dialing' AND attempts = ?`).run(attempt, contact.id, contact.attempts).changes === 0) {
          throw attemptTaken(contact, attempt);
        }
        return (this.#sql(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES (?, ?, ?, ?, 'creating', ?) RETURNING id`).get(contact.id, contact.listId, attempt, ref, now) as { id: number }).id;
      })
      .immediate();
  }

  async markCreated(callId: number, uuid: string, conversationUuid: string | null): Promise<void> {
    this.#sql(
      `UPDATE calls SET provider_uuid = coalesce(provider_uuid, ?), conversation_uuid = coalesce(conversation_uuid, ?),
         state = CASE WHEN state = 'creating' THEN 'started' ELSE state END WHERE id = ?`,
    ).run(uuid, conversationUuid, callId);
  }

  async undoAttempt(callId: number, contact: ContactRow, attempt: number): Promise<void> {
    this.#database.sqlite
      .transaction(() => {
        if (this.#sql(`DELETE FROM calls WHERE id = ? AND state = 'creating' AND provider_uuid IS NULL`).run(callId).changes === 0) return;
        this.#sql('UPDATE contacts SET attempts = ? WHERE id = ? AND attempts = ?').run(contact.attempts, contact.id, attempt);
      })
      .immediate();
  }

  /** Responses first, calls second: a score stored in between is then counted in both. */
  async progress(listId: number): Promise<ProgressCounts> {
    const byStatus: Record<string, number> = {};
    let contacts = 0;
    for (const { status, n } of this.#sql('SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status').all(listId) as { status: ContactStatus; n: number }[]) {
      byStatus[status] = n;
      contacts += n;
    }
    const scores = this.#sql(`SELECT count(*) AS responses, sum(${promoterSql('score')}) AS promoters, sum(${detractorSql('score')}) AS detractors FROM responses WHERE list_id = ?`).get(listId) as {
      responses: number;
      promoters: number | null;
      detractors: number | null;
    };
    const calls = this.#sql(
      `SELECT count(*) AS calls,
              coalesce(sum(outcome = 'human' OR (state <> 'ended' AND (answered_at IS NOT NULL OR ivr_stage IS NOT NULL) AND answered_by IS NOT 'machine')
                           OR EXISTS (SELECT 1 FROM responses r WHERE r.call_id = calls.id)), 0) AS answered
       FROM calls WHERE list_id = ?`,
    ).get(listId) as { calls: number; answered: number };
    return { byStatus, contacts, calls: calls.calls, answered: calls.answered, responses: scores.responses, promoters: scores.promoters ?? 0, detractors: scores.detractors ?? 0 };
  }

  async leftInFlight(listId: number): Promise<LeftCall[]> {
    return this.#sql(`SELECT ${LEFT_COLUMNS} WHERE k.list_id = ? AND k.state <> 'ended' ORDER BY k.created_at`).all(listId) as LeftCall[];
  }

  async leftCall(callId: number): Promise<LeftCall | undefined> {
    return this.#sql(`SELECT ${LEFT_COLUMNS} WHERE k.id = ?`).get(callId) as LeftCall | undefined;
  }

  async uuidsCreatedBetween(listId: number, from: number, to: number): Promise<string[]> {
    // calls_list_idx: the list's own calls of the same moments.
    return (this.#sql('SELECT provider_uuid AS uuid FROM calls WHERE list_id = ? AND provider_uuid IS NOT NULL AND created_at BETWEEN ? AND ?').all(listId, from, to) as { uuid: string }[]).map(
      (row) => row.uuid,
    );
  }

  async adoptListedUuid(callId: number, uuid: string): Promise<string | null> {
    this.#sql(
      `UPDATE calls SET provider_uuid = ?, state = CASE WHEN state = 'creating' THEN 'started' ELSE state END
       WHERE id = ? AND provider_uuid IS NULL AND NOT EXISTS (SELECT 1 FROM calls other WHERE other.provider_uuid = ?)`,
    ).run(uuid, callId, uuid);
    return (this.#sql('SELECT provider_uuid AS uuid FROM calls WHERE id = ?').get(callId) as { uuid: string | null } | undefined)?.uuid ?? null;
  }

  async undoUnsentAttempt(call: LeftCall, now: number): Promise<boolean> {
    return this.#database.sqlite
      .transaction(() => {
        const contact = this.#sql('SELECT status, attempts FROM contacts WHERE id = ?').get(call.contactId) as { status: string; attempts: number } | undefined;
        if (contact?.status !== 'dialing' || contact.attempts !== call.attempt) return false;
        const deleted = this.#sql(
          `DELETE FROM calls WHERE id = ? AND state = 'creating' AND provider_uuid IS NULL AND NOT EXISTS (SELECT 1 FROM call_events WHERE call_id = ?)`,
        ).run(call.id, call.id).changes;
        if (deleted === 0) return false;
        this.#sql(`UPDATE contacts SET status = 'pending', attempts = ?, next_attempt_at = coalesce(next_attempt_at, ?), updated_at = ? WHERE id = ?`).run(call.attempt - 1, now, now, call.contactId);
        return true;
      })
      .immediate();
  }

  async releaseUnstarted(listId: number, now: number): Promise<void> {
    this.#sql(
      `UPDATE contacts SET status = 'pending', next_attempt_at = coalesce(next_attempt_at, ?), updated_at = ?
       WHERE list_id = ? AND status = 'dialing'
         AND NOT EXISTS (SELECT 1 FROM calls WHERE calls.contact_id = contacts.id AND calls.state <> 'ended')`,
    ).run(now, now, listId);
  }

  async plannedRules(listId: number): Promise<string | null | undefined> {
    return (this.#sql('SELECT planned_rules AS rules FROM lists WHERE id = ?').get(listId) as { rules: string | null } | undefined)?.rules;
  }

  async waitingContacts(listId: number): Promise<WaitingRow[]> {
    return this.#sql(
      `SELECT c.id, c.country, c.timezone, c.attempts, c.not_before AS notBefore, c.next_attempt_at AS nextAttemptAt, ${LAST_ENDED_AT_SQL}
       FROM contacts c WHERE c.list_id = ? AND c.status = 'pending'`,
    ).all(listId) as WaitingRow[];
  }

  async replan(listId: number, moves: readonly WaitingMove[], rules: string, now: number): Promise<number> {
    const move = this.#sql(`UPDATE contacts SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at IS ?`);
    return this.#database.sqlite
      .transaction(() => {
        let moved = 0;
        for (const m of moves) moved += move.run(m.to, now, m.id, m.from).changes;
        this.#sql('UPDATE lists SET planned_rules = ? WHERE id = ?').run(rules, listId);
        return moved;
      })
      .immediate();
  }

  async listsInFlight(): Promise<number[]> {
    const rows = this.#sql(`SELECT list_id AS listId FROM calls WHERE state <> 'ended' UNION SELECT list_id FROM contacts WHERE status = 'dialing'`).all() as { listId: number }[];
    return rows.map((r) => r.listId);
  }
}
