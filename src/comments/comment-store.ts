import { prepared, type AppDatabase } from '../db/index.js';
import type { CommentMode, CommentTextStatus, JudgementSource, Sentiment } from '../db/schema/index.js';

/** A recording whose download is pending, as the download queue reads it. */
export interface PendingDownload {
  listId: number;
  callId: number;
  /** Where the provider holds the recording. */
  url: string;
  /** Download attempts made so far. */
  attempts: number;
}

/** A comment whose text is pending, as the text queue reads it. */
export interface PendingText {
  listId: number;
  callId: number;
  mode: CommentMode | null;
  /** Where the provider holds the transcript of a recorded comment. */
  transcriptUrl: string | null;
  /** A spoken comment's words, stored by the input webhook and waiting to be classified. */
  spoken: string | null;
  confidence: number | null;
  /** The language the callee heard, and was transcribed in. */
  language: string | null;
  /** Text attempts made so far. */
  attempts: number;
}

/** What the engine (with the provider's sentiment, when it gave one) makes of a comment's words. */
export interface EngineJudgement {
  themes: string[];
  sentiment: Sentiment;
  sentimentSource: JudgementSource;
}

/** What a comment is judged to be about, as stored on its response. */
export interface CommentJudgement {
  themes: string[];
  themesSource: JudgementSource;
  sentiment: Sentiment;
  sentimentSource: JudgementSource;
}

/** A comment's words and what was judged of them, as stored. */
interface StoredJudgement {
  /** The words; null when there are none (yet, or any more: retention removes them). */
  text: string | null;
  language: string | null;
  /** The stored themes, in name order. */
  themes: string[];
  themesSource: JudgementSource | null;
  sentiment: Sentiment | null;
  sentimentSource: JudgementSource | null;
}

/** A comment as a judgement (or a re-classification) reads it. */
export interface CommentToJudge extends StoredJudgement {
  responseId: number;
  listId: number;
}

/** What a correction needs to know of the response it corrects. */
export interface CorrectionTarget {
  responseId: number;
  listId: number;
  /** The client owning the list; null for a list without one. */
  clientId: number | null;
  textStatus: CommentTextStatus;
}

/** A person's correction of a comment's themes (and optionally its sentiment). */
export interface ThemesCorrectionInput {
  responseId: number;
  /** Theme ids, distinct, in name order. */
  themes: string[];
  sentiment?: Sentiment | undefined;
  /** Who corrected: "operator" or "client:<id>". */
  actor: string;
  at: number;
}

/** A correction as stored: the comment's themes and sentiment after it, and its audit row. */
export interface StoredCorrection {
  themes: string[];
  themesSource: JudgementSource;
  sentiment: Sentiment | null;
  sentimentSource: JudgementSource | null;
  /** The audit row written, or null when the correction changed nothing (a repeated request). */
  correctionId: number | null;
}

/** One row of a comment's audit trail. */
export interface CorrectionRecord {
  id: number;
  actor: string;
  before: string[];
  after: string[];
  correctedAt: number;
}

/** A comment with words in a list's listing. */
export interface ListedComment extends StoredJudgement {
  responseId: number;
  score: number;
  reason: string | null;
  respondedAt: number;
  /** The contact's number, unmasked: the caller decides who sees it. */
  phone: string;
}

/** Which comments of a list to list: scores from `minScore` to `maxScore`, and with `theme` when given. */
export interface CommentsFilter {
  minScore: number;
  maxScore: number;
  theme?: string | undefined;
}

/**
 * The comment pipeline's store (docs/adr/0013-store-ports.md): the state of a response's comment
 * — its recording's download, its text, its themes and sentiment, the corrections of its themes —
 * and the only code that speaks SQL for it. Asynchronous, so that PostgreSQL is a second adapter
 * behind the same calls; every adapter passes test/comments/comment-store-conformance.ts.
 *
 * The background queues' writes are conditional on the state they read (a download or a text
 * still `pending`): a write that finds another state changes nothing and says so, so a job that
 * lost a race (a second process, a duplicate webhook) never undoes what the winner stored. Each
 * method is one unit of work; the atomic ones say so.
 */
