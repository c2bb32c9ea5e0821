import { isSuppressed } from '../contacts/index.js';
import type { AppDatabase } from '../db/index.js';

/** What erasing a number removed and kept, as recorded (without the number). */
export interface ErasureRecord {
  erasureId: number;
  contacts: number;
  lists: number;
  calls: number;
  responses: number;
  /** Comment recording files whose rows went: the caller deletes them once the erasure committed. */
  files: string[];
  billingLinesKept: number;
  suppressionKept: boolean;
  /** Comment texts removed with their responses. */
  transcripts: number;
  /** When the person's last comment was given (the provider's copies expire after it); null without one. */
  lastCommentAt: number | null;
}

/**
 * The erasure of a person (docs/adr/0013-store-ports.md): one atomic port method, since it reaches
 * every aggregate that holds the number — contacts, their calls and callbacks, responses and what
 * hangs off them (cases, alerts, themes, corrections), triggered-survey requests — while billing
 * lines stay (detached from the call) and a do-not-call entry stays.
 */
export interface ErasureStore {
  /**
   * Erases the number everywhere in one transaction and records the erasure; `dialing` (nothing
   * changed) while a call to it is in progress.
   */
  erase(e164: string, now: number): Promise<{ kind: 'erased'; record: ErasureRecord } | { kind: 'dialing' }>;
}

/** The erasure on SQLite: deleting the contacts cascades (foreign keys) to calls, callbacks, responses, cases, alert deliveries, themes and corrections; billing lines keep their amounts with call_id set to NULL. */
export class SqliteErasureStore implements ErasureStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  async erase(e164: string, now: number): Promise<{ kind: 'erased'; record: ErasureRecord } | { kind: 'dialing' }> {
    const database = this.#database;
    const { sqlite } = database;
    return sqlite
      .transaction((): { kind: 'erased'; record: ErasureRecord } | { kind: 'dialing' } => {
        const contacts = sqlite.prepare('SELECT id, list_id AS listId, status FROM contacts WHERE phone_e164 = ?').all(e164) as { id: number; listId: number; status: string }[];
        if (contacts.some((c) => c.status === 'dialing')) return { kind: 'dialing' };
        const ids = contacts.map((c) => c.id);
        const inIds = `(${ids.map(() => '?').join(', ') || 'NULL'})`;
        const files = (sqlite.prepare(`SELECT comment_file AS file FROM responses WHERE contact_id IN ${inIds} AND comment_file IS NOT NULL`).all(...ids) as { file: string }[]).map((r) => r.file);
        const calls = (sqlite.prepare(`SELECT count(*) AS n FROM calls WHERE contact_id IN ${inIds}`).get(...ids) as { n: number }).n;
        const responses = (sqlite.prepare(`SELECT count(*) AS n FROM responses WHERE contact_id IN ${inIds}`).get(...ids) as { n: number }).n;
        const comments = sqlite
          .prepare(
            `SELECT count(comment_text) AS transcripts, max(created_at) AS lastAt FROM responses
             WHERE contact_id IN ${inIds} AND (comment_recording_url IS NOT NULL OR comment_mode IS NOT NULL OR comment_status <> 'none')`,
          )
          .get(...ids) as { transcripts: number; lastAt: number | null };
        const billingLinesKept = (sqlite.prepare(`SELECT count(*) AS n FROM billing_lines WHERE call_id IN (SELECT id FROM calls WHERE contact_id IN ${inIds})`).get(...ids) as { n: number }).n;
        sqlite.prepare(`DELETE FROM contacts WHERE id IN ${inIds}`).run(...ids);
        // Triggered-survey requests keep the number even when refused (no contact was made for them).
        sqlite.prepare('DELETE FROM survey_triggers WHERE phone_e164 = ?').run(e164);
        const suppressionKept = isSuppressed(database, e164);
        const lists = new Set(contacts.map((c) => c.listId)).size;
        const erasureId = (
          sqlite
            .prepare(
              `INSERT INTO erasures (erased_at, contacts, lists, calls, responses, recordings, billing_lines_kept, suppression_kept)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
            )
            .get(now, ids.length, lists, calls, responses, files.length, billingLinesKept, suppressionKept ? 1 : 0) as { id: number }
        ).id;
        return {
          kind: 'erased',
          record: { erasureId, contacts: ids.length, lists, calls, responses, files, billingLinesKept, suppressionKept, transcripts: comments.transcripts, lastCommentAt: comments.lastAt },
        };
      })
      .immediate();
  }
}
