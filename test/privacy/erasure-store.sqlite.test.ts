import path from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { SqliteErasureStore } from '../../src/privacy/index.js';
import { tempDir } from '../support/factories.js';
import { erasureStoreConformance } from './erasure-store-conformance.js';

/** The erasure on SQLite, in a real database file with the committed migrations (its foreign keys do the cascading). */
erasureStoreConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-erasure-'), 'nps.db') });
  const { sqlite } = database;
  let rows = 0;
  const id = (row: unknown) => (row as { id: number }).id;
  const count = (sql: string, ...args: unknown[]) => (sqlite.prepare(sql).get(...args) as { n: number }).n;
  return Promise.resolve({
    erasures: new SqliteErasureStore(database),
    otherNode: new SqliteErasureStore(database),
    list: () => Promise.resolve(id(sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES (?, '{}', '{}', 'ready', 0) RETURNING id`).get(`list ${++rows}`))),
    person: (p) => {
      const contactId = id(
        sqlite
          .prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES (?, ?, ?, ?, ?, 0) RETURNING id`)
          .get(p.listId, ++rows, p.phone, p.status ?? 'pending', p.calls ?? 0),
      );
      for (let attempt = 1; attempt <= (p.calls ?? 0); attempt++) {
        const callId = id(
          sqlite
            .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, duration_seconds, created_at) VALUES (?, ?, ?, ?, 'ended', 'human', 30, 0) RETURNING id`)
            .get(contactId, p.listId, attempt, `ref-${++rows}`),
        );
        sqlite.prepare(`INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, 'status', 'completed', 0, 0, ?)`).run(callId, JSON.stringify({ to: p.phone }));
        sqlite
          .prepare(`INSERT INTO billing_lines (call_id, list_id, billable_seconds, amount_minor, currency, created_at) VALUES (?, ?, 30, 25, 'EUR', 0)`)
          .run(callId, p.listId);
        if (attempt === 1 && p.score !== undefined) {
          const responseId = id(
            sqlite
              .prepare(
                `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_file, comment_mode, comment_text, comment_text_status, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
              )
              .get(
                contactId,
                callId,
                p.listId,
                p.score,
                p.comment?.file ? 'downloaded' : 'none',
                p.comment?.file ?? null,
                p.comment ? 'recording' : null,
                p.comment?.text ?? null,
                p.comment?.text ? 'ready' : 'none',
                p.comment?.at ?? 0,
              ),
          );
          if (p.score <= 6) {
            sqlite
              .prepare(`INSERT INTO cases (response_id, list_id, contact_id, call_id, score, threshold, status, due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 6, 'open', 0, 0, 0)`)
              .run(responseId, p.listId, contactId, callId, p.score);
          }
        }
      }
      return Promise.resolve();
    },
    suppress: (phone) => {
      sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES (?, 'operator', 0)`).run(phone);
      return Promise.resolve();
    },
    trigger: (listId, phone) => {
      sqlite
        .prepare(
          `INSERT INTO survey_triggers (list_id, phone_e164, agent, idempotency_scope, request_hash, status, message, created_at) VALUES (?, ?, 'Ann', 0, 'h', 'refused', 'suppressed', 0)`,
        )
        .run(listId, phone);
      return Promise.resolve();
    },
    traces: (phone) =>
      Promise.resolve({
        contacts: count('SELECT count(*) AS n FROM contacts WHERE phone_e164 = ?', phone),
        calls: count('SELECT count(*) AS n FROM calls k JOIN contacts c ON c.id = k.contact_id WHERE c.phone_e164 = ?', phone),
        events: count(`SELECT count(*) AS n FROM call_events WHERE json_extract(payload, '$.to') = ?`, phone),
        responses: count('SELECT count(*) AS n FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE c.phone_e164 = ?', phone),
        cases: count('SELECT count(*) AS n FROM cases k JOIN contacts c ON c.id = k.contact_id WHERE c.phone_e164 = ?', phone) + count('SELECT count(*) AS n FROM cases WHERE contact_id NOT IN (SELECT id FROM contacts)'),
        triggers: count('SELECT count(*) AS n FROM survey_triggers WHERE phone_e164 = ?', phone),
        suppressed: count('SELECT count(*) AS n FROM suppressions WHERE phone_e164 = ?', phone) === 1,
      }),
    billing: () =>
      Promise.resolve(
        sqlite.prepare('SELECT count(*) AS lines, coalesce(sum(call_id IS NULL), 0) AS detached, coalesce(sum(amount_minor), 0) AS amountMinor FROM billing_lines').get() as {
          lines: number;
          detached: number;
          amountMinor: number;
        },
      ),
    erasureRows: () => Promise.resolve(sqlite.prepare('SELECT contacts, recordings, suppression_kept AS suppressionKept FROM erasures ORDER BY id').all() as { contacts: number; recordings: number; suppressionKept: number }[]),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
