import { afterSpokenComment, type IvrContext } from '../ivr/index.js';
import { prepared } from '../db/index.js';
import { parseSpokenComment, recordSpokenComment, withoutSpokenWords } from '../comments/index.js';
import { parseProviderTime } from '../telephony/index.js';
import { callStore, type CallRow } from './store.js';
import type { CallbackOutcome, FlowDeps, InputPayload } from './survey-flow.js';
import { advanceState } from './lifecycle.js';

/**
 * The input webhook of a spoken comment (a list with `comment: speech`): the provider's speech
 * recognition hands over the words. They are stored with the response and classified off the
 * webhook path by the comment text queue, the saved audio is downloaded like a recording, and the
 * callee hears goodbye whatever the result held. A duplicate webhook changes nothing; the event
 * is kept without the words (they are personal data, kept with the response only).
 */
export function handleSpokenComment(deps: FlowDeps, request: { call: CallRow; payload: InputPayload; context: IvrContext }): CallbackOutcome {
  const { call, payload, context } = request;
  const response = prepared(deps.database, 'SELECT id FROM responses WHERE call_id = ?').get(call.id) as { id: number } | undefined;
  // We hand out the comment step's URL only after a score of this call.
  if (!response) {
    const reason = 'step=comment, but this call has no score to take a comment for';
    deps.logger.warn('input refused', { callId: call.id, reason });
    return { kind: 'refused', reason };
  }
  const now = deps.clock.now();
  const comment = parseSpokenComment(payload.speech);
  const stored = deps.database.sqlite
    .transaction(() => {
      callStore(deps.database).recordEvent(call.id, 'input', null, parseProviderTime(payload.timestamp) ?? now, now, withoutSpokenWords(payload));
      advanceState(deps, call.id, 'answered', now);
      // The score's keys already proved a person answered; the comment adds nothing to that.
      const result = recordSpokenComment(deps.database, { responseId: response.id, comment, now });
      prepared(deps.database, `UPDATE calls SET ivr_stage = 'done' WHERE id = ? AND ivr_stage = 'comment'`).run(call.id);
      return result;
    })
    .immediate();
  if (stored.classify) deps.texts?.enqueue(response.id);
  if (stored.download) deps.recordings?.enqueue(response.id);
  if (stored.status !== 'duplicate') {
    // The log names the outcome and, for a failure, the provider's reason: never the words.
    const { text } = comment;
    deps.logger.info('spoken comment received', { listId: call.listId, callId: call.id, outcome: stored.status, audio: stored.download, ...(text.ok ? {} : { reason: text.reason }) });
  }
  return { kind: 'ncco', ncco: afterSpokenComment(context) };
}
