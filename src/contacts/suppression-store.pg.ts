import { changes, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { SuppressionSource } from '../db/schema/index.js';
import type { Suppressed, SuppressionEntry, SuppressionStore } from './suppression-store.js';

/**
 * The do-not-call list's store on PostgreSQL. Where SQLite runs two statements per number in
 * process, this runs two for the whole batch (a `dnc import` of thousands of numbers would
 * otherwise cost two round trips each), with the same outcome number by number.
 */
export class PostgresSuppressionStore implements SuppressionStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async add(numbers: readonly string[], entry: { source: SuppressionSource; reason: string | null }, now: number): Promise<Suppressed> {
    if (numbers.length === 0) return { added: [], contactsSuppressed: 0 };
    // Each number once, in one order for every node: two batches that share numbers take their
    // locks (an entry's unique key, a contact's row) in the same order, so neither waits on the
    // other in a cycle; the second one's insert waits for the first's entry, then does nothing.
    const unique = [...new Set(numbers)].sort();
    return transaction(this.#q, async (q): Promise<Suppressed> => {
      const inserted = await rows<{ e164: string }>(
        q,
        `INSERT INTO suppressions (phone_e164, source, reason, created_at)
         SELECT n, $2, $3, $4 FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i
         ON CONFLICT (phone_e164) DO NOTHING RETURNING phone_e164 AS e164`,
        [unique, entry.source, entry.reason, now],
      );
      const contactsSuppressed = await changes(
        q,
        `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = $2
         WHERE id IN (SELECT id FROM contacts WHERE phone_e164 = ANY($1::text[]) AND status = 'pending' ORDER BY id FOR UPDATE)`,
        [unique, now],
      );
      // As on SQLite, a number given twice was added by its first mention only.
      const fresh = new Set(inserted.map((r) => r.e164));
      const added = numbers.map((e164) => fresh.delete(e164));
      return { added, contactsSuppressed };
    });
  }

  async remove(e164: string): Promise<boolean> {
    return (await changes(this.#q, 'DELETE FROM suppressions WHERE phone_e164 = $1', [e164])) > 0;
  }

  all(): Promise<SuppressionEntry[]> {
    return rows<SuppressionEntry>(
      this.#q,
      `SELECT phone_e164 AS "phoneE164", source, reason, created_at AS "createdAt" FROM suppressions ORDER BY created_at, phone_e164 COLLATE "C"`,
    );
  }
}
