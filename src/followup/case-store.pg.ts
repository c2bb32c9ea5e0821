import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import { toStored, type CaseChange, type CaseContext, type CaseFilter, type CaseRow, type CaseStore, type NewCase, type StoredCase } from './case-store.js';

/**
 * SQLite's CASE_SELECT in PostgreSQL's words: quoted aliases, string_agg for group_concat, the
 * themes sorted by their bytes as SQLite sorts them. A contact has one trigger; should it ever have
 * two, the first is named rather than the query failing.
 */
const CASE_SELECT = `SELECT k.id, k.client_id AS "clientId", k.list_id AS "listId",
    (SELECT t.id FROM survey_triggers t WHERE t.contact_id = k.contact_id ORDER BY t.id LIMIT 1) AS "surveyId",
    k.response_id AS "responseId", k.call_id AS "callId", k.score, k.agent, k.contact_id AS "contactId", c.phone_e164 AS phone, c.attributes,
    k.owner, k.status, k.note, k.due_at AS "dueAt", k.created_at AS "createdAt", k.updated_at AS "updatedAt",
    k.contacted_at AS "contactedAt", k.resolved_at AS "resolvedAt", r.comment_text AS "commentText", r.sentiment, r.reason,
    (SELECT string_agg(t.theme, ',' ORDER BY t.theme COLLATE "C") FROM response_themes t WHERE t.response_id = k.response_id) AS themes
  FROM cases k JOIN contacts c ON c.id = k.contact_id LEFT JOIN responses r ON r.id = k.response_id`;

/**
 * The cases store on PostgreSQL. A move is a conditional update on the state it was computed from:
 * of two operators moving one case at once, the second waits for the first's row lock, finds the
 * case no longer as it read it, and changes nothing.
 */
export class PostgresCaseStore implements CaseStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  contextOf(listId: number, contactId: number): Promise<CaseContext | undefined> {
    return one<CaseContext>(
      this.#q,
      `SELECT l.client_id AS "clientId", l.follow_up AS "followUp", c.case_owner AS "clientOwner", k.attributes
       FROM lists l LEFT JOIN clients c ON c.id = l.client_id JOIN contacts k ON k.id = $1 WHERE l.id = $2`,
      [contactId, listId],
    );
  }

  async open(c: NewCase): Promise<number | undefined> {
    const row = await one<{ id: number }>(
      this.#q,
      `INSERT INTO cases (response_id, client_id, list_id, contact_id, call_id, score, threshold, agent, owner, status, due_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11) ON CONFLICT (response_id) DO NOTHING RETURNING id`,
      [c.responseId, c.clientId, c.listId, c.contactId, c.callId, c.score, c.threshold, c.agent, c.owner, c.dueAt, c.at],
    );
    return row?.id;
  }

  async list(filter: CaseFilter): Promise<StoredCase[]> {
    const found = await rows<CaseRow>(
      this.#q,
      `${CASE_SELECT}
       WHERE ($1::integer IS NULL OR k.client_id = $1) AND ($2::text IS NULL OR k.status = $2) AND ($3::integer IS NULL OR k.list_id = $3)
         AND ($4::boolean IS NULL OR $4 = (k.status = 'open' AND k.due_at < $5)) AND ($6::integer IS NULL OR k.id < $6)
         AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = k.response_id AND t.theme = $7))
       ORDER BY k.id DESC LIMIT $8`,
      [filter.clientId ?? null, filter.status ?? null, filter.listId ?? null, filter.overdue ?? null, filter.now, filter.before ?? null, filter.theme ?? null, filter.limit],
    );
    return found.map(toStored);
  }

  byId(caseId: number, clientId?: number): Promise<StoredCase | undefined> {
    return byId(this.#q, caseId, clientId);
  }

  update(change: CaseChange): Promise<StoredCase | undefined> {
    // The case is read back in the transaction of its change, as it was changed.
    return transaction(this.#q, async (q) => {
      const changed = await changes(
        q,
        `UPDATE cases SET
           owner = CASE WHEN $1 THEN $2 ELSE owner END,
           note = CASE WHEN $3 THEN $4 ELSE note END,
           status = $5, contacted_at = $6, resolved_at = $7, updated_at = $8
         WHERE id = $9 AND ($10::integer IS NULL OR client_id = $10)
           AND status = $11 AND contacted_at IS NOT DISTINCT FROM $12::bigint AND resolved_at IS NOT DISTINCT FROM $13::bigint`,
        [
          change.owner !== undefined,
          change.owner ?? null,
          change.note !== undefined,
          change.note ?? null,
          change.to.status,
          change.to.contactedAt,
          change.to.resolvedAt,
          change.at,
          change.caseId,
          change.clientId ?? null,
          change.from.status,
          change.from.contactedAt,
          change.from.resolvedAt,
        ],
      );
      return changed === 1 ? byId(q, change.caseId, undefined) : undefined;
    });
  }
}

async function byId(q: Queryable, caseId: number, clientId: number | undefined): Promise<StoredCase | undefined> {
  const row = await one<CaseRow>(q, `${CASE_SELECT} WHERE k.id = $1 AND ($2::integer IS NULL OR k.client_id = $2)`, [caseId, clientId ?? null]);
  return row && toStored(row);
}
