import { afterSpokenComment, type IvrContext } from '../ivr/index.js';
import { parseSpokenComment, spokenCommentRecord, withoutSpokenWords } from '../comments/index.js';
import { parseProviderTime } from '../telephony/index.js';
import type { CallRow } from './store.js';
import type { AfterCommit, CallbackOutcome, FlowDeps, InputPayload } from './survey-flow.js';
import type { CallTx } from './units.js';

/**
 * The input webhook of a spoken comment (a list with `comment: speech`): the provider's speech
 * recognition hands over the words. They are stored with the response and classified off the
 * webhook path by the comment text queue, the saved audio is downloaded like a recording, and the
 * callee hears goodbye whatever the result held. A duplicate webhook changes nothing; the event
 * is kept without the words (they are personal data, kept with the response only).
 */
export async function handleSpokenComment(deps: FlowDeps, tx: CallTx, request: { call: CallRow; payload: InputPayload; context: IvrContext }, later: AfterCommit): Promise<CallbackOutcome> {
  const { call, payload, context } = request;
  const response = await tx.responses.ofCall(call.id);
  // We hand out the comment step's URL only after a score of this call.
  if (!response) {
    const reason = 'step=comment, but this call has no score to take a comment for';
    deps.logger.warn('input refused', { callId: call.id, reason });
    return { kind: 'refused', reason };
  }
  const now = deps.clock.now();
  const comment = parseSpokenComment(payload.speech);
  const stored = spokenCommentRecord(comment, now);
  await tx.calls.recordEvent({ callId: call.id, kind: 'input', status: null, occurredAt: parseProviderTime(payload.timestamp) ?? now, receivedAt: now, payload: withoutSpokenWords(payload) });
  await tx.calls.advanceState(call.id, 'answered', now);
  // The score's keys already proved a person answered; the comment adds nothing to that.
  const fresh = await tx.responses.storeSpokenComment(response.id, stored);
  await tx.calls.moveIvrStage(call.id, 'done', ['comment']);
  later(() => {
    if (!fresh) return;
    if (stored.textStatus === 'pending') deps.texts?.enqueue(response.id);
    if (stored.audioUrl !== null) deps.recordings?.enqueue(response.id);
    // The log names the outcome and, for a failure, the provider's reason: never the words.
    const { text } = comment;
    deps.logger.info('spoken comment received', { listId: call.listId, callId: call.id, outcome: stored.textStatus, audio: stored.audioUrl !== null, ...(text.ok ? {} : { reason: text.reason }) });
  });
  return { kind: 'ncco', ncco: afterSpokenComment(context) };
}
