import { bigint, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { CASE_STATUSES, DELIVERY_EVENTS, DELIVERY_STATUSES, TRIGGER_STATUSES } from '../../schema/enums.js';
import { calls, clients, contacts, lists, responses } from './tables.js';

/**
 * Every triggered survey request that was answered (queued, scheduled or refused), so that a
 * repeated request with the same Idempotency-Key gets the same answer. The contact a queued one
 * created carries the agent and attributes; this row keeps the request's verdict.
 */
export const surveyTriggers = pgTable(
  'survey_triggers',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    /** The list's client (null for a list without one, triggered from the CLI). */
    clientId: integer('client_id').references(() => clients.id),
    listId: integer('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    /** The contact a queued trigger created; null for a refused one. */
    contactId: integer('contact_id').references(() => contacts.id, { onDelete: 'cascade' }),
    /** E.164, so that `contacts erase` also removes refused triggers (which have no contact). */
    phoneE164: text('phone_e164').notNull(),
    agent: text('agent').notNull(),
    /**
     * Whose keys this one must not collide with: the client id, or 0 for a list without a client
     * (a column rather than an expression, so the unique index is a plain one).
     */
    idempotencyScope: integer('idempotency_scope').notNull(),
    idempotencyKey: text('idempotency_key'),
    /** sha256 of the canonical request; a reused key with another body is a conflict. */
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: TRIGGER_STATUSES }).notNull(),
    /** Why it was scheduled or refused (not_before, outside_hours, suppressed, recent_survey, …). */
    reason: text('reason'),
    /** The sentence the API and CLI show for the reason. */
    message: text('message'),
    /** When the call is due (queued: now; scheduled: notBefore or the next opening). */
    callAt: bigint('call_at', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // Idempotency: one trigger per (client, key); requests without a key are NULL and never collide.
    uniqueIndex('survey_triggers_idempotency_uq').on(t.idempotencyScope, t.idempotencyKey),
    // Erasure finds a person's triggers by number: WHERE phone_e164 = ?.
    index('survey_triggers_phone_idx').on(t.phoneE164),
    // The alert of a triggered contact names its survey: WHERE contact_id = ?.
    index('survey_triggers_contact_idx').on(t.contactId),
  ],
);

/**
 * Detractor follow-up cases: one per response at or below the list's alert threshold, opened in
 * the transaction that stores the score.
 */
export const cases = pgTable(
  'cases',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    clientId: integer('client_id').references(() => clients.id),
    listId: integer('list_id').notNull(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    callId: integer('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    score: integer('score').notNull(),
    /** The list's alert threshold the score was at or below when the case was opened (null in cases opened before migration 0004). */
    threshold: integer('threshold'),
    /** The contact's `agent` attribute when the case was opened. */
    agent: text('agent'),
    owner: text('owner'),
    status: text('status', { enum: CASE_STATUSES }).notNull().default('open'),
    note: text('note'),
    /** Follow-up deadline: the score's time plus the list's case deadline (48 h by default). */
    dueAt: bigint('due_at', { mode: 'number' }).notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
    /** First time the case was marked contacted (kept when it moves on to resolved). */
    contactedAt: bigint('contacted_at', { mode: 'number' }),
    resolvedAt: bigint('resolved_at', { mode: 'number' }),
  },
  (t) => [
    // One case per response: a duplicated input webhook cannot open a second one.
    uniqueIndex('cases_response_uq').on(t.responseId),
    // GET /api/v1/cases?status=: WHERE client_id = ? AND status = ? ORDER BY id DESC.
    index('cases_client_status_idx').on(t.clientId, t.status),
    // The report's follow-up figures and overdue list: WHERE list_id = ? (AND status <> 'resolved' AND due_at < now).
    index('cases_list_status_idx').on(t.listId, t.status, t.dueAt),
  ],
);

/**
 * The outbox of signed webhooks to clients (detractor alerts, interim reports). A row is written in
 * the transaction that makes the event (the score, the report), so nothing is lost to a crash; a
 * worker delivers what is pending, with backoff, and resumes after a restart.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    event: text('event', { enum: DELIVERY_EVENTS }).notNull(),
    /** `alert:<responseId>` or `report:<listId>:<occurrence>`: the same event is never queued twice. */
    dedupeKey: text('dedupe_key').notNull(),
    clientId: integer('client_id').references(() => clients.id),
    listId: integer('list_id').notNull(),
    /** For alerts: the response; erasing the person removes the alert with it. */
    responseId: integer('response_id').references(() => responses.id, { onDelete: 'cascade' }),
    /** The exact JSON body; frozen at the first attempt so that every retry sends the same bytes. */
    payload: text('payload'),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due; for a new alert, the latest it waits for the comment recording. */
    nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }).notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: bigint('delivered_at', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // Never the same event twice (one alert per response, one announcement per report and day).
    uniqueIndex('webhook_deliveries_dedupe_uq').on(t.dedupeKey),
    // The worker's due query: WHERE status = 'pending' ORDER BY next_attempt_at.
    index('webhook_deliveries_status_idx').on(t.status, t.nextAttemptAt),
    // Cascade from responses, and the alert of a response: WHERE response_id = ?.
    index('webhook_deliveries_response_idx').on(t.responseId),
  ],
);

/** Every delivery attempt: when, where, and what came back. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    attemptedAt: bigint('attempted_at', { mode: 'number' }).notNull(),
    /** Scheme, host and path only: a query string may carry the receiver's own token. */
    target: text('target').notNull(),
    /** The HTTP status, or null when no answer came (network error, timeout). */
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: bigint('duration_ms', { mode: 'number' }).notNull(),
  },
  (t) => [
    // One row per attempt number; listing a delivery's attempts: WHERE delivery_id = ? ORDER BY attempt.
    uniqueIndex('webhook_attempts_delivery_attempt_uq').on(t.deliveryId, t.attempt),
  ],
);

/** The daily interim reports written by `serve`: one per list and occurrence of the schedule. */
export const interimReports = pgTable(
  'interim_reports',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    listId: integer('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    /** The schedule occurrence (epoch ms) this report is for. */
    occurrenceAt: bigint('occurrence_at', { mode: 'number' }).notNull(),
    /** Paths relative to REPORTS_DIR. */
    jsonFile: text('json_file').notNull(),
    htmlFile: text('html_file').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // Once per list and occurrence, also across restarts: the catch-up at start looks it up.
    uniqueIndex('interim_reports_list_occurrence_uq').on(t.listId, t.occurrenceAt),
  ],
);
