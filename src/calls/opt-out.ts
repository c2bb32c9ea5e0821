import type { ContactRow } from '../contacts/index.js';
import type { CallRow } from './store.js';
import type { CallTx } from './units.js';

/**
 * A star pressed during a call: the number is suppressed at once and the call ends its survey.
 * Runs in the input webhook's unit of work (score or reason step alike), so the opt-out is never
 * half-kept. The same person waiting in other lists is never called either.
 */
export async function recordOptOut(tx: CallTx, input: { call: CallRow; contact: ContactRow; now: number }): Promise<void> {
  const { call, contact, now } = input;
  await tx.contacts.suppressOptOut(contact.phoneE164, `pressed * during call ${call.id}`, now);
  await tx.calls.markOptedOut(call.id);
}
