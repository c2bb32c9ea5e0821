import { changes, type Queryable } from '../db/postgres/index.js';
import type { BillingLine, BillingStore } from './lines.js';

/**
 * The billing lines store on PostgreSQL. Two units billing one call at once meet on its unique
 * index: the second insert waits for the first's transaction and, once that committed, does nothing.
 */
export class PostgresBillingStore implements BillingStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async recordLine(l: BillingLine): Promise<boolean> {
    return (
      (await changes(
        this.#q,
        `INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (call_id) DO NOTHING`,
        [l.callId, l.listId, l.clientId, l.billableSeconds, l.amountMinor, l.currency, l.providerPriceMicros, l.createdAt],
      )) === 1
    );
  }

  async voidLine(callId: number): Promise<boolean> {
    return (await changes(this.#q, 'DELETE FROM billing_lines WHERE call_id = $1', [callId])) === 1;
  }
}
