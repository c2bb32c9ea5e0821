import { afterInput, afterReasonInput, interpretReasonDigit, reasonNcco, reasonPrompt, REASON_STEPS, type InputStep, type IvrContext, type Ncco, type ReasonStep } from '../ivr/index.js';
import { prepared } from '../db/index.js';
import { parseProviderTime } from '../telephony/index.js';
import { callStore, type CallRow, type ContactRow } from './store.js';
import type { CallDeps } from './deps.js';
import { advanceState, settleLateKeys } from './lifecycle.js';
import { recordOptOut } from './opt-out.js';
import type { CallbackOutcome, InputPayload } from './survey-flow.js';

/**
 * The keypad reason question in the call flow: score → reason (when the list asks it) → comment.
 *
 * responses.reason_outcome tells what the question got, and only moves forward:
 * - NULL: not answered (yet): the question is live, or the callee hung up or pressed star at it;
 * - after a first failure it holds that failure ('no_input' or 'invalid'), which is the truth
 *   should the callee hang up during the re-prompt; the re-prompt's answer then replaces it;
 * - 'chosen' with responses.reason set is final: no later or duplicate input changes it;
 * - 'skipped': the list asks, but has no wording in the callee's language, so nothing was asked.
 * A list that does not ask leaves it NULL.
 */

export function isReasonStep(step: InputStep): step is ReasonStep {
  return (REASON_STEPS as readonly string[]).includes(step);
}

interface ResponseOfCall {
  id: number;
  score: number;
  reason: string | null;
  reasonOutcome: string | null;
}

const responseOfCall = (deps: CallDeps, callId: number) =>
  prepared(deps.database, 'SELECT id, score, reason, reason_outcome AS reasonOutcome FROM responses WHERE call_id = ?').get(callId) as ResponseOfCall | undefined;

/**
 * Called in the score's transaction, after the score was stored: the reason question's NCCO when
 * it follows, or undefined to go on to the comment. A duplicate score webhook gets the question
 * again (the same reply as the first time) but does not move the call back once it was answered.
 */
export function reasonAfterScore(deps: CallDeps, input: { call: CallRow; context: IvrContext }): Ncco | undefined {
  const { call, context } = input;
  const prompt = reasonPrompt(deps.lists.get(call.listId).reasons, context.language);
  if (prompt.kind === 'off') return undefined;
  // The reason belongs to the score given in this call; a score kept from an earlier call is not asked about again.
  const response = responseOfCall(deps, call.id);
  if (!response) return undefined;
  if (prompt.kind === 'skipped') {
    prepared(deps.database, `UPDATE responses SET reason_outcome = 'skipped' WHERE id = ? AND reason_outcome IS NULL`).run(response.id);
    return undefined;
  }
  if (response.reasonOutcome === 'skipped') return undefined;
  if (response.reasonOutcome === null) prepared(deps.database, `UPDATE calls SET ivr_stage = 'reason' WHERE id = ? AND ivr_stage = 'comment'`).run(call.id);
  return reasonNcco(prompt, context, 'reason');
}

/**
 * The input webhook at the reason question. Like the score's: the event is kept, keys prove a
 * person, a star opts out, and keys after the call ended settle the call and contact
 * (docs/adr/0009-late-input.md). Every write is conditional, so a duplicate changes nothing.
 */
export function handleReasonInput(
  deps: CallDeps,
  request: { call: CallRow; contact: ContactRow; step: ReasonStep; payload: InputPayload; context: IvrContext },
): CallbackOutcome {
  const { call, contact, step, payload, context } = request;
  const response = responseOfCall(deps, call.id);
  // We hand out the reason URLs only after a score of this call, and the re-prompt's only after a
  // first failure; anything else is not the provider's and must change nothing.
  const refusal = !response
    ? `step=${step}, but this call has no score to ask a reason for`
    : step === 'reason_reprompt' && (response.reasonOutcome === null || response.reasonOutcome === 'skipped')
      ? `step=reason_reprompt, but this call's reason question was never asked again`
      : undefined;
  if (refusal || !response) {
    deps.logger.warn('input refused', { callId: call.id, reason: refusal });
    return { kind: 'refused', reason: refusal ?? '' };
  }
  const now = deps.clock.now();
  const commentNcco = afterInput('question', { kind: 'score', score: response.score }, context).ncco;
  const prompt = reasonPrompt(deps.lists.get(call.listId).reasons, context.language);
  const answer = prompt.kind === 'ask' ? interpretReasonDigit(payload.dtmf?.digits, prompt.choices) : undefined;
  // The list stopped asking (`lists set --reasons off` during the call): the callee goes on to the comment.
  const decision = prompt.kind === 'ask' && answer ? afterReasonInput({ step, answer, prompt }, { ...context, commentNcco }) : undefined;
  const store = callStore(deps.database);
  deps.database.sqlite.transaction(() => {
    store.recordEvent(call.id, 'input', null, parseProviderTime(payload.timestamp) ?? now, now, payload);
    advanceState(deps, call.id, 'answered', now);
    const pressed = answer !== undefined && answer.kind !== 'none';
    if (pressed) prepared(deps.database, `UPDATE calls SET answered_by = 'human' WHERE id = ?`).run(call.id);
    const toComment = () => prepared(deps.database, `UPDATE calls SET ivr_stage = 'comment' WHERE id = ? AND ivr_stage = 'reason'`).run(call.id);
    switch (decision?.effect) {
      case 'chosen':
        prepared(deps.database, `UPDATE responses SET reason = ?, reason_outcome = 'chosen' WHERE id = ? AND reason IS NULL AND reason_outcome IS NOT 'skipped'`).run(decision.key, response.id);
        toComment();
        break;
      case 'opt_out':
        recordOptOut(deps.database, { call, contact, now });
        break;
      case 'reprompt':
        prepared(deps.database, `UPDATE responses SET reason_outcome = ? WHERE id = ? AND reason_outcome IS NULL`).run(decision.outcome, response.id);
        break;
      case 'give_up':
        prepared(deps.database, `UPDATE responses SET reason_outcome = ? WHERE id = ? AND reason IS NULL AND reason_outcome IN ('no_input', 'invalid')`).run(decision.outcome, response.id);
        toComment();
        break;
      case undefined:
        toComment();
        break;
    }
    if (pressed) settleLateKeys(deps, call.id, now);
  }).immediate();
  if (decision?.effect === 'chosen') deps.logger.info('reason received', { listId: call.listId, callId: call.id, reason: decision.key });
  if (decision?.effect === 'opt_out') deps.logger.info('callee opted out; number suppressed', { listId: call.listId, callId: call.id });
  return { kind: 'ncco', ncco: decision?.ncco ?? commentNcco };
}
