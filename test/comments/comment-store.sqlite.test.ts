import path from 'node:path';
import { SqliteCommentStore } from '../../src/comments/comment-store.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { commentStoreConformance, type StoredComment } from './comment-store-conformance.js';

/** The comment pipeline's store on SQLite, in a real database file with the committed migrations. */
commentStoreConformance('SQLite', () => {
  const file = path.join(tempDir('nps-comments-'), 'nps.db');
  const database = openDatabase({ path: file });
  const second = openDatabase({ path: file, migrate: false });
  const { sqlite } = database;
  let rows = 0;
  return Promise.resolve({
    store: new SqliteCommentStore(database),
    otherNode: new SqliteCommentStore(second),
    client: (name) => Promise.resolve((sqlite.prepare('INSERT INTO clients (name, created_at) VALUES (?, 0) RETURNING id').get(name) as { id: number }).id),
    list: (options = {}) =>
      Promise.resolve(
        (
          sqlite
            .prepare(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES (?, ?, ?, '{}', 'ready', 0) RETURNING id`)
            .get(`list ${++rows}`, options.clientId ?? null, JSON.stringify(options.spokenComments ? { company: 'Acme', comment: 'speech' } : { company: 'Acme' })) as { id: number }
        ).id,
      ),
    response: (listId, seed = {}) => {
      const row = ++rows;
      const contactId = (
        sqlite
          .prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES (?, ?, ?, 'responded', 1, 0) RETURNING id`)
          .get(listId, row + 1, seed.phone ?? `+48500${String(row).padStart(6, '0')}`) as { id: number }
      ).id;
      const callId = (
        sqlite
          .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ivr_stage, created_at) VALUES (?, ?, 1, ?, 'answered', ?, 0) RETURNING id`)
          .get(contactId, listId, `ref-${row}`, seed.callStage ?? null) as { id: number }
      ).id;
      const { recording, text } = seed;
      const responseId = (
        sqlite
          .prepare(
            `INSERT INTO responses (contact_id, call_id, list_id, score, reason, created_at, comment_status, comment_recording_url, comment_file, comment_download_attempts,
               comment_mode, comment_text_status, comment_transcript_url, comment_text, comment_confidence, comment_language, comment_text_attempts, comment_text_due_at,
               themes_source, sentiment, sentiment_source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            contactId,
            callId,
            listId,
            seed.score ?? 3,
            seed.reason ?? null,
            seed.createdAt ?? 0,
            recording?.status ?? 'none',
            recording?.url ?? null,
            recording?.file ?? null,
            recording?.attempts ?? 0,
            text?.mode ?? null,
            text?.status ?? 'none',
            text?.transcriptUrl ?? null,
            text?.words ?? null,
            text?.confidence ?? null,
            text?.language ?? null,
            text?.attempts ?? 0,
            text?.dueAt ?? null,
            seed.themesSource ?? null,
            seed.sentiment ?? null,
            seed.sentimentSource ?? null,
          ) as { id: number }
      ).id;
      for (const theme of seed.themes ?? []) sqlite.prepare('INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)').run(responseId, listId, theme);
      return Promise.resolve(responseId);
    },
    inspect: (responseId) => {
      const row = sqlite
        .prepare(
          `SELECT comment_status AS recordingStatus, comment_file AS file, comment_download_attempts AS downloadAttempts, comment_text_status AS textStatus, comment_text AS words,
             comment_confidence AS confidence, comment_text_attempts AS textAttempts, comment_text_due_at AS dueAt, themes_source AS themesSource, sentiment, sentiment_source AS sentimentSource,
             (SELECT count(*) FROM theme_corrections t WHERE t.response_id = r.id) AS corrections
           FROM responses r WHERE id = ?`,
        )
        .get(responseId) as Record<string, unknown>;
      const themes = sqlite.prepare('SELECT theme FROM response_themes WHERE response_id = ? ORDER BY theme').pluck().all(responseId) as string[];
      return Promise.resolve({
        recording: { status: row.recordingStatus, file: row.file, attempts: row.downloadAttempts },
        text: { status: row.textStatus, words: row.words, confidence: row.confidence, attempts: row.textAttempts, dueAt: row.dueAt },
        themes,
        themesSource: row.themesSource,
        sentiment: row.sentiment,
        sentimentSource: row.sentimentSource,
        corrections: row.corrections,
      } as StoredComment);
    },
    close: () => {
      second.close();
      database.close();
      return Promise.resolve();
    },
  });
});
