import { bigint, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import {
  ANSWERED_BY,
  CALL_EVENT_KINDS,
  CALL_OUTCOMES,
  CALL_STATES,
  COMMENT_MODES,
  COMMENT_STATUSES,
  COMMENT_TEXT_STATUSES,
  CONTACT_STATUSES,
  IVR_STAGES,
  JUDGEMENT_SOURCES,
  LIST_STATES,
  REASON_OUTCOMES,
  SENTIMENTS,
  SUPPRESSION_SOURCES,
} from '../../schema/enums.js';

// Flags are 0/1 integers, as on SQLite, so that the read models' SQL reads the same on both.
// All times are integer epoch milliseconds (UTC); all money is integer minor units, provider
// prices integer micro-units of the provider's currency.

export const clients = pgTable('clients', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull().unique(),
  /** sha256 hex of the API key; the key itself is shown once and never stored. */
  apiKeyHash: text('api_key_hash'),
  /** The key's first characters, so an operator can tell keys apart. */
  apiKeyPrefix: text('api_key_prefix'),
  /** Where detractor alerts are POSTed (`clients set --alert-url`); null: alerts are stored, not sent. */
  alertUrl: text('alert_url'),
  /**
   * HMAC-SHA256 key of every webhook to this client. Kept in clear, unlike the API key: we must
   * compute the signature, and the client holds the same secret to check it.
   */
  alertSecret: text('alert_secret'),
  /** Where the daily interim reports are announced; null falls back to alertUrl. */
  reportUrl: text('report_url'),
  /** Default owner of the client's follow-up cases (a list's own owner wins); null: unassigned. */
  caseOwner: text('case_owner'),
  /** The client's theme taxonomy (JSON, themes/taxonomy.ts); null: the default taxonomy. */
  taxonomy: text('taxonomy'),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
});

export const lists = pgTable(
  'lists',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    clientId: integer('client_id').references(() => clients.id),
    name: text('name').notNull(),
    sourceFile: text('source_file'),
    /** ISO 3166 alpha-2 used to read national-format numbers at import. */
    defaultCountry: text('default_country'),
    /** IANA zone for contacts whose country spans several zones and who gave none. */
    defaultTimezone: text('default_timezone'),
    /** A follow-up wave points at the list it repeats. */
    previousListId: integer('previous_list_id'),
    /** JSON SurveyScript: company, question, language. */
    script: text('script').notNull().default('{}'),
    /** JSON DialingPolicy: cps, maxConcurrent, maxAttempts, retryDelaySeconds, callingHours. */
    policy: text('policy').notNull().default('{}'),
    /** JSON Tariff, or null for the configured default. */
    tariff: text('tariff'),
    /** Triggered surveys may be added (POST /api/v1/surveys); `serve` dials the list continuously. */
    acceptsTriggers: integer('accepts_triggers').notNull().default(0),
    /** The file column the contacts' values came from (`--value-column`), for the report's revenue at risk; null: none. */
    valueColumn: text('value_column'),
    /** JSON FollowUpSettings: alertThreshold, caseOwner, caseDeadlineHours. */
    followUp: text('follow_up').notNull().default('{}'),
    /**
     * The timing rules (calling hours, retry delay, attempts, default zone) the list's waiting
     * contacts were last planned under; a run or `lists set` re-plans them when the rules in force
     * differ (src/dialer/waiting.ts). Null: never planned.
     */
    plannedRules: text('planned_rules'),
    /**
     * When an operator paused the list (`lists pause`, the console): its runs start no new call
     * until it is resumed (null); live calls finish. The running loop reads it with the settings.
     */
    pausedAt: bigint('paused_at', { mode: 'number' }),
    /** `importing` lists are invisible everywhere until their import commits. */
    state: text('state', { enum: LIST_STATES }).notNull().default('ready'),
    /** The importing process, so that a list left by a killed import can be removed. */
    importPid: integer('import_pid'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // `lists import` refuses a second list of the same name for the same client.
    index('lists_client_name_idx').on(t.clientId, t.name),
    // Stale imports are found by state.
    index('lists_state_idx').on(t.state),
  ],
);

