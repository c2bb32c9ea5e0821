import type { AppDatabase } from '../../src/db/index.js';
import type { FollowUpScene } from './follow-up-scene.js';

/** The follow-up suites' scene on SQLite: plain inserts, as the earlier steps (import, dialling, webhooks) leave the rows. */
export function sqliteFollowUpScene(database: AppDatabase): FollowUpScene {
  const { sqlite } = database;
  let rows = 0;
  const id = (sql: string, ...values: unknown[]) => (sqlite.prepare(sql).get(...values) as { id: number }).id;
  return {
    client: (caseOwner) => Promise.resolve(id('INSERT INTO clients (name, case_owner, created_at) VALUES (?, ?, 0) RETURNING id', `client ${++rows}`, caseOwner ?? null)),
    list: (clientId, followUp) =>
      Promise.resolve(
        id(`INSERT INTO lists (name, client_id, script, policy, state, follow_up, created_at) VALUES (?, ?, '{}', '{}', 'ready', ?, 0) RETURNING id`, `list ${++rows}`, clientId, followUp ?? '{}'),
      ),
    respondent: (listId, r) => {
      const row = ++rows;
      const contactId = id(
        `INSERT INTO contacts (list_id, row_number, phone_e164, attributes, status, attempts, updated_at) VALUES (?, ?, ?, ?, 'responded', 1, ?) RETURNING id`,
        listId,
        row + 1,
        r.phone,
        r.attributes ?? '{}',
        r.at,
      );
      const callId = id(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, ended_at, created_at) VALUES (?, ?, 1, ?, 'ended', ?, ?) RETURNING id`, contactId, listId, `ref-${row}`, r.at, r.at);
      const c = r.comment ?? {};
      const responseId = id(
        `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_seconds, comment_text_status, comment_text, comment_language, sentiment, reason, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
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
      );
      const theme = sqlite.prepare('INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)');
      for (const t of r.themes ?? []) theme.run(responseId, listId, t);
      const surveyId = r.triggered
        ? id(
            `INSERT INTO survey_triggers (client_id, list_id, contact_id, phone_e164, agent, idempotency_scope, request_hash, status, created_at)
             VALUES ((SELECT client_id FROM lists WHERE id = ?), ?, ?, ?, 'Ann', 0, 'h', 'queued', ?) RETURNING id`,
            listId,
            listId,
            contactId,
            r.phone,
            r.at,
          )
        : null;
      return Promise.resolve({ contactId, callId, responseId, surveyId });
    },
  };
}
