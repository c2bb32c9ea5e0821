import { prepared, type AppDatabase } from '../db/index.js';
import type { CallRow, ContactRow } from './store.js';

/**
 * A star pressed during a call: the number is suppressed at once and the call ends its survey.
 * Runs inside the input webhook's transaction (score or reason step alike), so the opt-out is never
 * half-kept. The same person waiting in other lists is never called either.
 */
export function recordOptOut(database: AppDatabase, input: { call: CallRow; contact: ContactRow; now: number }): void {
  const { call, contact, now } = input;
  prepared(database, `INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, 'opt_out', ?, ?) ON CONFLICT (phone_e164) DO NOTHING`)
    .run(contact.phoneE164, `pressed * during call ${call.id}`, now);
  prepared(database, `UPDATE calls SET opted_out = 1, ivr_stage = 'done' WHERE id = ?`).run(call.id);
  prepared(database, `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = ? WHERE phone_e164 = ? AND status = 'pending'`)
    .run(now, contact.phoneE164);
}
