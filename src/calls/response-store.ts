import { prepared, type AppDatabase } from '../db/index.js';
import type { ReasonOutcome } from '../db/schema/index.js';
import type { SpokenCommentRecord } from '../comments/index.js';

/** A call's response as the call flow reads it. */
export interface ResponseOfCall {
  id: number;
  score: number;
  reason: string | null;
  reasonOutcome: ReasonOutcome | null;
}

export interface NewScore {
  contactId: number;
  callId: number;
  listId: number;
  score: number;
  /** The language the callee heard: the comment that follows is said, and transcribed, in it. */
  commentLanguage: string;
  at: number;
}

/** What a transcription webhook says: where the transcript is, or that there is none. */
export type TranscriptNotice = { kind: 'transcribed'; url: string; at: number } | { kind: 'failed' };

/**
 * The responses store on the webhooks' side (docs/adr/0013-store-ports.md): a score is stored once
 * per contact, and every later change to a response only moves forward, so a duplicate webhook
 * changes nothing. A method that reports `true` made its change.
 */
export interface ResponseStore {
  ofCall(callId: number): Promise<ResponseOfCall | undefined>;
  /** Whether the contact has a response (of any attempt). */
  existsForContact(contactId: number): Promise<boolean>;
  /** Stores the contact's score; undefined when the contact has one already. */
  recordScore(score: NewScore): Promise<number | undefined>;
  /** The list asks a reason but has no wording in the callee's language: nothing was asked. */
  markReasonSkipped(responseId: number): Promise<void>;
  /** The callee chose a reason: final, unless one was chosen or the question skipped. */
  chooseReason(responseId: number, key: string): Promise<boolean>;
  /** The first answer to the reason question failed; the question is asked again. */
  noteReasonFailure(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void>;
  /** The re-prompt failed too: the failure stays, unless a reason was chosen meanwhile. */
  giveUpReason(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void>;
  /** Where the comment recording is, unless its download finished; true when the download is to be queued. */
  noteRecording(responseId: number, url: string, seconds: number | null): Promise<boolean>;
  /** Where the comment's transcript is (or that there is none), unless its text was read. */
  noteTranscript(responseId: number, notice: TranscriptNotice): Promise<void>;
  /** Stores a spoken comment once; false when one was stored before. */
  storeSpokenComment(responseId: number, comment: SpokenCommentRecord): Promise<boolean>;
}

/** The responses store on SQLite. */
export class SqliteResponseStore implements ResponseStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  #sql(sql: string) {
    return prepared(this.#db, sql);
  }

  async ofCall(callId: number): Promise<ResponseOfCall | undefined> {
    return this.#sql('SELECT id, score, reason, reason_outcome AS reasonOutcome FROM responses WHERE call_id = ?').get(callId) as ResponseOfCall | undefined;
  }

  async existsForContact(contactId: number): Promise<boolean> {
    return this.#sql('SELECT 1 FROM responses WHERE contact_id = ?').get(contactId) !== undefined;
  }

  async recordScore(s: NewScore): Promise<number | undefined> {
    const row = this.#sql(
      'INSERT INTO responses (contact_id, call_id, list_id, score, comment_language, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING RETURNING id',
    ).get(s.contactId, s.callId, s.listId, s.score, s.commentLanguage, s.at) as { id: number } | undefined;
    return row?.id;
  }

  async markReasonSkipped(responseId: number): Promise<void> {
    this.#sql(`UPDATE responses SET reason_outcome = 'skipped' WHERE id = ? AND reason_outcome IS NULL`).run(responseId);
  }

  async chooseReason(responseId: number, key: string): Promise<boolean> {
    return (
      this.#sql(`UPDATE responses SET reason = ?, reason_outcome = 'chosen' WHERE id = ? AND reason IS NULL AND (reason_outcome IS NULL OR reason_outcome <> 'skipped')`).run(
        key,
        responseId,
      ).changes === 1
    );
  }

  async noteReasonFailure(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void> {
    this.#sql('UPDATE responses SET reason_outcome = ? WHERE id = ? AND reason_outcome IS NULL').run(outcome, responseId);
  }

  async giveUpReason(responseId: number, outcome: 'no_input' | 'invalid'): Promise<void> {
    this.#sql(`UPDATE responses SET reason_outcome = ? WHERE id = ? AND reason IS NULL AND reason_outcome IN ('no_input', 'invalid')`).run(outcome, responseId);
  }

  async noteRecording(responseId: number, url: string, seconds: number | null): Promise<boolean> {
    // A first (or repeated pending) notice sets the URL; a duplicate after the download finished must not reset it.
    return (
      this.#sql(`UPDATE responses SET comment_recording_url = ?, comment_seconds = ?, comment_status = 'pending' WHERE id = ? AND comment_status IN ('none', 'pending')`).run(
        url,
        seconds,
        responseId,
      ).changes === 1
    );
  }

  async noteTranscript(responseId: number, notice: TranscriptNotice): Promise<void> {
    if (notice.kind === 'transcribed') {
      this.#sql(
        `UPDATE responses SET comment_mode = 'recording', comment_transcript_url = ?, comment_text_status = 'pending', comment_text_due_at = ?
         WHERE id = ? AND comment_text_status IN ('none', 'pending')`,
      ).run(notice.url, notice.at, responseId);
    } else {
      this.#sql(`UPDATE responses SET comment_mode = 'recording', comment_text_status = 'failed', comment_text_due_at = NULL WHERE id = ? AND comment_text_status IN ('none', 'pending')`).run(
        responseId,
      );
    }
  }

  async storeSpokenComment(responseId: number, c: SpokenCommentRecord): Promise<boolean> {
    return (
      this.#sql(
        `UPDATE responses SET comment_mode = 'speech', comment_text_status = ?, comment_text = ?, comment_confidence = ?, comment_text_due_at = ?,
           comment_recording_url = coalesce(?, comment_recording_url), comment_status = CASE WHEN ? IS NOT NULL THEN 'pending' ELSE comment_status END
         WHERE id = ? AND comment_text_status = 'none' AND comment_mode IS NULL`,
      ).run(c.textStatus, c.text, c.confidence, c.dueAt, c.audioUrl, c.audioUrl, responseId).changes === 1
    );
  }
}
