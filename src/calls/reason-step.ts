import { afterInput, afterReasonInput, interpretReasonDigit, reasonNcco, reasonPrompt, REASON_STEPS, type InputStep, type IvrContext, type Ncco, type ReasonStep } from '../ivr/index.js';
import { parseProviderTime } from '../telephony/index.js';
import type { ContactRow } from '../contacts/index.js';
import type { CallRow } from './store.js';
import type { CallDeps } from './deps.js';
import { settleLateKeys } from './lifecycle.js';
import { recordOptOut } from './opt-out.js';
import type { AfterCommit, CallbackOutcome, InputPayload } from './survey-flow.js';
import type { CallTx } from './units.js';

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

/**
 * Called in the score's unit of work, after the score was stored: the reason question's NCCO when
 * it follows, or undefined to go on to the comment. A duplicate score webhook gets the question
 * again (the same reply as the first time) but does not move the call back once it was answered.
 */
export async function reasonAfterScore(deps: CallDeps, tx: CallTx, input: { call: CallRow; context: IvrContext }): Promise<Ncco | undefined> {
  const { call, context } = input;
  const prompt = reasonPrompt(deps.lists.get(call.listId).reasons, context.language);
  if (prompt.kind === 'off') return undefined;
  // The reason belongs to the score given in this call; a score kept from an earlier call is not asked about again.
  const response = await tx.responses.ofCall(call.id);
  if (!response) return undefined;
  if (prompt.kind === 'skipped') {
    await tx.responses.markReasonSkipped(response.id);
    return undefined;
  }
  if (response.reasonOutcome === 'skipped') return undefined;
  if (response.reasonOutcome === null) await tx.calls.moveIvrStage(call.id, 'reason', ['comment']);
  return reasonNcco(prompt, context, 'reason');
}

/**
 * The input webhook at the reason question. Like the score's: the event is kept, keys prove a
 * person, a star opts out, and keys after the call ended settle the call and contact
 * (docs/adr/0009-late-input.md). Every write is conditional, so a duplicate changes nothing.
 */
export async function handleReasonInput(
  deps: CallDeps,
  tx: CallTx,
  request: { call: CallRow; contact: ContactRow; step: ReasonStep; payload: InputPayload; context: IvrContext },
  later: AfterCommit,
): Promise<CallbackOutcome> {
  const { call, contact, step, payload, context } = request;
  const response = await tx.responses.ofCall(call.id);
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
  await tx.calls.recordEvent({ callId: call.id, kind: 'input', status: null, occurredAt: parseProviderTime(payload.timestamp) ?? now, receivedAt: now, payload });
  await tx.calls.advanceState(call.id, 'answered', now);
  const pressed = answer !== undefined && answer.kind !== 'none';
  if (pressed) await tx.calls.setAnsweredBy(call.id, 'human', false);
  const toComment = () => tx.calls.moveIvrStage(call.id, 'comment', ['reason']);
  switch (decision?.effect) {
    case 'chosen':
      await tx.responses.chooseReason(response.id, decision.key);
      await toComment();
      break;
    case 'opt_out':
      await recordOptOut(tx, { call, contact, now });
      break;
    case 'reprompt':
      await tx.responses.noteReasonFailure(response.id, decision.outcome);
      break;
    case 'give_up':
      await tx.responses.giveUpReason(response.id, decision.outcome);
      await toComment();
      break;
    case undefined:
      await toComment();
      break;
  }
  if (pressed) await settleLateKeys(deps, tx, call.id, now);
  later(() => {
    if (decision?.effect === 'chosen') deps.logger.info('reason received', { listId: call.listId, callId: call.id, reason: decision.key });
    if (decision?.effect === 'opt_out') deps.logger.info('callee opted out; number suppressed', { listId: call.listId, callId: call.id });
  });
  return { kind: 'ncco', ncco: decision?.ncco ?? commentNcco };
}
