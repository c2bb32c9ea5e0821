import { one, openPostgres, rows } from '../../src/db/postgres/index.js';
import { PostgresErasureStore } from '../../src/privacy/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { erasureStoreConformance } from './erasure-store-conformance.js';

/** The erasure on PostgreSQL, in a fresh migrated database (its foreign keys do the cascading); a second pool plays another node. */
describeOnPostgres('the erasure', () => {
  erasureStoreConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    const second = await openPostgres({ url: fresh.url, migrate: false, poolSize: 4 });
    let serial = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    const count = async (sql: string, values: unknown[] = []) => (await one<{ n: number }>(pool, sql, values))!.n;
    return {
      erasures: new PostgresErasureStore(pool),
      otherNode: new PostgresErasureStore(second.pool),
      list: () => id(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ($1, '{}', '{}', 'ready', 0) RETURNING id`, [`list ${++serial}`]),
      person: async (p) => {
        const contactId = await id(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES ($1, $2, $3, $4, $5, 0) RETURNING id`, [
          p.listId,
          ++serial,
          p.phone,
          p.status ?? 'pending',
          p.calls ?? 0,
        ]);
        for (let attempt = 1; attempt <= (p.calls ?? 0); attempt++) {
          const callId = await id(
            `INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, duration_seconds, created_at) VALUES ($1, $2, $3, $4, 'ended', 'human', 30, 0) RETURNING id`,
            [contactId, p.listId, attempt, `ref-${++serial}`],
          );
          await pool.query(`INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES ($1, 'status', 'completed', 0, 0, $2)`, [callId, JSON.stringify({ to: p.phone })]);
          await pool.query(`INSERT INTO billing_lines (call_id, list_id, billable_seconds, amount_minor, currency, created_at) VALUES ($1, $2, 30, 25, 'EUR', 0)`, [callId, p.listId]);
          if (attempt === 1 && p.score !== undefined) {
            const responseId = await id(
              `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_file, comment_mode, comment_text, comment_text_status, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
              [
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
              ],
            );
            if (p.score <= 6) {
              await pool.query(
                `INSERT INTO cases (response_id, list_id, contact_id, call_id, score, threshold, status, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 6, 'open', 0, 0, 0)`,
                [responseId, p.listId, contactId, callId, p.score],
              );
            }
          }
        }
      },
      suppress: async (phone) => {
        await pool.query(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES ($1, 'operator', 0)`, [phone]);
      },
      trigger: async (listId, phone) => {
        await pool.query(
          `INSERT INTO survey_triggers (list_id, phone_e164, agent, idempotency_scope, request_hash, status, message, created_at) VALUES ($1, $2, 'Ann', 0, 'h', 'refused', 'suppressed', 0)`,
          [listId, phone],
        );
      },
      traces: async (phone) => ({
        contacts: await count('SELECT count(*) AS n FROM contacts WHERE phone_e164 = $1', [phone]),
        calls: await count('SELECT count(*) AS n FROM calls k JOIN contacts c ON c.id = k.contact_id WHERE c.phone_e164 = $1', [phone]),
        events: await count(`SELECT count(*) AS n FROM call_events WHERE payload::jsonb ->> 'to' = $1`, [phone]),
        responses: await count('SELECT count(*) AS n FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE c.phone_e164 = $1', [phone]),
        cases:
          (await count('SELECT count(*) AS n FROM cases k JOIN contacts c ON c.id = k.contact_id WHERE c.phone_e164 = $1', [phone])) +
          (await count('SELECT count(*) AS n FROM cases WHERE contact_id NOT IN (SELECT id FROM contacts)')),
        triggers: await count('SELECT count(*) AS n FROM survey_triggers WHERE phone_e164 = $1', [phone]),
        suppressed: (await count('SELECT count(*) AS n FROM suppressions WHERE phone_e164 = $1', [phone])) === 1,
      }),
      billing: async () =>
        (await one<{ lines: number; detached: number; amountMinor: number }>(
          pool,
          'SELECT count(*) AS lines, count(*) FILTER (WHERE call_id IS NULL) AS detached, coalesce(sum(amount_minor), 0) AS "amountMinor" FROM billing_lines',
        ))!,
      erasureRows: () => rows(pool, 'SELECT contacts, recordings, suppression_kept AS "suppressionKept" FROM erasures ORDER BY id'),
      close: async () => {
        await second.close();
        await fresh.close();
      },
    };
  });
});
