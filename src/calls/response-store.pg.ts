import type { SpokenCommentRecord } from '../comments/index.js';
import { changes, one, type Queryable } from '../db/postgres/index.js';
import type { NewScore, ResponseOfCall, ResponseStore, TranscriptNotice } from './response-store.js';

/**
 * The responses store on PostgreSQL, statement for statement as on SQLite. A score of two racing
 * units meets the other on the contact's unique index (the second insert waits for the first's
 * transaction, then does nothing), and every later change only moves forward.
 */
export class PostgresResponseStore implements ResponseStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  ofCall(callId: number): Promise<ResponseOfCall | undefined> {
    return one<ResponseOfCall>(this.#q, 'SELECT id, score, reason, reason_outcome AS "reasonOutcome" FROM responses WHERE call_id = $1', [callId]);
  }

  async existsForContact(contactId: number): Promise<boolean> {
    return (await one(this.#q, 'SELECT 1 FROM responses WHERE contact_id = $1', [contactId])) !== undefined;
  }

  async recordScore(s: NewScore): Promise<number | undefined> {
    const row = await one<{ id: number }>(
      this.#q,
      'INSERT INTO responses (contact_id, call_id, list_id, score, comment_language, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contact_id) DO NOTHING RETURNING id',
      [s.contactId, s.callId, s.listId, s.score, s.commentLanguage, s.at],
    );
    return row?.id;
  }

  async markReasonSkipped(responseId: number): Promise<void> {
    await this.#q.query(`UPDATE responses SET reason_outcome = 'skipped' WHERE id = $1 AND reason_outcome IS NULL`, [responseId]);
  }

  async chooseReason(responseId: number, key: string): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        `UPDATE responses SET reason = $1, reason_outcome = 'chosen' WHERE id = $2 AND reason IS NULL AND (reason_outcome IS NULL OR reason_outcome <> 'skipped')`,
        [key, responseId],
      )) === 1
    );
  }

  async noteReasonFailure(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void> {
    await this.#q.query('UPDATE responses SET reason_outcome = $1 WHERE id = $2 AND reason_outcome IS NULL', [outcome, responseId]);
  }

  async giveUpReason(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void> {
    await this.#q.query(`UPDATE responses SET reason_outcome = $1 WHERE id = $2 AND reason IS NULL AND reason_outcome IN ('no_input', 'invalid')`, [outcome, responseId]);
  }

  async noteRecording(responseId: number, url: string, seconds: number | null): Promise<boolean> {
    // A first (or repeated pending) notice sets the URL; a duplicate after the download finished must not reset it.
    return (
      (await changes(
        this.#q,
        `UPDATE responses SET comment_recording_url = $1, comment_seconds = $2, comment_status = 'pending' WHERE id = $3 AND comment_status IN ('none', 'pending')`,
        [url, seconds, responseId],
      )) === 1
    );
  }

  async noteTranscript(responseId: number, notice: TranscriptNotice): Promise<void> {
    if (notice.kind === 'transcribed') {
      await this.#q.query(
        `UPDATE responses SET comment_mode = 'recording', comment_transcript_url = $1, comment_text_status = 'pending', comment_text_due_at = $2
         WHERE id = $3 AND comment_text_status IN ('none', 'pending')`,
        [notice.url, notice.at, responseId],
      );
    } else {
      await this.#q.query(
        `UPDATE responses SET comment_mode = 'recording', comment_text_status = 'failed', comment_text_due_at = NULL WHERE id = $1 AND comment_text_status IN ('none', 'pending')`,
        [responseId],
      );
    }
  }

  async storeSpokenComment(responseId: number, c: SpokenCommentRecord): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        `UPDATE responses SET comment_mode = 'speech', comment_text_status = $1, comment_text = $2, comment_confidence = $3, comment_text_due_at = $4,
           comment_recording_url = coalesce($5, comment_recording_url), comment_status = CASE WHEN $5::text IS NOT NULL THEN 'pending' ELSE comment_status END
         WHERE id = $6 AND comment_text_status = 'none' AND comment_mode IS NULL`,
        [c.textStatus, c.text, c.confidence, c.dueAt, c.audioUrl, responseId],
      )) === 1
    );
  }
}
