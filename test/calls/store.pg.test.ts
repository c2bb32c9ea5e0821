import type { BillingLine } from '../../src/billing/index.js';
import { postgresCallUnits } from '../../src/calls/index.js';
import { one, rows } from '../../src/db/postgres/index.js';
import { describeOnPostgres, freshPostgres } from '../support/postgres.js';
import { callStoresConformance, type CallFacts, type CommentFacts, type ContactFacts, type StoredCase, type StoredEvent, type StoredSuppression } from './store-conformance.js';

/** The stores of a callback's unit of work on PostgreSQL: a fresh migrated database per test. */
describeOnPostgres('the call stores', () => {
  callStoresConformance('PostgreSQL', async () => {
    const fresh = await freshPostgres();
    const { pool } = fresh.database;
    let rowNumber = 0;
    const id = async (sql: string, values: unknown[]) => (await one<{ id: number }>(pool, sql, values))!.id;
    return {
      units: postgresCallUnits(fresh.database),
      list: async (scene = {}) => {
        const clientId = scene.client ? await id('INSERT INTO clients (name, case_owner, created_at) VALUES ($1, $2, 0) RETURNING id', [`client ${++rowNumber}`, scene.client.caseOwner]) : null;
        const listId = await id(`INSERT INTO lists (name, client_id, script, policy, state, follow_up, created_at) VALUES ($1, $2, '{}', '{}', 'ready', $3, 0) RETURNING id`, [
          `list ${++rowNumber}`,
          clientId,
          scene.followUp ?? '{}',
        ]);
        return { listId, clientId };
      },
      contact: (listId, c) =>
        id(
          `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, status, attempts, next_attempt_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0) RETURNING id`,
          [listId, ++rowNumber, c.phone, c.country ?? null, c.name ?? null, c.language ?? null, c.timezone ?? null, c.attributes ?? '{}', c.status ?? 'pending', c.attempts ?? 0, c.nextAttemptAt ?? null],
        ),
      call: (contactId, c = {}) =>
        id(
          `INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, outcome, ivr_stage, answered_at, ended_at, created_at)
           SELECT id, list_id, $1, $2, $3, $4, $5, $6, $7, $8, 0 FROM contacts WHERE id = $9 RETURNING id`,
          [c.attempt ?? 1, c.ref ?? `ref-${++rowNumber}`, c.providerUuid ?? null, c.state ?? 'started', c.outcome ?? null, c.ivrStage ?? null, c.answeredAt ?? null, c.endedAt ?? null, contactId],
        ),
      response: (callId, r) =>
        id(
          `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_text_status, created_at)
           SELECT contact_id, id, list_id, $1, $2, $3, 0 FROM calls WHERE id = $4 RETURNING id`,
          [r.score, r.commentStatus ?? 'none', r.textStatus ?? 'none', callId],
        ),
      suppression: async (phone, source, reason, createdAt) => {
        await pool.query('INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES ($1, $2, $3, $4)', [phone, source, reason, createdAt]);
      },
      inspectCall: async (callId) =>
        (await one<CallFacts>(
          pool,
          'SELECT state, outcome, answered_at AS "answeredAt", ended_at AS "endedAt", provider_rate_micros AS "rateMicros", network FROM calls WHERE id = $1',
          [callId],
        ))!,
      events: async (callId) =>
        (
          await rows<Omit<StoredEvent, 'payload'> & { payload: string }>(
            pool,
            'SELECT kind, status, occurred_at AS "occurredAt", received_at AS "receivedAt", payload FROM call_events WHERE call_id IS NOT DISTINCT FROM $1::integer ORDER BY id',
            [callId],
          )
        ).map((e) => ({ ...e, payload: JSON.parse(e.payload) as unknown })),
      inspectContact: async (contactId) =>
        (await one<ContactFacts>(pool, 'SELECT status, next_attempt_at AS "nextAttemptAt", updated_at AS "updatedAt" FROM contacts WHERE id = $1', [contactId]))!,
      suppressions: () => rows<StoredSuppression>(pool, 'SELECT phone_e164 AS phone, source, reason, created_at AS "createdAt" FROM suppressions ORDER BY phone_e164 COLLATE "C"'),
      billingLines: (callId) =>
        rows<BillingLine>(
          pool,
          `SELECT call_id AS "callId", list_id AS "listId", client_id AS "clientId", billable_seconds AS "billableSeconds", amount_minor AS "amountMinor", currency,
             provider_price_micros AS "providerPriceMicros", created_at AS "createdAt"
           FROM billing_lines WHERE call_id = $1 ORDER BY id`,
          [callId],
        ),
      inspectComment: async (responseId) =>
        (await one<CommentFacts>(
          pool,
          `SELECT comment_language AS language, comment_status AS status, comment_recording_url AS "recordingUrl", comment_seconds AS seconds, comment_mode AS mode,
             comment_text_status AS "textStatus", comment_text AS text, comment_confidence AS confidence, comment_transcript_url AS "transcriptUrl",
             comment_text_due_at AS "textDueAt"
           FROM responses WHERE id = $1`,
          [responseId],
        ))!,
      casesOf: (responseId) =>
        rows<StoredCase>(
          pool,
          `SELECT response_id AS "responseId", client_id AS "clientId", list_id AS "listId", contact_id AS "contactId", call_id AS "callId", score, threshold, agent, owner,
             status, due_at AS "dueAt", created_at AS "createdAt", updated_at AS "updatedAt"
           FROM cases WHERE response_id = $1 ORDER BY id`,
          [responseId],
        ),
      meeting: (parties) => {
        let arrived = 0;
        let open = () => {};
        const all = new Promise<void>((resolve) => (open = resolve));
        return () => {
          if (++arrived === parties) open();
          return all;
        };
      },
      close: () => fresh.close(),
    };
  });
});
