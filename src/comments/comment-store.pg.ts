import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { JudgementSource, Sentiment } from '../db/schema/index.js';
import type {
  CommentJudgement,
  CommentsFilter,
  CommentStore,
  CommentToJudge,
  CorrectionRecord,
  CorrectionTarget,
  EngineJudgement,
  ListedComment,
  PendingDownload,
  PendingText,
  StoredCorrection,
  ThemesCorrectionInput,
} from './comment-store.js';

// Byte order, as SQLite's BINARY collation sorts: the database's locale would order ids otherwise.
const THEMES_OF = `ARRAY(SELECT theme FROM response_themes t WHERE t.response_id = r.id ORDER BY theme COLLATE "C")`;

const TO_JUDGE = `SELECT r.id AS "responseId", r.list_id AS "listId", r.comment_text AS text, r.comment_language AS language, ${THEMES_OF} AS themes,
  r.themes_source AS "themesSource", r.sentiment, r.sentiment_source AS "sentimentSource" FROM responses r`;

type Judged = { listId: number; themesSource: JudgementSource | null; sentimentSource: JudgementSource | null };

/**
 * The comment pipeline's store on PostgreSQL, statement for statement the SQLite adapter's. Nodes
 * run the queues at once at READ COMMITTED, so what SQLite's single writer gave for free is asked
 * for here: the queues' writes stay conditional on `pending` (the second of two nodes finishing the
 * same comment waits for the first's row lock, reads the row again and changes nothing), and every
 * read that decides a write (a text's file before it is emptied, a judgement's or a correction's
 * sources) takes the response's row lock first, so a person's themes are never overwritten by a
 * re-classification that read them as the engine's a moment before.
 */
export class PostgresCommentStore implements CommentStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async pendingDownloads(listId?: number): Promise<number[]> {
    return (await rows<{ id: number }>(this.#q, `SELECT id FROM responses WHERE comment_status = 'pending' AND ($1::integer IS NULL OR list_id = $1) ORDER BY id`, [listId ?? null])).map(
      (r) => r.id,
    );
  }

  async pendingDownload(responseId: number): Promise<PendingDownload | undefined> {
    return one<PendingDownload>(
      this.#q,
      `SELECT list_id AS "listId", call_id AS "callId", comment_recording_url AS url, comment_download_attempts AS attempts FROM responses
       WHERE id = $1 AND comment_status = 'pending' AND comment_recording_url IS NOT NULL`,
      [responseId],
    );
  }