export const contacts = pgTable(
  'contacts',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    listId: integer('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    /** The contact's row in the uploaded file (the header is row 1). */
    rowNumber: integer('row_number').notNull(),
    phoneE164: text('phone_e164').notNull(),
    /** ISO alpha-2 of the number, from libphonenumber-js. */
    country: text('country'),
    name: text('name'),
    language: text('language'),
    timezone: text('timezone'),
    /** JSON object of every other column (region, segment, agent, ...). */
    attributes: text('attributes').notNull().default('{}'),
    status: text('status', { enum: CONTACT_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /**
     * When the dialer looks at the contact next: the later of `not_before`, the retry delay after
     * its last attempt ended, and the callee's next opening, under the list's rules when it was
     * planned (lists.planned_rules; re-planned when they change); null once final.
     */
    nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }),
    /** The earliest instant the contact may be called whatever the list's rules (a triggered survey's `notBefore`); null: none. */
    notBefore: bigint('not_before', { mode: 'number' }),
    /** What the contact is worth to the client (the list's value column, any currency-free number); null: unknown. */
    value: doublePrecision('value'),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // One contact per (list, number). Number first, so the same index serves the lookups of a
    // number across lists (frequency caps, erasure, suppressing waiting contacts).
    uniqueIndex('contacts_phone_list_uq').on(t.phoneE164, t.listId),
    // The dialer's due query: WHERE list_id=? AND status='pending' AND next_attempt_at<=? ORDER BY next_attempt_at;
    // also the per-list counts by status.
    index('contacts_due_idx').on(t.listId, t.status, t.nextAttemptAt),
  ],
);

export const calls = pgTable(
  'calls',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    listId: integer('list_id').notNull(),
    /** 1-based attempt number for the contact. */
    attempt: integer('attempt').notNull(),
    /** Unguessable per-attempt reference carried in our webhook URLs. */
    ref: text('ref').notNull(),
    providerUuid: text('provider_uuid'),
    conversationUuid: text('conversation_uuid'),
    state: text('state', { enum: CALL_STATES }).notNull().default('creating'),
    outcome: text('outcome', { enum: CALL_OUTCOMES }),
    answeredBy: text('answered_by', { enum: ANSWERED_BY }),
    /** The last status the provider reported, verbatim (kept even when we do not know it). */
    providerStatus: text('provider_status'),
    providerDetail: text('provider_detail'),
    ivrStage: text('ivr_stage', { enum: IVR_STAGES }),
    /** How many times the question was asked again after an invalid answer. */
    reprompts: integer('reprompts').notNull().default(0),
    /** The callee pressed * : the number is suppressed and the contact ends opted out. */
    optedOut: integer('opted_out').notNull().default(0),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    answeredAt: bigint('answered_at', { mode: 'number' }),
    endedAt: bigint('ended_at', { mode: 'number' }),
    durationSeconds: integer('duration_seconds'),
    providerRateMicros: bigint('provider_rate_micros', { mode: 'number' }),
    providerPriceMicros: bigint('provider_price_micros', { mode: 'number' }),
    network: text('network'),
  },
  (t) => [
    // Webhooks find their call by ref.
    uniqueIndex('calls_ref_uq').on(t.ref),
    // One call per provider uuid; the reconciler looks calls up by it.
    uniqueIndex('calls_provider_uuid_uq').on(t.providerUuid),
    // Idempotency key of an attempt: a restart cannot create attempt N twice.
    uniqueIndex('calls_contact_attempt_uq').on(t.contactId, t.attempt),
    // Crash recovery lists the calls that were in flight: WHERE state != 'ended'.
    index('calls_state_idx').on(t.state),
    // Reports aggregate calls per list.
    index('calls_list_idx').on(t.listId),
  ],
);

/** Every callback we received, verbatim: the call's status history and an audit trail. */
export const callEvents = pgTable(
  'call_events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    callId: integer('call_id').references(() => calls.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: CALL_EVENT_KINDS }).notNull(),
    /** Provider status for status events, null for input/recording/unknown payloads. */
    status: text('status'),
    /** Provider timestamp (ms) when present, else receipt time. */
    occurredAt: bigint('occurred_at', { mode: 'number' }).notNull(),
    receivedAt: bigint('received_at', { mode: 'number' }).notNull(),
    payload: text('payload').notNull(),
  },
  (t) => [
    // A call's history in order: WHERE call_id=? ORDER BY occurred_at.
    index('call_events_call_idx').on(t.callId, t.occurredAt),
  ],
);