export interface CommentStore {
  // -- Recording downloads
  /** Responses whose recording is still to download, in id order; of one list when given. */
  pendingDownloads(listId?: number): Promise<number[]>;
  /** The response's recording download while it is pending with a URL; undefined otherwise. */
  pendingDownload(responseId: number): Promise<PendingDownload | undefined>;
  /** The recording was downloaded to `file` (relative to the recordings directory): false when it was no longer pending. */
  markDownloaded(responseId: number, file: string, attempts: number): Promise<boolean>;
  /** A download attempt failed; `giveUp` marks the recording failed. False when it was no longer pending. */
  noteDownloadFailed(responseId: number, attempts: number, giveUp: boolean): Promise<boolean>;
  /**
   * Scores of the list whose call reached the recorded comment and whose recording webhook has not
   * come (a list taking spoken comments has none: its words come during the call).
   */
  awaitingRecordings(listId: number): Promise<number>;

  // -- Comment texts
  /** Responses whose text is still to read or classify, in id order; of one list when given. */
  pendingTexts(listId?: number): Promise<number[]>;
  /** The response's comment text while it is pending; undefined otherwise. */
  pendingText(responseId: number): Promise<PendingText | undefined>;
  /**
   * Atomic: stores the words of a pending text as ready, with their judgement (a person's themes
   * or sentiment stay). Undefined when the text was no longer pending (nothing is stored).
   */
  markTextReady(responseId: number, text: { words: string; confidence: number | null; attempts: number }, judgement: EngineJudgement): Promise<CommentJudgement | undefined>;
  /**
   * Atomic: a pending text without words is no comment — the text is `empty` and the recording
   * (pending, downloaded or failed) `deleted`, its file reference removed. Returns the file the
   * reference pointed at (to delete), or undefined when the text was no longer pending.
   */
  markTextEmpty(responseId: number, attempts: number): Promise<{ file: string | null } | undefined>;
  /** A text attempt failed: the next is due at `retryAt`, or, when null, the text is `failed`. False when it was no longer pending. */
  noteTextFailed(responseId: number, attempts: number, retryAt: number | null): Promise<boolean>;

  // -- Judgements, corrections, listings
  commentToJudge(responseId: number): Promise<CommentToJudge | undefined>;
  /** The list's comments with words (text ready), in id order. */
  commentsWithWords(listId: number): Promise<CommentToJudge[]>;
  /** Atomic: stores a judgement, keeping the themes and the sentiment a person set. Undefined for an unknown response. */
  recordJudgement(responseId: number, judgement: EngineJudgement): Promise<CommentJudgement | undefined>;
  /** The stored themes of a response, in name order. */
  themesOf(responseId: number): Promise<string[]>;
  correctionTarget(responseId: number): Promise<CorrectionTarget | undefined>;
  /**
   * Atomic: stores a correction as a person's (`manual`) and audits it with the theme ids before
   * and after; a correction that changes nothing is not audited. Undefined when the response has
   * no comment with words (any more).
   */
  correct(correction: ThemesCorrectionInput): Promise<StoredCorrection | undefined>;
  /** The audit trail of a comment, oldest first. */
  correctionsOf(responseId: number): Promise<CorrectionRecord[]>;
  /** The list's owner; undefined for an unknown list. */
  listOwner(listId: number): Promise<{ clientId: number | null } | undefined>;
  /** The list's comments with words, lowest score first, then by response. */
  commentsOfList(listId: number, filter: CommentsFilter): Promise<ListedComment[]>;

  // -- Retention
  /** Downloaded recordings of responses made before `cutoff`. */
  downloadedBefore(cutoff: number): Promise<{ responseId: number; file: string | null }[]>;
  /** The downloaded recording's file is gone: `deleted`, without a file reference. False when it was not downloaded. */
  markRecordingDeleted(responseId: number): Promise<boolean>;
  /** Removes the words of comments made before `cutoff` (themes and sentiment stay); returns how many. */
  removeTextsBefore(cutoff: number): Promise<number>;
  /** Every recording file a response points at, relative to the recordings directory. */
  recordingFiles(): Promise<string[]>;
}

const splitThemes = (joined: string | null): string[] => (joined ? joined.split(',') : []);

const THEMES_OF = `(SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = r.id ORDER BY theme))`;

const TO_JUDGE = `SELECT r.id AS responseId, r.list_id AS listId, r.comment_text AS text, r.comment_language AS language, ${THEMES_OF} AS themes,
  r.themes_source AS themesSource, r.sentiment, r.sentiment_source AS sentimentSource FROM responses r`;

type JudgeRow = Omit<CommentToJudge, 'themes'> & { themes: string | null };

