import { one, type Queryable } from '../../src/db/postgres/index.js';
import type { FollowUpScene } from './follow-up-scene.js';

/** The follow-up suites' scene on PostgreSQL: the same plain inserts as sqlite-scene.ts, in this dialect. */
export function postgresFollowUpScene(q: Queryable): FollowUpScene {
  let rows = 0;
  const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(q, sql, values))!.id;
  return {
    client: (caseOwner) => id('INSERT INTO clients (name, case_owner, created_at) VALUES ($1, $2, 0) RETURNING id', [`client ${++rows}`, caseOwner ?? null]),
    list: (clientId, followUp) =>
      id(`INSERT INTO lists (name, client_id, script, policy, state, follow_up, created_at) VALUES ($1, $2, '{}', '{}', 'ready', $3, 0) RETURNING id`, [
        `list ${++rows}`,
        clientId,
        followUp ?? '{}',
      ]),
    respondent: async (listId, r) => {
      const row = ++rows;
      const contactId = await id(
        `INSERT INTO contacts (list_id, row_number, phone_e164, attributes, status, attempts, updated_at) VALUES ($1, $2, $3, $4, 'responded', 1, $5) RETURNING id`,
        [listId, row + 1, r.phone, r.attributes ?? '{}', r.at],
      );
      const callId = await id(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ended_at, created_at) VALUES ($1, $2, 1, $3, 'ended', $4, $4) RETURNING id`, [
        contactId,
        listId,
        `ref-${row}`,
        r.at,
      ]);
      const c = r.comment ?? {};
      const responseId = await id(
        `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_seconds, comment_text_status, comment_text, comment_language, sentiment, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
        [
          contactId,
          callId,
          listId,
          r.score,
          c.status ?? 'none',
          c.seconds ?? null,
          c.textStatus ?? 'none',
          c.text ?? null,
          c.language ?? null,
          c.sentiment ?? null,
          r.reason ?? null,
          r.at,
        ],
      );
      for (const t of r.themes ?? []) await q.query('INSERT INTO response_themes (response_id, list_id, theme) VALUES ($1, $2, $3)', [responseId, listId, t]);
      const surveyId = r.triggered
        ? await id(
            `INSERT INTO survey_triggers (client_id, list_id, contact_id, phone_e164, agent, idempotency_scope, request_hash, status, created_at)
             VALUES ((SELECT client_id FROM lists WHERE id = $1), $1, $2, $3, 'Ann', 0, 'h', 'queued', $4) RETURNING id`,
            [listId, contactId, r.phone, r.at],
          )
        : null;
      return { contactId, callId, responseId, surveyId };
    },
  };
}
