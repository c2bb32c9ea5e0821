import { afterInput, answerNcco, calleeLanguage, interpretDtmf, surveyTexts, type InputStep, type IvrContext, type Ncco } from '../ivr/index.js';
import { prepared } from '../db/index.js';
import { openDetractorFollowUp, type FollowUpOpened } from '../followup/index.js';
import { parseProviderTime } from '../telephony/index.js';
import { callStore, type CallRow, type ContactRow } from './store.js';
import type { CallDeps } from './deps.js';
import { advanceState, settleLateKeys } from './lifecycle.js';
import { recordOptOut } from './opt-out.js';
import { handleSpokenComment } from './comment-step.js';
import { handleReasonInput, isReasonStep, reasonAfterScore } from './reason-step.js';

/** Builds our webhook URLs for one call attempt; the ref is the attempt's unguessable id. */
export interface WebhookUrls {
  answer(ref: string): string;
  event(ref: string): string;
  input(ref: string, step: InputStep): string;
  recording(ref: string): string;
  transcription(ref: string): string;
}

export function webhookUrls(publicBaseUrl: string): WebhookUrls {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return {
    answer: (ref) => `${base}/webhooks/answer/${ref}`,
    event: (ref) => `${base}/webhooks/event/${ref}`,
    input: (ref, step) => `${base}/webhooks/input/${ref}?step=${step}`,
    recording: (ref) => `${base}/webhooks/recording/${ref}`,
    transcription: (ref) => `${base}/webhooks/transcription/${ref}`,
  };
}

/** A background queue keyed by response id: the comment text queue, the recording downloads. */
export interface ResponseQueue {
  enqueue(responseId: number): void;
}

export interface FlowDeps extends CallDeps {
  urls: WebhookUrls;
  /** Classifies a spoken comment's words; without it they wait, pending, for the next process that has one. */
  texts?: ResponseQueue | undefined;
  /** Downloads a spoken comment's saved audio; without it the address waits, pending, likewise. */
  recordings?: ResponseQueue | undefined;
}

function ivrContext(deps: FlowDeps, call: CallRow, contact: ContactRow): IvrContext {
  const settings = deps.lists.get(call.listId);
  const language = calleeLanguage({ contactLanguage: contact.language, contactCountry: contact.country, listLanguage: settings.explicitLanguage, listCountry: settings.defaultCountry });
  return {
    texts: surveyTexts({ company: settings.company, language, question: settings.question }),
    language,
    inputUrl: (step) => deps.urls.input(call.ref, step),
    recordingUrl: deps.urls.recording(call.ref),
    transcriptionUrl: deps.transcriptionLanguages?.includes(language) ? deps.urls.transcription(call.ref) : undefined,
    commentCapture: settings.commentMode,
  };
}

/**
 * What a survey callback led to: the next NCCO, or nothing because the ref names no call, or a
 * refusal because the request contradicts what the call already knows (nothing was changed).
 */
export type CallbackOutcome = { kind: 'ncco'; ncco: Ncco } | { kind: 'unknown_call' } | { kind: 'refused'; reason: string };

export interface AnswerRequest {
  ref: string;
  /** The request's fields: the JSON body of a POST, the query of a GET. */
  payload: Record<string, unknown> & { uuid: string };
  /**
   * Where the fields came from. Only a body is covered by the signature (its payload_hash); a
   * query could have been attached to a captured token, so it can agree but never establish.
   */
  source: 'body' | 'query';
}

/** The answer webhook: the callee picked up; the reply is the greeting and the question. */
export function handleAnswer(deps: FlowDeps, request: AnswerRequest): CallbackOutcome {
  const store = callStore(deps.database);
  const call = store.byRef(request.ref);
  if (!call) return { kind: 'unknown_call' };
  const { uuid } = request.payload;
  const refusal = answerRefusal(call, uuid, request.source);
  if (refusal) {
    deps.logger.warn('answer request refused', { callId: call.id, reason: refusal });
    return { kind: 'refused', reason: refusal };
  }
  const now = deps.clock.now();
  deps.database.sqlite.transaction(() => {
    store.recordEvent(call.id, 'answer', null, now, now, request.payload);
    if (!call.providerUuid) prepared(deps.database, 'UPDATE calls SET provider_uuid = ? WHERE id = ? AND provider_uuid IS NULL').run(uuid, call.id);
    advanceState(deps, call.id, 'answered', now);
    prepared(deps.database, `UPDATE calls SET ivr_stage = 'question' WHERE id = ? AND ivr_stage IS NULL`).run(call.id);
  }).immediate();
  return { kind: 'ncco', ncco: answerNcco(ivrContext(deps, call, store.contact(call.contactId)!)) };
}

/**
 * Why an answer request may not speak for this call, if it may not. Its uuid must be the call's
 * provider uuid. A call without one yet (the create's 201 still on its way) takes it from a signed
 * body, never from a query; and an ended call without one was never created at the provider (its
 * create failed, or it was given up as lost), so nothing can answer it.
 */
function answerRefusal(call: CallRow, uuid: string, source: AnswerRequest['source']): string | undefined {
  if (call.providerUuid !== null) return uuid === call.providerUuid ? undefined : `uuid ${quoted(uuid)} is not this call's leg`;
  if (call.state === 'ended') return `uuid ${quoted(uuid)} cannot answer a call that was never created at the provider`;
  if (source === 'query') return `uuid ${quoted(uuid)} in the query cannot name this call's leg: the query is not signed, and the leg is not known yet`;
  return undefined;
}

