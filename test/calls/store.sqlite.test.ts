import path from 'node:path';
import type { BillingLine } from '../../src/billing/index.js';
import { sqliteCallUnits } from '../../src/calls/index.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { callStoresConformance, type CallFacts, type CommentFacts, type ContactFacts, type StoredCase, type StoredEvent, type StoredSuppression } from './store-conformance.js';

/** The stores of a callback's unit of work on SQLite, in a real database file with the committed migrations. */
callStoresConformance('SQLite', () => {
  const database = openDatabase({ path: path.join(tempDir('nps-call-stores-'), 'nps.db') });
  const { sqlite } = database;
  let rows = 0;
  const id = (row: unknown) => (row as { id: number }).id;
  return Promise.resolve({
    units: sqliteCallUnits(database),
    list: (scene = {}) => {
      const clientId = scene.client ? id(sqlite.prepare('INSERT INTO clients (name, case_owner, created_at) VALUES (?, ?, 0) RETURNING id').get(`client ${++rows}`, scene.client.caseOwner)) : null;
      const listId = id(
        sqlite.prepare(`INSERT INTO lists (name, client_id, script, policy, state, follow_up, created_at) VALUES (?, ?, '{}', '{}', 'ready', ?, 0) RETURNING id`).get(`list ${++rows}`, clientId, scene.followUp ?? '{}'),
      );
      return Promise.resolve({ listId, clientId });
    },
    contact: (listId, c) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(
              `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, status, attempts, next_attempt_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
            )
            .get(listId, ++rows, c.phone, c.country ?? null, c.name ?? null, c.language ?? null, c.timezone ?? null, c.attributes ?? '{}', c.status ?? 'pending', c.attempts ?? 0, c.nextAttemptAt ?? null),
        ),
      ),
    call: (contactId, c = {}) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(
              `INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, outcome, ivr_stage, answered_at, ended_at, created_at)
               SELECT id, list_id, ?, ?, ?, ?, ?, ?, ?, ?, 0 FROM contacts WHERE id = ? RETURNING id`,
            )
            .get(c.attempt ?? 1, c.ref ?? `ref-${++rows}`, c.providerUuid ?? null, c.state ?? 'started', c.outcome ?? null, c.ivrStage ?? null, c.answeredAt ?? null, c.endedAt ?? null, contactId),
        ),
      ),
    response: (callId, r) =>
      Promise.resolve(
        id(
          sqlite
            .prepare(
              `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_text_status, created_at)
               SELECT contact_id, id, list_id, ?, ?, ?, 0 FROM calls WHERE id = ? RETURNING id`,
            )
            .get(r.score, r.commentStatus ?? 'none', r.textStatus ?? 'none', callId),
        ),
      ),
    suppression: (phone, source, reason, createdAt) => {
      sqlite.prepare('INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, ?, ?, ?)').run(phone, source, reason, createdAt);
      return Promise.resolve();
    },
    inspectCall: (callId) =>
      Promise.resolve(
        sqlite
          .prepare('SELECT state, outcome, answered_at AS answeredAt, ended_at AS endedAt, provider_rate_micros AS rateMicros, network FROM calls WHERE id = ?')
          .get(callId) as CallFacts,
      ),
    events: (callId) =>
      Promise.resolve(
        (
          sqlite
            .prepare('SELECT kind, status, occurred_at AS occurredAt, received_at AS receivedAt, payload FROM call_events WHERE call_id IS ? ORDER BY id')
            .all(callId) as (Omit<StoredEvent, 'payload'> & { payload: string })[]
        ).map((e) => ({ ...e, payload: JSON.parse(e.payload) as unknown })),
      ),
    inspectContact: (contactId) =>
      Promise.resolve(sqlite.prepare('SELECT status, next_attempt_at AS nextAttemptAt, updated_at AS updatedAt FROM contacts WHERE id = ?').get(contactId) as ContactFacts),
    suppressions: () =>
      Promise.resolve(sqlite.prepare('SELECT phone_e164 AS phone, source, reason, created_at AS createdAt FROM suppressions ORDER BY phone_e164').all() as StoredSuppression[]),
    billingLines: (callId) =>
      Promise.resolve(
        sqlite
          .prepare(
            `SELECT call_id AS callId, list_id AS listId, client_id AS clientId, billable_seconds AS billableSeconds, amount_minor AS amountMinor, currency,
               provider_price_micros AS providerPriceMicros, created_at AS createdAt
             FROM billing_lines WHERE call_id = ? ORDER BY id`,
          )
          .all(callId) as BillingLine[],
      ),
    inspectComment: (responseId) =>
      Promise.resolve(
        sqlite
          .prepare(
            `SELECT comment_language AS language, comment_status AS status, comment_recording_url AS recordingUrl, comment_seconds AS seconds, comment_mode AS mode,
               comment_text_status AS textStatus, comment_text AS text, comment_confidence AS confidence, comment_transcript_url AS transcriptUrl,
               comment_text_due_at AS textDueAt
             FROM responses WHERE id = ?`,
          )
          .get(responseId) as CommentFacts,
      ),
    casesOf: (responseId) =>
      Promise.resolve(
        sqlite
          .prepare(
            `SELECT response_id AS responseId, client_id AS clientId, list_id AS listId, contact_id AS contactId, call_id AS callId, score, threshold, agent, owner,
               status, due_at AS dueAt, created_at AS createdAt, updated_at AS updatedAt
             FROM cases WHERE response_id = ? ORDER BY id`,
          )
          .all(responseId) as StoredCase[],
      ),
    close: () => {
      database.close();
      return Promise.resolve();
    },
  });
});
