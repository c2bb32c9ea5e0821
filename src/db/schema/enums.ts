/**
 * Status vocabularies, shared by the drizzle columns, zod schemas and the code that switches on
 * them. SQLite stores them as text.
 */

export const LIST_STATES = ['importing', 'ready'] as const;
export type ListState = (typeof LIST_STATES)[number];

/**
 * A contact's lifecycle. `pending` waits for its next attempt (see next_attempt_at), `dialing` has a
 * live call; every other value is final and is the contact's disposition in the report. `capped`
 * was never dialled in its list because a frequency cap (recent survey by the same client, or the
 * attempts of the last 30 days across lists) excluded the number.
 */
export const CONTACT_STATUSES = [
  'pending',
  'dialing',
  'responded',
  'answered_no_score',
  'opted_out',
  'busy',
  'unanswered',
  'failed',
  'rejected',
  'machine',
  'suppressed',
  'not_dialled',
  'capped',
] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const OPEN_CONTACT_STATUSES = ['pending', 'dialing'] as const satisfies readonly ContactStatus[];
export const FINAL_CONTACT_STATUSES = CONTACT_STATUSES.filter(
  (s): s is Exclude<ContactStatus, (typeof OPEN_CONTACT_STATUSES)[number]> => s !== 'pending' && s !== 'dialing',
);

/**
 * Where one call attempt is. `creating` is written before the provider request so that a crash
 * between request and response leaves a trace to reconcile; `ended` is final.
 */
export const CALL_STATES = ['creating', 'started', 'ringing', 'answered', 'ended'] as const;
export type CallState = (typeof CALL_STATES)[number];

/**
 * How one call attempt ended, in our vocabulary (the provider's is translated in telephony/).
 * `unserved`: answered, but our answer webhook never served the survey (the dialer was down), so
 * the callee heard nothing: a failed attempt, retried and never billed. `lost`: we never learnt
 * how the call ended; `create_failed`: the create request failed without an answer.
 */
export const CALL_OUTCOMES = [
  'human',
  'machine',
  'unserved',
  'busy',
  'unanswered',
  'timeout',
  'failed',
  'rejected',
  'cancelled',
  'lost',
  'create_failed',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export const ANSWERED_BY = ['human', 'machine'] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];

export const IVR_STAGES = ['greeting', 'question', 'reprompt', 'reason', 'comment', 'done'] as const;
export type IvrStage = (typeof IVR_STAGES)[number];

/** `deleted`: the recording passed RECORDING_RETENTION_DAYS and its file was removed (the score stays). */
export const COMMENT_STATUSES = ['none', 'pending', 'downloaded', 'failed', 'deleted'] as const;
export type CommentStatus = (typeof COMMENT_STATUSES)[number];

/**
 * The text of a comment: `pending` while the provider's transcript (or a retry) is awaited,
 * `ready` with words, `empty` when the audio held no speech (not a comment), `failed` after the
 * last retry (the audio, if any, stays).
 */
export const COMMENT_TEXT_STATUSES = ['none', 'pending', 'ready', 'empty', 'failed'] as const;
export type CommentTextStatus = (typeof COMMENT_TEXT_STATUSES)[number];

/** How the comment was taken: a recording transcribed by the provider, or the provider's speech input. */
export const COMMENT_MODES = ['recording', 'speech'] as const;
export type CommentMode = (typeof COMMENT_MODES)[number];

export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

/** Where a comment's sentiment (or themes) came from: the provider, our engine, or a person's correction. */
export const JUDGEMENT_SOURCES = ['provider', 'engine', 'manual'] as const;
export type JudgementSource = (typeof JUDGEMENT_SOURCES)[number];

/** What the keypad reason question got: a choice, silence, keys that were no choice, or no question asked. */
export const REASON_OUTCOMES = ['chosen', 'no_input', 'invalid', 'skipped'] as const;
export type ReasonOutcome = (typeof REASON_OUTCOMES)[number];

export const SUPPRESSION_SOURCES = ['operator', 'import', 'opt_out'] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

export const CALL_EVENT_KINDS = ['status', 'answer', 'input', 'recording', 'transcription', 'error', 'unknown'] as const;
export type CallEventKind = (typeof CALL_EVENT_KINDS)[number];

export const SCHEDULE_STATUSES = ['active', 'done'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/**
 * A triggered survey (POST /api/v1/surveys, `surveys trigger`): `queued` is due now, `scheduled`
 * waits for `notBefore` or the callee's calling hours, `refused` was never queued (the reason says
 * why). What happens to the call afterwards is the contact's status.
 */
export const TRIGGER_STATUSES = ['queued', 'scheduled', 'refused'] as const;
export type TriggerStatus = (typeof TRIGGER_STATUSES)[number];

/** A detractor's follow-up case. Any status may follow any other (a case can be reopened). */
export const CASE_STATUSES = ['open', 'contacted', 'resolved'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** What an outgoing, signed webhook to a client carries. */
export const DELIVERY_EVENTS = ['detractor.alert', 'report.interim'] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];

/**
 * An outgoing webhook: `pending` until a 2xx (`delivered`), until its attempts run out (`failed`),
 * or `skipped` when the client has no URL for it when it is due.
 */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