/** A value from a request, quoted and cut short for a message. */
const quoted = (value: string) => `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'`;

export interface InputPayload {
  dtmf?: { digits?: string | null; timed_out?: boolean } | null | undefined;
  /** Speech recognition's result (a spoken comment); read by comments/speech.ts, whatever its shape. */
  speech?: unknown;
  timestamp?: string | undefined;
  [key: string]: unknown;
}

export interface InputRequest {
  ref: string;
  /** From the input URL's query (`?step=`), which the signature does not cover. */
  step: InputStep;
  payload: InputPayload;
}

/**
 * The input webhook: interprets the keys and returns the next NCCO. A score is stored once per
 * contact (unique index), so a duplicated webhook returns the same NCCO and changes nothing; a star
 * suppresses the number at once, in the same transaction.
 */
export function handleInput(deps: FlowDeps, request: InputRequest): CallbackOutcome {
  const { step, payload } = request;
  const store = callStore(deps.database);
  const call = store.byRef(request.ref);
  if (!call) return { kind: 'unknown_call' };
  if (isReasonStep(step)) {
    const contact = store.contact(call.contactId)!;
    return handleReasonInput(deps, { call, contact, step, payload, context: ivrContext(deps, call, contact) });
  }
  if (step === 'comment') return handleSpokenComment(deps, { call, payload, context: ivrContext(deps, call, store.contact(call.contactId)!) });
  // We hand out the reprompt step's URL only in a reprompt: an input on it for a call never asked
  // again is not Vonage's, and must not move the call to "no score". Once asked again, the step
  // stays valid, so a redelivery after the answer was stored gets the same NCCO.
  if (step === 'reprompt' && (prepared(deps.database, 'SELECT reprompts FROM calls WHERE id = ?').get(call.id) as { reprompts: number }).reprompts === 0) {
    const reason = `step=reprompt, but this call was never asked again (IVR stage '${call.ivrStage ?? 'none'}')`;
    deps.logger.warn('input refused', { callId: call.id, reason });
    return { kind: 'refused', reason };
  }
  const contact = store.contact(call.contactId)!;
  const now = deps.clock.now();
  const answer = interpretDtmf(payload.dtmf?.digits);
  const context = ivrContext(deps, call, contact);
  const decision = afterInput(step, answer, context);
  const { sqlite } = deps.database;
  let followUp: FollowUpOpened | undefined;
  let ncco = decision.ncco;
  sqlite.transaction(() => {
    store.recordEvent(call.id, 'input', null, parseProviderTime(payload.timestamp) ?? now, now, payload);
    advanceState(deps, call.id, 'answered', now);
    // Keys prove a person: machine detection cannot overrule them later.
    if (answer.kind !== 'none') prepared(deps.database, `UPDATE calls SET answered_by = 'human' WHERE id = ?`).run(call.id);
    switch (decision.effect) {
      case 'score': {
        // The comment that follows is said (and transcribed) in the language the callee heard.
        const stored = prepared(
          deps.database,
          'INSERT INTO responses (contact_id, call_id, list_id, score, comment_language, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING RETURNING id',
        ).get(contact.id, call.id, call.listId, decision.score, context.language, now) as { id: number } | undefined;
        prepared(deps.database, `UPDATE calls SET ivr_stage = 'comment' WHERE id = ?`).run(call.id);
        // A low score opens its case and queues its alert in this same transaction (an outbox):
        // no crash can keep the score and lose the alert. A duplicate webhook stores nothing.
        if (stored) followUp = openDetractorFollowUp(deps.database, { responseId: stored.id, listId: call.listId, contactId: contact.id, callId: call.id, score: decision.score, at: now });
        // The keypad reason question, when the list asks it, comes between the score and the comment.
        ncco = reasonAfterScore(deps, { call, context }) ?? ncco;
        break;
      }
      case 'opt_out':
        recordOptOut(deps.database, { call, contact, now });
        break;
      case 'reprompt':
        prepared(deps.database, `UPDATE calls SET ivr_stage = 'reprompt', reprompts = reprompts + 1 WHERE id = ? AND (ivr_stage IS NULL OR ivr_stage IN ('greeting', 'question'))`).run(call.id);
        break;
      case 'no_score':
        prepared(deps.database, `UPDATE calls SET ivr_stage = 'done' WHERE id = ? AND ivr_stage <> 'comment'`).run(call.id);
        break;
    }
    // Keys after the call ended are accepted, and the call and the contact settled to agree with
    // them (docs/adr/0009-late-input.md).
    if (answer.kind !== 'none') settleLateKeys(deps, call.id, now);
  }).immediate();
  if (decision.effect === 'score') deps.logger.info('score received', { listId: call.listId, callId: call.id, score: decision.score });
  if (followUp) {
    deps.logger.info('detractor follow-up opened', { listId: call.listId, callId: call.id, caseId: followUp.caseId, alertId: followUp.alertId });
    deps.onFollowUp?.();
  }
  if (decision.effect === 'opt_out') deps.logger.info('callee opted out; number suppressed', { listId: call.listId, callId: call.id });
  return { kind: 'ncco', ncco };
}
