import { changes, one, type Queryable } from '../db/postgres/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import type { ContactRow, ContactStore, SettleGuard } from './contact-store.js';

const CONTACT_COLUMNS = 'id, list_id AS "listId", phone_e164 AS "phoneE164", country, timezone, language, name, status, attempts';

/** The contacts store on PostgreSQL, statement for statement as on SQLite. */
export class PostgresContactStore implements ContactStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  byId(id: number): Promise<ContactRow | undefined> {
    return one<ContactRow>(this.#q, `SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = $1`, [id]);
  }

  async settle(guard: SettleGuard, status: ContactStatus, nextAttemptAt: number | null, now: number): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        'UPDATE contacts SET status = $1, next_attempt_at = $2, updated_at = $3 WHERE id = $4 AND status = $5 AND ($6::integer IS NULL OR attempts = $6)',
        [status, nextAttemptAt, now, guard.id, guard.status, guard.attempts ?? null],
      )) === 1
    );
  }

  async isSuppressed(e164: string): Promise<boolean> {
    return (await one(this.#q, 'SELECT 1 FROM suppressions WHERE phone_e164 = $1', [e164])) !== undefined;
  }

  async suppressOptOut(e164: string, reason: string, now: number): Promise<void> {
    // SQLite's suppressNumber, its two statements. The contacts are locked in id order, so that two
    // transactions suppressing numbers of the same people never wait on each other in a cycle.
    await this.#q.query(`INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES ($1, 'opt_out', $2, $3) ON CONFLICT (phone_e164) DO NOTHING`, [e164, reason, now]);
    await this.#q.query(
      `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = $2
       WHERE id IN (SELECT id FROM contacts WHERE phone_e164 = $1 AND status = 'pending' ORDER BY id FOR UPDATE)`,
      [e164, now],
    );
  }
}
