import { prepared, type AppDatabase } from '../db/index.js';
import type { SuppressionSource } from '../db/schema/index.js';

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
 * The do-not-call list's store on the operator's side (`dnc add`, `dnc import`, `dnc remove`,
 * `dnc list`; docs/adr/0013-store-ports.md), asynchronous so that PostgreSQL is a second adapter.
 * Its own port: the list is an aggregate of its own, keyed by number, not by contact. A number put
 * on it stops the same person waiting in any list in the same unit, as a callee's opt-out does
 * in the webhooks' unit of work (ContactStore.suppressOptOut, the same SQL on SQLite:
 * suppressNumber). Every adapter passes test/contacts/suppression-store-conformance.ts.
 */
export interface SuppressionStore {
  /**
   * Puts the numbers (E.164) on the list, an entry already there keeping its source and reason,
   * and suppresses their contacts still waiting in any list. All at once or not at all.
   */
  add(numbers: readonly string[], entry: { source: SuppressionSource; reason: string | null }, now: number): Promise<Suppressed>;
  /** Takes a number off the list (its contacts already suppressed stay so); false when it was not on it. */
  remove(e164: string): Promise<boolean>;
  /** The whole list, oldest first, then by number. */
  all(): Promise<SuppressionEntry[]>;
}

/**
 * Whether the number may never be called again: the one look-up of the suppression list (its
 * primary key), synchronous for SQLite code inside its own transactions (the dialer's run store,
 * erasure, the contacts' store).
 */
export function isSuppressed(database: AppDatabase, e164: string): boolean {
  return prepared(database, 'SELECT 1 FROM suppressions WHERE phone_e164 = ?').get(e164) !== undefined;
}

/**
 * Puts one number on the list unless it is there (the first entry stays) and suppresses its
 * contacts still waiting in any list, in the caller's transaction: SQLite's one write of the list.
 */
export function suppressNumber(database: AppDatabase, e164: string, entry: { source: SuppressionSource; reason: string | null }, now: number): { added: boolean; contactsSuppressed: number } {
  const added = prepared(database, 'INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (phone_e164) DO NOTHING').run(e164, entry.source, entry.reason, now).changes === 1;
  const contactsSuppressed = prepared(database, `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = ? WHERE phone_e164 = ? AND status = 'pending'`).run(now, e164).changes;
  return { added, contactsSuppressed };
}

/** The do-not-call list's store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteSuppressionStore implements SuppressionStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  add(numbers: readonly string[], entry: { source: SuppressionSource; reason: string | null }, now: number): Promise<Suppressed> {
    const database = this.#database;
    const suppressed = database.sqlite
      .transaction((): Suppressed => {
        let contactsSuppressed = 0;
        const added = numbers.map((e164) => {
          const one = suppressNumber(database, e164, entry, now);
          contactsSuppressed += one.contactsSuppressed;
          return one.added;
        });
        return { added, contactsSuppressed };
      })
      .immediate();
    return Promise.resolve(suppressed);
  }

  remove(e164: string): Promise<boolean> {
    return Promise.resolve(prepared(this.#database, 'DELETE FROM suppressions WHERE phone_e164 = ?').run(e164).changes > 0);
  }

  all(): Promise<SuppressionEntry[]> {
    return Promise.resolve(
      prepared(this.#database, 'SELECT phone_e164 AS phoneE164, source, reason, created_at AS createdAt FROM suppressions ORDER BY created_at, phone_e164').all() as SuppressionEntry[],
    );
  }
}
