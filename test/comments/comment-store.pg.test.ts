import { PostgresCommentStore, postgresCommentStores } from '../../src/comments/index.js';
import { one, openPostgres, rows } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { commentStoreConformance, type StoredComment } from './comment-store-conformance.js';

/** The comment pipeline's store on PostgreSQL, in a fresh migrated database per test; a second pool plays another node. */
describeOnPostgres("the comment pipeline's store", () => {
  commentStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    const { pool } = fresh.database;
    let rowCount = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      store: postgresCommentStores(fresh.database).comments,
      otherNode: new PostgresCommentStore(second.pool),
      client: (name) => id('INSERT INTO clients (name, created_at) VALUES ($1, 0) RETURNING id', [name]),
      list: (options = {}) =>
        id(`INSERT INTO lists (name, client_id, script, policy, state, created_at) VALUES ($1, $2, $3, '{}', 'ready', 0) RETURNING id`, [
          `list ${++rowCount}`,
          options.clientId ?? null,
          JSON.stringify(options.spokenComments ? { company: 'Acme', comment: 'speech' } : { company: 'Acme' }),
        ]),
      response: async (listId, seed = {}) => {
        const row = ++rowCount;
        const contactId = await id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES ($1, $2, $3, 'responded', 1, 0) RETURNING id`, [
          listId,
          row + 1,
          seed.phone ?? `+48500${String(row).padStart(6, '0')}`,
        ]);
        const callId = await id(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ivr_stage, created_at) VALUES ($1, $2, 1, $3, 'answered', $4, 0) RETURNING id`, [
          contactId,
          listId,
          `ref-${row}`,
          seed.callStage ?? null,
        ]);
        const { recording, text } = seed;
        const responseId = await id(
          `INSERT INTO responses (contact_id, call_id, list_id, score, reason, created_at, comment_status, comment_recording_url, comment_file, comment_download_attempts,
             comment_mode, comment_text_status, comment_transcript_url, comment_text, comment_confidence, comment_language, comment_text_attempts, comment_text_due_at,
             themes_source, sentiment, sentiment_source)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id`,
          [
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
          ],
        );
        for (const theme of seed.themes ?? []) await pool.query('INSERT INTO response_themes (response_id, list_id, theme) VALUES ($1, $2, $3)', [responseId, listId, theme]);
        return responseId;
      },
      inspect: async (responseId) => {
        const row = (await one<Record<string, unknown>>(
          pool,
          `SELECT comment_status AS "recordingStatus", comment_file AS file, comment_download_attempts AS "downloadAttempts", comment_text_status AS "textStatus", comment_text AS words,
             comment_confidence AS confidence, comment_text_attempts AS "textAttempts", comment_text_due_at AS "dueAt", themes_source AS "themesSource", sentiment,
             sentiment_source AS "sentimentSource", (SELECT count(*) FROM theme_corrections t WHERE t.response_id = r.id) AS corrections
           FROM responses r WHERE id = $1`,
          [responseId],
        ))!;
        const themes = (await rows<{ theme: string }>(pool, 'SELECT theme FROM response_themes WHERE response_id = $1 ORDER BY theme COLLATE "C"', [responseId])).map((t) => t.theme);
        return {
          recording: { status: row.recordingStatus, file: row.file, attempts: row.downloadAttempts },
          text: { status: row.textStatus, words: row.words, confidence: row.confidence, attempts: row.textAttempts, dueAt: row.dueAt },
          themes,
          themesSource: row.themesSource,
          sentiment: row.sentiment,
          sentimentSource: row.sentimentSource,
          corrections: row.corrections,
        } as StoredComment;
      },
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
