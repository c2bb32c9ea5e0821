import { afterInput, answerNcco, calleeLanguage, interpretDtmf, surveyTexts, type InputStep, type IvrContext, type Ncco } from '../ivr/index.js';
import { IVR_STAGES, type IvrStage } from '../db/schema/index.js';
import { openDetractorFollowUp, type FollowUpOpened } from '../followup/index.js';
import { parseProviderTime } from '../telephony/index.js';
import type { ContactRow } from '../contacts/index.js';
import type { CallRow } from './store.js';
import type { CallDeps } from './deps.js';
import { runCallUnit } from './units.js';
import { settleLateKeys } from './lifecycle.js';
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

/** Queues an effect to run once the unit of work committed (a log line, a job): never inside it. */
export type AfterCommit = (effect: () => void) => void;

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
export function handleAnswer(deps: FlowDeps, request: AnswerRequest): Promise<CallbackOutcome> {
  return runCallUnit(deps, async (tx): Promise<CallbackOutcome> => {
    const call = await tx.calls.byRef(request.ref);
    if (!call) return { kind: 'unknown_call' };
    const { uuid } = request.payload;
    const refusal = answerRefusal(call, uuid, request.source);
    if (refusal) {
      deps.logger.warn('answer request refused', { callId: call.id, reason: refusal });
      return { kind: 'refused', reason: refusal };
    }
    const now = deps.clock.now();
    await tx.calls.recordEvent({ callId: call.id, kind: 'answer', status: null, occurredAt: now, receivedAt: now, payload: request.payload });
    if (!call.providerUuid) await tx.calls.adoptProviderUuid(call.id, uuid);
    await tx.calls.advanceState(call.id, 'answered', now);
    await tx.calls.moveIvrStage(call.id, 'question', [null]);
    return { kind: 'ncco', ncco: answerNcco(ivrContext(deps, call, (await tx.contacts.byId(call.contactId))!)) };
  });
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

/** The stages a call leaves for `done` when the callee gave no score (the comment is not cut short). */
const BEFORE_COMMENT: readonly IvrStage[] = IVR_STAGES.filter((stage) => stage !== 'comment');

/**
 * The input webhook: interprets the keys and returns the next NCCO. A score is stored once per
 * contact (unique index), so a duplicated webhook returns the same NCCO and changes nothing; a star
 * suppresses the number at once, in the same unit of work.
 */
export async function handleInput(deps: FlowDeps, request: InputRequest): Promise<CallbackOutcome> {
  const { step, payload } = request;
  let followUp: FollowUpOpened | undefined;
  let score: number | undefined;
  let optedOut = false;
  let where: { listId: number; callId: number } | undefined;
  let effects: (() => void)[] = [];
  const later: AfterCommit = (effect) => effects.push(effect);
  const outcome = await runCallUnit(deps, async (tx): Promise<CallbackOutcome> => {
    // Run again when its list had to be loaded first: what a first run collected is not kept.
    [followUp, score, optedOut, effects] = [undefined, undefined, false, []];
    const call = await tx.calls.byRef(request.ref);
    if (!call) return { kind: 'unknown_call' };
    where = { listId: call.listId, callId: call.id };
    const contact = (await tx.contacts.byId(call.contactId))!;
    const context = ivrContext(deps, call, contact);
    if (isReasonStep(step)) return handleReasonInput(deps, tx, { call, contact, step, payload, context }, later);
    if (step === 'comment') return handleSpokenComment(deps, tx, { call, payload, context }, later);
    // We hand out the reprompt step's URL only in a reprompt: an input on it for a call never asked
    // again is not Vonage's, and must not move the call to "no score". Once asked again, the step
    // stays valid, so a redelivery after the answer was stored gets the same NCCO.
    if (step === 'reprompt' && call.reprompts === 0) {
      const reason = `step=reprompt, but this call was never asked again (IVR stage '${call.ivrStage ?? 'none'}')`;
      deps.logger.warn('input refused', { callId: call.id, reason });
      return { kind: 'refused', reason };
    }
    const now = deps.clock.now();
    const answer = interpretDtmf(payload.dtmf?.digits);
    const decision = afterInput(step, answer, context);
    let ncco = decision.ncco;
    await tx.calls.recordEvent({ callId: call.id, kind: 'input', status: null, occurredAt: parseProviderTime(payload.timestamp) ?? now, receivedAt: now, payload });
    await tx.calls.advanceState(call.id, 'answered', now);
    // Keys prove a person: machine detection cannot overrule them later.
    if (answer.kind !== 'none') await tx.calls.setAnsweredBy(call.id, 'human', false);
    switch (decision.effect) {
      case 'score': {
        score = decision.score;
        // The comment that follows is said (and transcribed) in the language the callee heard.
        const responseId = await tx.responses.recordScore({ contactId: contact.id, callId: call.id, listId: call.listId, score: decision.score, commentLanguage: context.language, at: now });
        await tx.calls.moveIvrStage(call.id, 'comment', 'any');
        // A low score opens its case and queues its alert in this same unit (an outbox): no crash
        // can keep the score and lose the alert. A duplicate webhook stores nothing.
        if (responseId !== undefined) followUp = await openDetractorFollowUp(tx, { responseId, listId: call.listId, contactId: contact.id, callId: call.id, score: decision.score, at: now });
        // The keypad reason question, when the list asks it, comes between the score and the comment.
        ncco = (await reasonAfterScore(deps, tx, { call, context })) ?? ncco;
        break;
      }
      case 'opt_out':
        optedOut = true;
        await recordOptOut(tx, { call, contact, now });
        break;
      case 'reprompt':
        await tx.calls.askAgain(call.id);
        break;
      case 'no_score':
        await tx.calls.moveIvrStage(call.id, 'done', BEFORE_COMMENT);
        break;
    }
    // Keys after the call ended are accepted, and the call and the contact settled to agree with
    // them (docs/adr/0009-late-input.md).
    if (answer.kind !== 'none') await settleLateKeys(deps, tx, call.id, now);
    return { kind: 'ncco', ncco };
  });
  for (const effect of effects) effect();
  if (outcome.kind !== 'ncco') return outcome;
  if (score !== undefined) deps.logger.info('score received', { ...where, score });
  if (followUp) {
    deps.logger.info('detractor follow-up opened', { ...where, caseId: followUp.caseId, alertId: followUp.alertId });
    deps.onFollowUp?.();
  }
  if (optedOut) deps.logger.info('callee opted out; number suppressed', { ...where });
  return outcome;
}