export const responses = pgTable(
  'responses',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    callId: integer('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    listId: integer('list_id').notNull(),
    score: integer('score').notNull(),
    commentStatus: text('comment_status', { enum: COMMENT_STATUSES }).notNull().default('none'),
    /** Where the provider holds the recording (downloaded with a JWT). */
    commentRecordingUrl: text('comment_recording_url'),
    /** Path of the downloaded file, relative to RECORDINGS_DIR. */
    commentFile: text('comment_file'),
    commentSeconds: integer('comment_seconds'),
    commentDownloadAttempts: integer('comment_download_attempts').notNull().default(0),
    /** How the comment was taken; null when none was asked for. */
    commentMode: text('comment_mode', { enum: COMMENT_MODES }),
    commentTextStatus: text('comment_text_status', { enum: COMMENT_TEXT_STATUSES }).notNull().default('none'),
    /** The words of the comment (personal data: erased and expired with the recording). */
    commentText: text('comment_text'),
    /** BCP 47 tag of the text. */
    commentLanguage: text('comment_language'),
    /** The provider's confidence in the text, 0..1; null when it gave none. */
    commentConfidence: doublePrecision('comment_confidence'),
    /** Where the provider holds the transcript (downloaded with a JWT, like recordings). */
    commentTranscriptUrl: text('comment_transcript_url'),
    commentTextAttempts: integer('comment_text_attempts').notNull().default(0),
    /** When the text queue looks at this response next; null: nothing to do. */
    commentTextDueAt: bigint('comment_text_due_at', { mode: 'number' }),
    sentiment: text('sentiment', { enum: SENTIMENTS }),
    sentimentSource: text('sentiment_source', { enum: JUDGEMENT_SOURCES }),
    /** Where the rows of response_themes came from; `manual` is never overwritten by a re-run. */
    themesSource: text('themes_source', { enum: JUDGEMENT_SOURCES }),
    /** The keypad reason: the chosen choice's key (e.g. "price"), and what the question got. */
    reason: text('reason'),
    reasonOutcome: text('reason_outcome', { enum: REASON_OUTCOMES }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // One response per contact, whatever the number of attempts or duplicate webhooks.
    uniqueIndex('responses_contact_uq').on(t.contactId),
    // The recording webhook finds the response of its call.
    index('responses_call_idx').on(t.callId),
    // Reports aggregate responses per list.
    index('responses_list_idx').on(t.listId, t.score),
    // The comment text queue: WHERE comment_text_due_at<=? ORDER BY comment_text_due_at.
    index('responses_text_due_idx').on(t.commentTextDueAt),
  ],
);

/** The themes of a comment (zero or more), from the engine or a person's correction. */
export const responseThemes = pgTable(
  'response_themes',
  {
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    listId: integer('list_id').notNull(),
    theme: text('theme').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.responseId, t.theme] }),
    // Reports and `cases --theme` count per list and theme.
    index('response_themes_list_idx').on(t.listId, t.theme),
  ],
);

/** Every correction of a comment's themes: who, when, before and after (JSON arrays). */
export const themeCorrections = pgTable(
  'theme_corrections',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    listId: integer('list_id').notNull(),
    /** "operator" or "client:<id>". */
    actor: text('actor').notNull(),
    before: text('before').notNull(),
    after: text('after').notNull(),
    correctedAt: bigint('corrected_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('theme_corrections_response_idx').on(t.responseId)],
);

export const suppressions = pgTable('suppressions', {
  phoneE164: text('phone_e164').primaryKey(),
  source: text('source', { enum: SUPPRESSION_SOURCES }).notNull(),
  reason: text('reason'),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
});

export const billingLines = pgTable(
  'billing_lines',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    /** Null once the person was erased (contacts erase): the amounts stay for invoicing. */
    callId: integer('call_id').references(() => calls.id, { onDelete: 'set null' }),
    listId: integer('list_id').notNull(),
    clientId: integer('client_id'),
    billableSeconds: integer('billable_seconds').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    /** What the provider charged us for the same call, for margin. */
    providerPriceMicros: bigint('provider_price_micros', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // One billing line per call: a duplicate completed event collides here instead of billing twice.
    uniqueIndex('billing_lines_call_uq').on(t.callId),
    // Billing totals per list.
    index('billing_lines_list_idx').on(t.listId),
  ],
);

/** That an erasure happened (contacts erase), and what it removed; never the number itself. */
export const erasures = pgTable('erasures', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  erasedAt: bigint('erased_at', { mode: 'number' }).notNull(),
  contacts: integer('contacts').notNull(),
  lists: integer('lists').notNull(),
  calls: integer('calls').notNull(),
  responses: integer('responses').notNull(),
  recordings: integer('recordings').notNull(),
  billingLinesKept: integer('billing_lines_kept').notNull(),
  suppressionKept: integer('suppression_kept').notNull(),
});
