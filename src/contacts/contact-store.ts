import { prepared, type AppDatabase } from '../db/index.js';
import type { ContactStatus, SuppressionSource } from '../db/schema/index.js';

/** A contact as the call handlers and the dialer read it. */
export interface ContactRow {
  id: number;
  listId: number;
  phoneE164: string;
  country: string | null;
  timezone: string | null;
  language: string | null;
  name: string | null;
  status: ContactStatus;
  attempts: number;
}

/** What a settlement expects the contact to be: a stale event of an older attempt must not move it. */
export interface SettleGuard {
  id: number;
  status: ContactStatus;
  /** The attempt the event belongs to; absent when any attempt may be settled again (late keys). */
  attempts?: number | undefined;
}

/** An entry of the do-not-call list. */
export interface SuppressionEntry {
  phoneE164: string;
  source: SuppressionSource;
  reason: string | null;
  createdAt: number;
}

/** What putting numbers on the do-not-call list did. */
export interface Suppressed {
  /** For each number given, in order: whether it was put on the list now (false: it already was). */
  added: boolean[];
  /** Contacts not yet called, in any list, that are now `suppressed`. */
  contactsSuppressed: number;
}

/**
 * The contacts store (docs/adr/0013-store-ports.md): settling a contact after an attempt, and the
 * do-not-call list, which the same store keeps because a suppressed number and its waiting
 * contacts change together (a number put on the list is never called from any list again). The
 * import and the dialing loop keep their own bulk paths (contacts/import-writer.ts,
 * dialer/run-store.ts). Every adapter passes test/contacts/contact-store-conformance.ts.
 */
export interface ContactStore {
  byId(id: number): Promise<ContactRow | undefined>;
  /** Moves the contact to `status` (due again at `nextAttemptAt`) if it still is what `guard` says; true when it moved. */
  settle(guard: SettleGuard, status: ContactStatus, nextAttemptAt: number | null, now: number): Promise<boolean>;
  /** Whether the number may never be called again. */
  isSuppressed(e164: string): Promise<boolean>;
  /**
   * The callee pressed star: the number is suppressed (the first reason stays) and the same person
   * waiting in any list is never called.
   */
  suppressOptOut(e164: string, reason: string, now: number): Promise<void>;
  /**
   * The operator's `dnc add`/`dnc import`: puts the numbers (E.164) on the list (an entry already
   * there keeps its source and reason), and the same people waiting in any list are never called.
   * All at once or not at all.
   */
  suppress(numbers: readonly string[], entry: { source: SuppressionSource; reason: string | null }, now: number): Promise<Suppressed>;
  /** Takes a number off the list (its contacts already suppressed stay so); false when it was not on it. */
  unsuppress(e164: string): Promise<boolean>;
  /** The do-not-call list, oldest first (then by number). */
  suppressions(): Promise<SuppressionEntry[]>;
}

/**
 * Whether the number may never be called again: the one look-up of the suppression list (its
 * primary key), synchronous for SQLite callers inside their own transactions (the dialer's
 * screening, erasure) and for the adapter below.
 */
export function isSuppressed(database: AppDatabase, e164: string): boolean {
  return prepared(database, 'SELECT 1 FROM suppressions WHERE phone_e164 = ?').get(e164) !== undefined;
}

const CONTACT_COLUMNS = 'id, list_id AS listId, phone_e164 AS phoneE164, country, timezone, language, name, status, attempts';

/** The contacts store on SQLite. */
export class SqliteContactStore implements ContactStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async byId(id: number): Promise<ContactRow | undefined> {
    return prepared(this.#db, `SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = ?`).get(id) as ContactRow | undefined;
  }

  async settle(guard: SettleGuard, status: ContactStatus, nextAttemptAt: number | null, now: number): Promise<boolean> {
    const attempts = guard.attempts ?? null;
    return (
      prepared(this.#db, 'UPDATE contacts SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = ? AND (? IS NULL OR attempts = ?)').run(
        status,
        nextAttemptAt,
        now,
        guard.id,
        guard.status,
        attempts,
        attempts,
      ).changes === 1
    );
  }

  async isSuppressed(e164: string): Promise<boolean> {
    return isSuppressed(this.#db, e164);
  }

  async suppressOptOut(e164: string, reason: string, now: number): Promise<void> {
    prepared(this.#db, `INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, 'opt_out', ?, ?) ON CONFLICT (phone_e164) DO NOTHING`).run(e164, reason, now);
    prepared(this.#db, `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = ? WHERE phone_e164 = ? AND status = 'pending'`).run(now, e164);
  }

  async suppress(numbers: readonly string[], entry: { source: SuppressionSource; reason: string | null }, now: number): Promise<Suppressed> {
    const insert = prepared(this.#db, 'INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (phone_e164) DO NOTHING');
    const suppressContacts = prepared(this.#db, `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = ? WHERE phone_e164 = ? AND status = 'pending'`);
    return this.#db.sqlite
      .transaction((): Suppressed => {
        let contactsSuppressed = 0;
        const added = numbers.map((e164) => {
          const isNew = insert.run(e164, entry.source, entry.reason, now).changes === 1;
          contactsSuppressed += suppressContacts.run(now, e164).changes;
          return isNew;
        });
        return { added, contactsSuppressed };
      })
      .immediate();
  }

  async unsuppress(e164: string): Promise<boolean> {
    return prepared(this.#db, 'DELETE FROM suppressions WHERE phone_e164 = ?').run(e164).changes > 0;
  }

  async suppressions(): Promise<SuppressionEntry[]> {
    return prepared(this.#db, 'SELECT phone_e164 AS phoneE164, source, reason, created_at AS createdAt FROM suppressions ORDER BY created_at, phone_e164').all() as SuppressionEntry[];
  }
}
