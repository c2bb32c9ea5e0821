import { one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { ErasureRecord, ErasureStore } from './erasure-store.js';

type Erased = { kind: 'erased'; record: ErasureRecord } | { kind: 'dialing' };

/**
 * The erasure on PostgreSQL, in one transaction as on SQLite; the foreign keys cascade the same way
 * (calls, callbacks, responses, cases, deliveries, themes and corrections go with the contacts;
 * billing lines stay with call_id set to NULL).
 */
export class PostgresErasureStore implements ErasureStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  erase(e164: string, now: number): Promise<Erased> {
    return transaction(this.#q, async (q): Promise<Erased> => {
      // SQLite's single writer made the check for a call in progress and the deletes one step.
      // Here the contacts are locked first: a claim (pending to dialing) that committed is seen, one
      // not yet made waits and then finds its contact gone, and no unit can add a call or a response
      // to them (its foreign key check waits too) while they are counted. A second erasure of the
      // number waits as well, and then counts nothing twice.
      const contacts = await rows<{ id: number; listId: number; status: string }>(
        q,
        'SELECT id, list_id AS "listId", status FROM contacts WHERE phone_e164 = $1 ORDER BY id FOR UPDATE',
        [e164],
      );
      if (contacts.some((c) => c.status === 'dialing')) return { kind: 'dialing' };
      const ids = contacts.map((c) => c.id);
      const files = (await rows<{ file: string }>(q, 'SELECT comment_file AS file FROM responses WHERE contact_id = ANY($1::integer[]) AND comment_file IS NOT NULL ORDER BY id', [ids])).map(
        (r) => r.file,
      );
      const count = async (sql: string) => (await one<{ n: number }>(q, sql, [ids]))!.n;
      const calls = await count('SELECT count(*) AS n FROM calls WHERE contact_id = ANY($1::integer[])');
      const responses = await count('SELECT count(*) AS n FROM responses WHERE contact_id = ANY($1::integer[])');
      const comments = (await one<{ transcripts: number; lastAt: number | null }>(
        q,
        `SELECT count(comment_text) AS transcripts, max(created_at) AS "lastAt" FROM responses
         WHERE contact_id = ANY($1::integer[]) AND (comment_recording_url IS NOT NULL OR comment_mode IS NOT NULL OR comment_status <> 'none')`,
        [ids],
      ))!;
      const billingLinesKept = await count('SELECT count(*) AS n FROM billing_lines WHERE call_id IN (SELECT id FROM calls WHERE contact_id = ANY($1::integer[]))');
      await q.query('DELETE FROM contacts WHERE id = ANY($1::integer[])', [ids]);
      // Triggered-survey requests keep the number even when refused (no contact was made for them).
      await q.query('DELETE FROM survey_triggers WHERE phone_e164 = $1', [e164]);
      const suppressionKept = (await one(q, 'SELECT 1 FROM suppressions WHERE phone_e164 = $1', [e164])) !== undefined;
      const lists = new Set(contacts.map((c) => c.listId)).size;
      const erasureId = (await one<{ id: number }>(
        q,
        `INSERT INTO erasures (erased_at, contacts, lists, calls, responses, recordings, billing_lines_kept, suppression_kept)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [now, ids.length, lists, calls, responses, files.length, billingLinesKept, suppressionKept ? 1 : 0],
      ))!.id;
      return {
        kind: 'erased',
        record: { erasureId, contacts: ids.length, lists, calls, responses, files, billingLinesKept, suppressionKept, transcripts: comments.transcripts, lastCommentAt: comments.lastAt },
      };
    });
  }
}