  async markDownloaded(responseId: number, file: string, attempts: number): Promise<boolean> {
    return (
      (await changes(this.#q, `UPDATE responses SET comment_status = 'downloaded', comment_file = $1, comment_download_attempts = $2 WHERE id = $3 AND comment_status = 'pending'`, [
        file,
        attempts,
        responseId,
      ])) === 1
    );
  }

  async noteDownloadFailed(responseId: number, attempts: number, giveUp: boolean): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        `UPDATE responses SET comment_download_attempts = $1, comment_status = CASE WHEN $2::boolean THEN 'failed' ELSE comment_status END WHERE id = $3 AND comment_status = 'pending'`,
        [attempts, giveUp, responseId],
      )) === 1
    );
  }

  async awaitingRecordings(listId: number): Promise<number> {
    const row = await one<{ n: number }>(
      this.#q,
      `SELECT count(*) AS n FROM responses r JOIN calls c ON c.id = r.call_id JOIN lists l ON l.id = r.list_id
       WHERE r.list_id = $1 AND r.comment_status = 'none' AND c.ivr_stage = 'comment' AND (l.script::jsonb ->> 'comment') IS DISTINCT FROM 'speech'`,
      [listId],
    );
    return row!.n;
  }

  async pendingTexts(listId?: number): Promise<number[]> {
    return (
      await rows<{ id: number }>(this.#q, `SELECT id FROM responses WHERE comment_text_status = 'pending' AND ($1::integer IS NULL OR list_id = $1) ORDER BY id`, [listId ?? null])
    ).map((r) => r.id);
  }

  async pendingText(responseId: number): Promise<PendingText | undefined> {
    return one<PendingText>(
      this.#q,
      `SELECT list_id AS "listId", call_id AS "callId", comment_mode AS mode, comment_transcript_url AS "transcriptUrl", comment_text AS spoken, comment_confidence AS confidence,
         comment_language AS language, comment_text_attempts AS attempts
       FROM responses WHERE id = $1 AND comment_text_status = 'pending'`,
      [responseId],
    );
  }

  async markTextReady(responseId: number, text: { words: string; confidence: number | null; attempts: number }, judgement: EngineJudgement): Promise<CommentJudgement | undefined> {
    return transaction(this.#q, async (q) => {
      // comment_language was set with the score: the language the callee heard and was transcribed in.
      // The update holds the row until the judgement is stored: a racing node's waits, then finds it ready.
      const changed = await changes(
        q,
        `UPDATE responses SET comment_text_status = 'ready', comment_text = $1, comment_confidence = $2, comment_text_attempts = $3, comment_text_due_at = NULL
         WHERE id = $4 AND comment_text_status = 'pending'`,
        [text.words, text.confidence, text.attempts, responseId],
      );
      return changed === 1 ? applyJudgement(q, responseId, judgement) : undefined;
    });
  }

  async markTextEmpty(responseId: number, attempts: number): Promise<{ file: string | null } | undefined> {
    return transaction(this.#q, async (q) => {
      // Locked: a node storing the words at the same moment either went first (nothing pending here)
      // or waits and then finds the text empty. Without the lock both would win, the words lost.
      const row = await one<{ file: string | null }>(q, `SELECT comment_file AS file FROM responses WHERE id = $1 AND comment_text_status = 'pending' FOR UPDATE`, [responseId]);
      if (!row) return undefined;
      await q.query(
        `UPDATE responses SET comment_text_status = 'empty', comment_text = NULL, comment_text_attempts = $1, comment_text_due_at = NULL,
           comment_status = CASE WHEN comment_status IN ('pending', 'downloaded', 'failed') THEN 'deleted' ELSE comment_status END, comment_file = NULL
         WHERE id = $2`,
        [attempts, responseId],
      );
      return row;
    });
  }

  async noteTextFailed(responseId: number, attempts: number, retryAt: number | null): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        `UPDATE responses SET comment_text_attempts = $1, comment_text_due_at = $2, comment_text_status = CASE WHEN $2::bigint IS NULL THEN 'failed' ELSE comment_text_status END
         WHERE id = $3 AND comment_text_status = 'pending'`,
        [attempts, retryAt, responseId],
      )) === 1
    );
  }

  async commentToJudge(responseId: number): Promise<CommentToJudge | undefined> {
    return one<CommentToJudge>(this.#q, `${TO_JUDGE} WHERE r.id = $1`, [responseId]);
  }

  async commentsWithWords(listId: number): Promise<CommentToJudge[]> {
    return rows<CommentToJudge>(this.#q, `${TO_JUDGE} WHERE r.list_id = $1 AND r.comment_text_status = 'ready' AND r.comment_text IS NOT NULL ORDER BY r.id`, [listId]);
  }

  async recordJudgement(responseId: number, judgement: EngineJudgement): Promise<CommentJudgement | undefined> {
    return transaction(this.#q, (q) => applyJudgement(q, responseId, judgement));
  }

  async themesOf(responseId: number): Promise<string[]> {
    return themes(this.#q, responseId);
  }

  async correctionTarget(responseId: number): Promise<CorrectionTarget | undefined> {
    return one<CorrectionTarget>(
      this.#q,
      `SELECT r.id AS "responseId", r.list_id AS "listId", l.client_id AS "clientId", r.comment_text_status AS "textStatus" FROM responses r JOIN lists l ON l.id = r.list_id WHERE r.id = $1`,
      [responseId],
    );
  }

  async correct(c: ThemesCorrectionInput): Promise<StoredCorrection | undefined> {
    return transaction(this.#q, async (q): Promise<StoredCorrection | undefined> => {
      // Locked: two people correcting at once are audited one after the other, each `before` what
      // the other left, and a re-classification waits for the correction it would otherwise undo.
      const row = await one<{ listId: number; themesSource: JudgementSource | null; sentiment: Sentiment | null; sentimentSource: JudgementSource | null }>(
        q,
        `SELECT list_id AS "listId", themes_source AS "themesSource", sentiment, sentiment_source AS "sentimentSource" FROM responses WHERE id = $1 AND comment_text_status = 'ready' FOR UPDATE`,
        [c.responseId],
      );
      if (!row) return undefined;
      const before = await themes(q, c.responseId);
      const sentimentChanged = c.sentiment !== undefined && (c.sentiment !== row.sentiment || row.sentimentSource !== 'manual');
      const themesChanged = row.themesSource !== 'manual' || before.join(',') !== c.themes.join(',');
      let correctionId: number | null = null;
      if (themesChanged) {
        await replaceThemes(q, c.responseId, row.listId, c.themes);
        await q.query(`UPDATE responses SET themes_source = 'manual' WHERE id = $1`, [c.responseId]);
      }
      if (sentimentChanged) await q.query(`UPDATE responses SET sentiment = $1, sentiment_source = 'manual' WHERE id = $2`, [c.sentiment, c.responseId]);
      if (themesChanged || sentimentChanged) {
        // before/after hold theme ids only (docs/privacy.md): the audit may outlive the words.
        const audit = await one<{ id: number }>(
          q,
          'INSERT INTO theme_corrections (response_id, list_id, actor, before, after, corrected_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
          [c.responseId, row.listId, c.actor, JSON.stringify(before), JSON.stringify(c.themes), c.at],
        );
        correctionId = audit!.id;
      }
      const stored = await one<{ sentiment: Sentiment | null; sentimentSource: JudgementSource | null; themesSource: JudgementSource }>(
        q,
        'SELECT sentiment, sentiment_source AS "sentimentSource", themes_source AS "themesSource" FROM responses WHERE id = $1',
        [c.responseId],
      );
      return { themes: await themes(q, c.responseId), ...stored!, correctionId };
    });
  }

  async correctionsOf(responseId: number): Promise<CorrectionRecord[]> {
    return (
      await rows<{ id: number; actor: string; before: string; after: string; correctedAt: number }>(
        this.#q,
        'SELECT id, actor, before, after, corrected_at AS "correctedAt" FROM theme_corrections WHERE response_id = $1 ORDER BY id',
        [responseId],
      )
    ).map((c) => ({ ...c, before: JSON.parse(c.before) as string[], after: JSON.parse(c.after) as string[] }));
  }

  async listOwner(listId: number): Promise<{ clientId: number | null } | undefined> {
    return one<{ clientId: number | null }>(this.#q, 'SELECT client_id AS "clientId" FROM lists WHERE id = $1', [listId]);
  }

  async commentsOfList(listId: number, filter: CommentsFilter): Promise<ListedComment[]> {
    return rows<ListedComment>(
      this.#q,
      `SELECT r.id AS "responseId", r.score, r.comment_text AS text, r.comment_language AS language, ${THEMES_OF} AS themes, r.themes_source AS "themesSource", r.sentiment,
              r.sentiment_source AS "sentimentSource", r.reason, r.created_at AS "respondedAt", c.phone_e164 AS phone
       FROM responses r JOIN contacts c ON c.id = r.contact_id
       WHERE r.list_id = $1 AND r.comment_text_status = 'ready' AND r.score BETWEEN $2 AND $3
         AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = r.id AND t.theme = $4))
       ORDER BY r.score, r.id`,
      [listId, filter.minScore, filter.maxScore, filter.theme ?? null],
    );
  }

  async downloadedBefore(cutoff: number): Promise<{ responseId: number; file: string | null }[]> {
    return rows<{ responseId: number; file: string | null }>(
      this.#q,
      `SELECT id AS "responseId", comment_file AS file FROM responses WHERE comment_status = 'downloaded' AND created_at < $1 ORDER BY id`,
      [cutoff],
    );
  }

  async markRecordingDeleted(responseId: number): Promise<boolean> {
    return (await changes(this.#q, `UPDATE responses SET comment_status = 'deleted', comment_file = NULL WHERE id = $1 AND comment_status = 'downloaded'`, [responseId])) === 1;
  }

  async removeTextsBefore(cutoff: number): Promise<number> {
    return changes(this.#q, `UPDATE responses SET comment_text = NULL WHERE comment_text IS NOT NULL AND created_at < $1`, [cutoff]);
  }

  async recordingFiles(): Promise<string[]> {
    return (await rows<{ file: string }>(this.#q, 'SELECT comment_file AS file FROM responses WHERE comment_file IS NOT NULL')).map((r) => r.file);
  }
}

/**
 * Inside a transaction: a person's themes and sentiment (`manual`) stay; the rest is the judgement's.
 * The sources are read under the row's lock, and kept until the commit: a correction committed
 * between this read and the writes below would otherwise be replaced by the engine's themes.
 */
async function applyJudgement(q: Queryable, responseId: number, judgement: EngineJudgement): Promise<CommentJudgement | undefined> {
  const row = await one<Judged>(q, 'SELECT list_id AS "listId", themes_source AS "themesSource", sentiment_source AS "sentimentSource" FROM responses WHERE id = $1 FOR UPDATE', [responseId]);
  if (!row) return undefined;
  let stored: string[];
  let themesSource: JudgementSource;
  if (row.themesSource === 'manual') {
    stored = await themes(q, responseId);
    themesSource = 'manual';
  } else {
    stored = judgement.themes;
    themesSource = 'engine';
    await replaceThemes(q, responseId, row.listId, stored);
  }
  if (row.sentimentSource !== 'manual') {
    await q.query('UPDATE responses SET themes_source = $1, sentiment = $2, sentiment_source = $3 WHERE id = $4', [themesSource, judgement.sentiment, judgement.sentimentSource, responseId]);
  } else {
    await q.query('UPDATE responses SET themes_source = $1 WHERE id = $2', [themesSource, responseId]);
  }
  const after = await one<{ sentiment: Sentiment; sentimentSource: JudgementSource }>(q, 'SELECT sentiment, sentiment_source AS "sentimentSource" FROM responses WHERE id = $1', [responseId]);
  return { themes: stored, themesSource, ...after! };
}

async function themes(q: Queryable, responseId: number): Promise<string[]> {
  return (await rows<{ theme: string }>(q, 'SELECT theme FROM response_themes WHERE response_id = $1 ORDER BY theme COLLATE "C"', [responseId])).map((row) => row.theme);
}

async function replaceThemes(q: Queryable, responseId: number, listId: number, list: readonly string[]): Promise<void> {
  await q.query('DELETE FROM response_themes WHERE response_id = $1', [responseId]);
  // One round trip for the lot, where SQLite inserts row by row.
  if (list.length > 0) await q.query('INSERT INTO response_themes (response_id, list_id, theme) SELECT $1, $2, unnest($3::text[])', [responseId, listId, [...list]]);
}
