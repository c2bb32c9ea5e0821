import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { CallOutcome, ContactStatus } from '../db/schema/index.js';
import type { ContactRow } from '../contacts/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import {
  ATTEMPT_CAP_WINDOW_MS,
  attemptTaken,
  CONTACT_COLUMNS,
  LEFT_COLUMNS,
  type DueDecision,
  type LeftCall,
  type OpenContacts,
  type ProgressCounts,
  type RunStore,
  type WaitingMove,
  type WaitingRow,
} from './run-store.js';
import type { ScreeningCaps, ScreeningFacts } from './screening.js';
import { LAST_ENDED_AT_SQL } from './waiting.js';

const DAY_MS = 86_400_000;
const UNIQUE_VIOLATION = '23505';

/**
 * The screening's facts on PostgreSQL, in one round trip: the lookups of SCREENING_SQL (each from
 * the number, contacts_phone_list_uq, then calls_contact_attempt_uq) and the suppression list's
 * primary key, a cap that is off not looked up (its bound passed as null). For the run's store, and
 * for whatever else screens over PostgreSQL (post-call triggers, `lists plan`).
 */
export async function postgresScreeningFacts(q: Queryable, contact: Pick<ContactRow, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
  const surveyedSince = caps.minDaysBetweenSurveys > 0 ? now - caps.minDaysBetweenSurveys * DAY_MS : null;
  const attemptsSince = caps.maxAttemptsPer30Days > 0 ? now - ATTEMPT_CAP_WINDOW_MS : null;
  const row = (await one<{ suppressed: boolean; liveElsewhere: boolean; attempts: number | null; surveyedAt: number | null; surveyedListId: number | null }>(
    q,
    `SELECT EXISTS (SELECT 1 FROM suppressions WHERE phone_e164 = $1) AS suppressed,
            EXISTS (SELECT 1 FROM contacts WHERE phone_e164 = $1 AND status = 'dialing' AND list_id <> $2) AS "liveElsewhere",
            CASE WHEN $5::bigint IS NOT NULL THEN
              (SELECT count(*) FROM contacts other JOIN calls k ON k.contact_id = other.id
               WHERE other.phone_e164 = $1 AND k.created_at >= $5::bigint AND (k.outcome IS NULL OR k.outcome <> 'create_failed'))
            END AS attempts,
            recent.at AS "surveyedAt", recent.list_id AS "surveyedListId"
     FROM (SELECT 1) AS one
     LEFT JOIN LATERAL (
       SELECT k.ended_at AS at, other.list_id FROM contacts other
         JOIN lists l ON l.id = other.list_id
         JOIN calls k ON k.contact_id = other.id
       WHERE $4::bigint IS NOT NULL AND other.phone_e164 = $1 AND other.list_id <> $2 AND l.client_id IS NOT DISTINCT FROM $3::integer
         AND k.outcome = 'human' AND k.ended_at >= $4::bigint
       ORDER BY k.ended_at DESC LIMIT 1
     ) AS recent ON true`,
    [contact.phoneE164, contact.listId, caps.clientId, surveyedSince, attemptsSince],
  ))!;
  return {
    suppressed: row.suppressed,
    recentSurvey: row.surveyedAt === null ? null : { at: row.surveyedAt, listId: row.surveyedListId! },
    attemptsLast30Days: row.attempts,
    liveElsewhere: row.liveElsewhere,
  };
}

/**
 * The outbound side's store on PostgreSQL, statement for statement the SQLite one's where one
 * writer made that safe. Here dialers on several nodes (a stale one and its successor during a
 * failover) write at once at READ COMMITTED, so where SQLite read and then wrote alone, this one
 * takes the rows first: claims skip contacts another dialer has locked (FOR UPDATE SKIP LOCKED,
 * never waiting, never deadlocking), and the reconciliation locks the rows it decides on before it
 * reads them again.
 */
