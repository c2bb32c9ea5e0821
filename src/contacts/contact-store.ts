import { prepared, type AppDatabase } from '../db/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import { isSuppressed, suppressNumber } from './suppression-store.js';

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

/**
 * The contacts store on the webhooks' side (docs/adr/0013-store-ports.md): settling a contact after
 * an attempt, and the suppression list a star adds to. The import and the dialing loop keep their
 * own bulk paths (contacts/import-sink.ts, dialer/run-store.ts).
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
    suppressNumber(this.#db, e164, { source: 'opt_out', reason }, now);
  }
}