/** The comment pipeline's store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteCommentStore implements CommentStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  #sql(sql: string) {
    return prepared(this.#db, sql);
  }

  #atomic<T>(work: () => T): T {
    return this.#db.sqlite.transaction(work).immediate();
  }

  async pendingDownloads(listId?: number): Promise<number[]> {
    return (this.#sql(`SELECT id FROM responses WHERE comment_status = 'pending' AND (? IS NULL OR list_id = ?) ORDER BY id`).all(listId ?? null, listId ?? null) as { id: number }[]).map(
      (r) => r.id,
    );
  }

  async pendingDownload(responseId: number): Promise<PendingDownload | undefined> {
    const row = this.#sql(
      `SELECT list_id AS listId, call_id AS callId, comment_recording_url AS url, comment_download_attempts AS attempts FROM responses
       WHERE id = ? AND comment_status = 'pending' AND comment_recording_url IS NOT NULL`,
    ).get(responseId) as PendingDownload | undefined;
    return row;
  }

  async markDownloaded(responseId: number, file: string, attempts: number): Promise<boolean> {
    return (
      this.#sql(`UPDATE responses SET comment_status = 'downloaded', comment_file = ?, comment_download_attempts = ? WHERE id = ? AND comment_status = 'pending'`).run(file, attempts, responseId)
        .changes === 1
    );
  }

  async noteDownloadFailed(responseId: number, attempts: number, giveUp: boolean): Promise<boolean> {
    return (
      this.#sql(
        `UPDATE responses SET comment_download_attempts = ?, comment_status = CASE WHEN ? THEN 'failed' ELSE comment_status END WHERE id = ? AND comment_status = 'pending'`,
      ).run(attempts, giveUp ? 1 : 0, responseId).changes === 1
    );
  }

  async awaitingRecordings(listId: number): Promise<number> {
    return (
      this.#sql(
        `SELECT count(*) AS n FROM responses r JOIN calls c ON c.id = r.call_id JOIN lists l ON l.id = r.list_id
         WHERE r.list_id = ? AND r.comment_status = 'none' AND c.ivr_stage = 'comment' AND json_extract(l.script, '$.comment') IS NOT 'speech'`,
      ).get(listId) as { n: number }
    ).n;
  }

  async pendingTexts(listId?: number): Promise<number[]> {
    return (
      this.#sql(`SELECT id FROM responses WHERE comment_text_status = 'pending' AND (? IS NULL OR list_id = ?) ORDER BY id`).all(listId ?? null, listId ?? null) as { id: number }[]
    ).map((r) => r.id);
  }

  async pendingText(responseId: number): Promise<PendingText | undefined> {
    return this.#sql(
      `SELECT list_id AS listId, call_id AS callId, comment_mode AS mode, comment_transcript_url AS transcriptUrl, comment_text AS spoken, comment_confidence AS confidence,
         comment_language AS language, comment_text_attempts AS attempts
       FROM responses WHERE id = ? AND comment_text_status = 'pending'`,
    ).get(responseId) as PendingText | undefined;
  }

  async markTextReady(responseId: number, text: { words: string; confidence: number | null; attempts: number }, judgement: EngineJudgement): Promise<CommentJudgement | undefined> {
    return this.#atomic(() => {
      // comment_language was set with the score: the language the callee heard and was transcribed in.
      const changed = this.#sql(
        `UPDATE responses SET comment_text_status = 'ready', comment_text = ?, comment_confidence = ?, comment_text_attempts = ?, comment_text_due_at = NULL
         WHERE id = ? AND comment_text_status = 'pending'`,
      ).run(text.words, text.confidence, text.attempts, responseId).changes;
      return changed === 1 ? this.#applyJudgement(responseId, judgement) : undefined;
    });
  }

  async markTextEmpty(responseId: number, attempts: number): Promise<{ file: string | null } | undefined> {
    return this.#atomic(() => {
      const row = this.#sql(`SELECT comment_file AS file FROM responses WHERE id = ? AND comment_text_status = 'pending'`).get(responseId) as { file: string | null } | undefined;
      if (!row) return undefined;
      this.#sql(
        `UPDATE responses SET comment_text_status = 'empty', comment_text = NULL, comment_text_attempts = ?, comment_text_due_at = NULL,
           comment_status = CASE WHEN comment_status IN ('pending', 'downloaded', 'failed') THEN 'deleted' ELSE comment_status END, comment_file = NULL
         WHERE id = ?`,
      ).run(attempts, responseId);
      return row;
    });
  }

  async noteTextFailed(responseId: number, attempts: number, retryAt: number | null): Promise<boolean> {
    return (
      this.#sql(
        `UPDATE responses SET comment_text_attempts = ?, comment_text_due_at = ?, comment_text_status = CASE WHEN ? IS NULL THEN 'failed' ELSE comment_text_status END
         WHERE id = ? AND comment_text_status = 'pending'`,
      ).run(attempts, retryAt, retryAt, responseId).changes === 1
    );
  }

  async commentToJudge(responseId: number): Promise<CommentToJudge | undefined> {
    const row = this.#sql(`${TO_JUDGE} WHERE r.id = ?`).get(responseId) as JudgeRow | undefined;
    return row && { ...row, themes: splitThemes(row.themes) };
  }

  async commentsWithWords(listId: number): Promise<CommentToJudge[]> {
    return (this.#sql(`${TO_JUDGE} WHERE r.list_id = ? AND r.comment_text_status = 'ready' AND r.comment_text IS NOT NULL ORDER BY r.id`).all(listId) as JudgeRow[]).map((row) => ({
      ...row,
      themes: splitThemes(row.themes),
    }));
  }

  async recordJudgement(responseId: number, judgement: EngineJudgement): Promise<CommentJudgement | undefined> {
    return this.#atomic(() => this.#applyJudgement(responseId, judgement));
  }

  /** Inside a transaction: a person's themes and sentiment (`manual`) stay; the rest is the judgement's. */
  #applyJudgement(responseId: number, judgement: EngineJudgement): CommentJudgement | undefined {
    const row = this.#sql('SELECT list_id AS listId, themes_source AS themesSource, sentiment_source AS sentimentSource FROM responses WHERE id = ?').get(responseId) as
      | { listId: number; themesSource: JudgementSource | null; sentimentSource: JudgementSource | null }
      | undefined;
    if (!row) return undefined;
    let themes: string[];
    let themesSource: JudgementSource;
    if (row.themesSource === 'manual') {
      themes = this.#themes(responseId);
      themesSource = 'manual';
    } else {
      themes = judgement.themes;
      themesSource = 'engine';
      this.#replaceThemes(responseId, row.listId, themes);
    }
    if (row.sentimentSource !== 'manual') {
      this.#sql('UPDATE responses SET themes_source = ?, sentiment = ?, sentiment_source = ? WHERE id = ?').run(themesSource, judgement.sentiment, judgement.sentimentSource, responseId);
    } else {
      this.#sql('UPDATE responses SET themes_source = ? WHERE id = ?').run(themesSource, responseId);
    }
    const stored = this.#sql('SELECT sentiment, sentiment_source AS sentimentSource FROM responses WHERE id = ?').get(responseId) as { sentiment: Sentiment; sentimentSource: JudgementSource };
    return { themes, themesSource, ...stored };
  }

  #themes(responseId: number): string[] {
    return (this.#sql('SELECT theme FROM response_themes WHERE response_id = ? ORDER BY theme').all(responseId) as { theme: string }[]).map((row) => row.theme);
  }

  #replaceThemes(responseId: number, listId: number, themes: readonly string[]): void {
    this.#sql('DELETE FROM response_themes WHERE response_id = ?').run(responseId);
    for (const theme of themes) this.#sql('INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)').run(responseId, listId, theme);
  }

  async themesOf(responseId: number): Promise<string[]> {
    return this.#themes(responseId);
  }

  async correctionTarget(responseId: number): Promise<CorrectionTarget | undefined> {
    return this.#sql(
      `SELECT r.id AS responseId, r.list_id AS listId, l.client_id AS clientId, r.comment_text_status AS textStatus FROM responses r JOIN lists l ON l.id = r.list_id WHERE r.id = ?`,
    ).get(responseId) as CorrectionTarget | undefined;
  }

  async correct(c: ThemesCorrectionInput): Promise<StoredCorrection | undefined> {
    return this.#atomic((): StoredCorrection | undefined => {
      const row = this.#sql(
        `SELECT list_id AS listId, themes_source AS themesSource, sentiment, sentiment_source AS sentimentSource FROM responses WHERE id = ? AND comment_text_status = 'ready'`,
      ).get(c.responseId) as { listId: number; themesSource: JudgementSource | null; sentiment: Sentiment | null; sentimentSource: JudgementSource | null } | undefined;
      if (!row) return undefined;
      const before = this.#themes(c.responseId);
      const sentimentChanged = c.sentiment !== undefined && (c.sentiment !== row.sentiment || row.sentimentSource !== 'manual');
      const themesChanged = row.themesSource !== 'manual' || before.join(',') !== c.themes.join(',');
      let correctionId: number | null = null;
      if (themesChanged) {
        this.#replaceThemes(c.responseId, row.listId, c.themes);
        this.#sql(`UPDATE responses SET themes_source = 'manual' WHERE id = ?`).run(c.responseId);
      }
      if (sentimentChanged) this.#sql(`UPDATE responses SET sentiment = ?, sentiment_source = 'manual' WHERE id = ?`).run(c.sentiment, c.responseId);
      if (themesChanged || sentimentChanged) {
        // before/after hold theme ids only (docs/privacy.md): the audit may outlive the words.
        correctionId = (
          this.#sql('INSERT INTO theme_corrections (response_id, list_id, actor, before, after, corrected_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id').get(
            c.responseId,
            row.listId,
            c.actor,
            JSON.stringify(before),
            JSON.stringify(c.themes),
            c.at,
          ) as { id: number }
        ).id;
      }
      const stored = this.#sql('SELECT sentiment, sentiment_source AS sentimentSource, themes_source AS themesSource FROM responses WHERE id = ?').get(c.responseId) as {
        sentiment: Sentiment | null;
        sentimentSource: JudgementSource | null;
        themesSource: JudgementSource;
      };
      return { themes: this.#themes(c.responseId), ...stored, correctionId };
    });
  }

  async correctionsOf(responseId: number): Promise<CorrectionRecord[]> {
    return (
      this.#sql('SELECT id, actor, before, after, corrected_at AS correctedAt FROM theme_corrections WHERE response_id = ? ORDER BY id').all(responseId) as {
        id: number;
        actor: string;
        before: string;
        after: string;
        correctedAt: number;
      }[]
    ).map((c) => ({ ...c, before: JSON.parse(c.before) as string[], after: JSON.parse(c.after) as string[] }));
  }

  async listOwner(listId: number): Promise<{ clientId: number | null } | undefined> {
    return this.#sql('SELECT client_id AS clientId FROM lists WHERE id = ?').get(listId) as { clientId: number | null } | undefined;
  }

  async commentsOfList(listId: number, filter: CommentsFilter): Promise<ListedComment[]> {
    const rows = this.#sql(
      `SELECT r.id AS responseId, r.score, r.comment_text AS text, r.comment_language AS language, ${THEMES_OF} AS themes, r.themes_source AS themesSource, r.sentiment,
              r.sentiment_source AS sentimentSource, r.reason, r.created_at AS respondedAt, c.phone_e164 AS phone
       FROM responses r JOIN contacts c ON c.id = r.contact_id
       WHERE r.list_id = @listId AND r.comment_text_status = 'ready' AND r.score BETWEEN @low AND @high
         AND (@theme IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = r.id AND t.theme = @theme))
       ORDER BY r.score, r.id`,
    ).all({ listId, low: filter.minScore, high: filter.maxScore, theme: filter.theme ?? null }) as (Omit<ListedComment, 'themes'> & { themes: string | null })[];
    return rows.map((row) => ({ ...row, themes: splitThemes(row.themes) }));
  }

  async downloadedBefore(cutoff: number): Promise<{ responseId: number; file: string | null }[]> {
    return this.#sql(`SELECT id AS responseId, comment_file AS file FROM responses WHERE comment_status = 'downloaded' AND created_at < ? ORDER BY id`).all(cutoff) as {
      responseId: number;
      file: string | null;
    }[];
  }

  async markRecordingDeleted(responseId: number): Promise<boolean> {
    return this.#sql(`UPDATE responses SET comment_status = 'deleted', comment_file = NULL WHERE id = ? AND comment_status = 'downloaded'`).run(responseId).changes === 1;
  }

  async removeTextsBefore(cutoff: number): Promise<number> {
    return this.#sql(`UPDATE responses SET comment_text = NULL WHERE comment_text IS NOT NULL AND created_at < ?`).run(cutoff).changes;
  }

  async recordingFiles(): Promise<string[]> {
    return (this.#sql('SELECT comment_file AS file FROM responses WHERE comment_file IS NOT NULL').all() as { file: string }[]).map((r) => r.file);
  }
}