export class PostgresRunStore implements RunStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async due(listId: number, now: number, limit: number): Promise<ContactRow[]> {
    // A plain read: two dialers may read the same page, and applyDecisions gives each contact to one.
    return rows<ContactRow>(
      this.#q,
      `SELECT ${CONTACT_COLUMNS} FROM contacts WHERE list_id = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
      [listId, now, limit],
    );
  }

  /**
   * One statement for the whole page: the contacts still pending with the count read are locked,
   * those another transaction holds skipped (it is claiming, closing or moving them: they are its),
   * and each locked one takes its decision. A contact named twice takes its first decision only (a
   * run names each once).
   */
  async applyDecisions(decisions: readonly DueDecision[], now: number): Promise<ContactRow[]> {
    const seen = new Set<number>();
    const firsts = decisions.filter(({ contact }) => {
      if (seen.has(contact.id)) return false;
      seen.add(contact.id);
      return true;
    });
    if (firsts.length === 0) return [];
    const taken = await rows<{ id: number; kind: DueDecision['decision']['kind'] }>(
      this.#q,
      `WITH decided AS (
         SELECT * FROM unnest($2::integer[], $3::integer[], $4::text[], $5::text[], $6::bigint[]) AS d(id, attempts, kind, status, until)
       ), mine AS (
         SELECT c.id, decided.kind, decided.status, decided.until FROM contacts c JOIN decided ON decided.id = c.id
         WHERE c.status = 'pending' AND c.attempts = decided.attempts
         FOR UPDATE OF c SKIP LOCKED
       )
       UPDATE contacts c SET
         status = CASE mine.kind WHEN 'claim' THEN 'dialing' WHEN 'close' THEN mine.status ELSE c.status END,
         next_attempt_at = CASE mine.kind WHEN 'close' THEN NULL WHEN 'park' THEN mine.until ELSE c.next_attempt_at END,
         updated_at = $1
       FROM mine WHERE c.id = mine.id
       RETURNING c.id, mine.kind`,
      [
        now,
        firsts.map((d) => d.contact.id),
        firsts.map((d) => d.contact.attempts),
        firsts.map((d) => d.decision.kind),
        firsts.map((d) => (d.decision.kind === 'close' ? d.decision.status : null)),
        firsts.map((d) => (d.decision.kind === 'park' ? d.decision.until : null)),
      ],
    );
    const claimed = new Set(taken.filter((row) => row.kind === 'claim').map((row) => row.id));
    return firsts.filter((d) => d.decision.kind === 'claim' && claimed.has(d.contact.id)).map((d) => d.contact);
  }

  async screeningFacts(contact: Pick<ContactRow, 'listId' | 'phoneE164'>, caps: ScreeningCaps, now: number): Promise<ScreeningFacts> {
    return postgresScreeningFacts(this.#q, contact, caps, now);
  }

  async hasResponse(contactId: number): Promise<boolean> {
    return (await one(this.#q, 'SELECT 1 FROM responses WHERE contact_id = $1', [contactId])) !== undefined;
  }

  async lastOutcome(contactId: number): Promise<CallOutcome | null> {
    return (await one<{ outcome: CallOutcome | null }>(this.#q, 'SELECT outcome FROM calls WHERE contact_id = $1 ORDER BY attempt DESC LIMIT 1', [contactId]))?.outcome ?? null;
  }

  async nextDueAt(listId: number): Promise<number | null> {
    return (await one<{ at: number | null }>(this.#q, `SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = $1 AND status = 'pending'`, [listId]))!.at;
  }

  async openContacts(listId: number): Promise<OpenContacts> {
    return (await one<OpenContacts>(
      this.#q,
      `SELECT count(*) AS n, min(CASE WHEN status = 'pending' THEN next_attempt_at END) AS "nextAt" FROM contacts WHERE list_id = $1 AND status IN ('pending', 'dialing')`,
      [listId],
    ))!;
  }

  async release(contact: ContactRow, now: number): Promise<void> {
    await changes(this.#q, `UPDATE contacts SET status = 'pending', updated_at = $1 WHERE id = $2 AND status = 'dialing' AND attempts = $3`, [now, contact.id, contact.attempts]);
  }

  async beginAttempt(contact: ContactRow, attempt: number, ref: string, now: number): Promise<number> {
    return transaction(this.#q, async (q) => {
      // The contact's row lock orders racing dialers: the second sees the first's count (or the
      // contact given back) once the first commits, changes nothing, and is refused.
      if ((await changes(q, `UPDATE contacts SET attempts = $1 WHERE id = $2 AND status = 'dialing' AND attempts = $3`, [attempt, contact.id, contact.attempts])) === 0) {
        throw attemptTaken(contact, attempt);
      }
      return (await one<{ id: number }>(q, `INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES ($1, $2, $3, $4, 'creating', $5) RETURNING id`, [
        contact.id,
        contact.listId,
        attempt,
        ref,
        now,
      ]))!.id;
    });
  }

  async markCreated(callId: number, uuid: string, conversationUuid: string | null): Promise<void> {
    await changes(
      this.#q,
      `UPDATE calls SET provider_uuid = coalesce(provider_uuid, $1), conversation_uuid = coalesce(conversation_uuid, $2),
         state = CASE WHEN state = 'creating' THEN 'started' ELSE state END WHERE id = $3`,
      [uuid, conversationUuid, callId],
    );
  }

  async undoAttempt(callId: number, contact: ContactRow, attempt: number): Promise<void> {
    await transaction(this.#q, async (q) => {
      if ((await changes(q, `DELETE FROM calls WHERE id = $1 AND state = 'creating' AND provider_uuid IS NULL`, [callId])) === 0) return;
      await changes(q, 'UPDATE contacts SET attempts = $1 WHERE id = $2 AND attempts = $3', [contact.attempts, contact.id, attempt]);
    });
  }

  /** Responses first, calls second: a score stored in between is then counted in both. */
  async progress(listId: number): Promise<ProgressCounts> {
    const byStatus: Record<string, number> = {};
    let contacts = 0;
    for (const { status, n } of await rows<{ status: ContactStatus; n: number }>(this.#q, 'SELECT status, count(*) AS n FROM contacts WHERE list_id = $1 GROUP BY status', [listId])) {
      byStatus[status] = n;
      contacts += n;
    }
    const scores = (await one<{ responses: number; promoters: number; detractors: number }>(
      this.#q,
      `SELECT count(*) AS responses, count(*) FILTER (WHERE ${promoterSql('score')}) AS promoters, count(*) FILTER (WHERE ${detractorSql('score')}) AS detractors
       FROM responses WHERE list_id = $1`,
      [listId],
    ))!;
    const calls = (await one<{ calls: number; answered: number }>(
      this.#q,
      `SELECT count(*) AS calls,
              count(*) FILTER (WHERE outcome = 'human' OR (state <> 'ended' AND (answered_at IS NOT NULL OR ivr_stage IS NOT NULL) AND answered_by IS DISTINCT FROM 'machine')
                               OR EXISTS (SELECT 1 FROM responses r WHERE r.call_id = calls.id)) AS answered
       FROM calls WHERE list_id = $1`,
      [listId],
    ))!;
    return { byStatus, contacts, calls: calls.calls, answered: calls.answered, responses: scores.responses, promoters: scores.promoters, detractors: scores.detractors };
  }

  async leftInFlight(listId: number): Promise<LeftCall[]> {
    return rows<LeftCall>(this.#q, `SELECT ${LEFT_COLUMNS} WHERE k.list_id = $1 AND k.state <> 'ended' ORDER BY k.created_at, k.id`, [listId]);
  }

  async leftCall(callId: number): Promise<LeftCall | undefined> {
    return one<LeftCall>(this.#q, `SELECT ${LEFT_COLUMNS} WHERE k.id = $1`, [callId]);
  }

  async uuidsCreatedBetween(listId: number, from: number, to: number): Promise<string[]> {
    // calls_list_idx: the list's own calls of the same moments.
    const found = await rows<{ uuid: string }>(this.#q, 'SELECT provider_uuid AS uuid FROM calls WHERE list_id = $1 AND provider_uuid IS NOT NULL AND created_at BETWEEN $2 AND $3', [
      listId,
      from,
      to,
    ]);
    return found.map((row) => row.uuid);
  }

  async adoptListedUuid(callId: number, uuid: string): Promise<string | null> {
    try {
      // In a transaction of its own (a savepoint inside a unit), so that losing the race below
      // leaves the caller's transaction usable.
      await transaction(this.#q, (q) =>
        changes(
          q,
          `UPDATE calls SET provider_uuid = $1, state = CASE WHEN state = 'creating' THEN 'started' ELSE state END
           WHERE id = $2 AND provider_uuid IS NULL AND NOT EXISTS (SELECT 1 FROM calls other WHERE other.provider_uuid = $1)`,
          [uuid, callId],
        ),
      );
    } catch (error) {
      // Another row took the uuid after this statement's snapshot (a webhook naming its own call,
      // another reconciler): calls_provider_uuid_uq refused ours, as NOT EXISTS does on SQLite.
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    }
    return (await one<{ uuid: string | null }>(this.#q, 'SELECT provider_uuid AS uuid FROM calls WHERE id = $1', [callId]))?.uuid ?? null;
  }

  async undoUnsentAttempt(call: LeftCall, now: number): Promise<boolean> {
    return transaction(this.#q, async (q) => {
      // The call first, then its contact (a webhook's order). The lock waits for a callback being
      // stored for this call, so that the statements below see it and leave the call alone.
      if ((await one(q, 'SELECT 1 FROM calls WHERE id = $1 FOR UPDATE', [call.id])) === undefined) return false;
      const contact = await one<{ status: string; attempts: number }>(q, 'SELECT status, attempts FROM contacts WHERE id = $1 FOR UPDATE', [call.contactId]);
      if (contact?.status !== 'dialing' || contact.attempts !== call.attempt) return false;
      const deleted = await changes(q, `DELETE FROM calls WHERE id = $1 AND state = 'creating' AND provider_uuid IS NULL AND NOT EXISTS (SELECT 1 FROM call_events WHERE call_id = $1)`, [call.id]);
      if (deleted === 0) return false;
      await changes(q, `UPDATE contacts SET status = 'pending', attempts = $1, next_attempt_at = coalesce(next_attempt_at, $2), updated_at = $2 WHERE id = $3`, [
        call.attempt - 1,
        now,
        call.contactId,
      ]);
      return true;
    });
  }

  async releaseUnstarted(listId: number, now: number): Promise<void> {
    await transaction(this.#q, async (q) => {
      // The claimed contacts are locked first, and only they are given back: a dialer beginning an
      // attempt of one commits its call row before the update below reads calls again (one
      // statement alone would read them in its snapshot, taken before it waited for that row, and
      // give back a contact being dialled); one beginning after it finds the contact given back.
      // A contact claimed after the lock is as one claimed after this release.
      const claimed = await rows<{ id: number }>(q, `SELECT id FROM contacts WHERE list_id = $1 AND status = 'dialing' ORDER BY id FOR UPDATE`, [listId]);
      if (claimed.length === 0) return;
      await changes(
        q,
        `UPDATE contacts SET status = 'pending', next_attempt_at = coalesce(next_attempt_at, $1), updated_at = $1
         WHERE id = ANY($2::integer[]) AND status = 'dialing'
           AND NOT EXISTS (SELECT 1 FROM calls WHERE calls.contact_id = contacts.id AND calls.state <> 'ended')`,
        [now, claimed.map((c) => c.id)],
      );
    });
  }

  async plannedRules(listId: number): Promise<string | null | undefined> {
    return (await one<{ rules: string | null }>(this.#q, 'SELECT planned_rules AS rules FROM lists WHERE id = $1', [listId]))?.rules;
  }

  async waitingContacts(listId: number): Promise<WaitingRow[]> {
    return rows<WaitingRow>(
      this.#q,
      `SELECT c.id, c.country, c.timezone, c.attempts, c.not_before AS "notBefore", c.next_attempt_at AS "nextAttemptAt", ${LAST_ENDED_AT_SQL}
       FROM contacts c WHERE c.list_id = $1 AND c.status = 'pending'`,
      [listId],
    );
  }

  /** The moves as one statement over arrays: a re-plan may move 100,000 contacts, one round trip each would take minutes. */
  async replan(listId: number, moves: readonly WaitingMove[], rules: string, now: number): Promise<number> {
    const ids = moves.map((m) => m.id);
    return transaction(this.#q, async (q) => {
      let moved = 0;
      if (ids.length > 0) {
        // Locked in id order first, so that two re-plans of one list (a run's and a `lists set` on
        // another node) wait for each other instead of deadlocking on rows taken in plan order.
        await rows(q, 'SELECT id FROM contacts WHERE id = ANY($1::integer[]) ORDER BY id FOR UPDATE', [ids]);
        moved = await changes(
        q,
        `UPDATE contacts c SET next_attempt_at = m.to_at, updated_at = $1
         FROM unnest($2::integer[], $3::bigint[], $4::bigint[]) AS m(id, from_at, to_at)
         WHERE c.id = m.id AND c.status = 'pending' AND c.next_attempt_at IS NOT DISTINCT FROM m.from_at`,
        [now, ids, moves.map((m) => m.from), moves.map((m) => m.to)],
        );
      }
      await changes(q, 'UPDATE lists SET planned_rules = $1 WHERE id = $2', [rules, listId]);
      return moved;
    });
  }

  async listsInFlight(): Promise<number[]> {
    const found = await rows<{ listId: number }>(this.#q, `SELECT list_id AS "listId" FROM calls WHERE state <> 'ended' UNION SELECT list_id FROM contacts WHERE status = 'dialing'`);
    return found.map((r) => r.listId);
  }
}
