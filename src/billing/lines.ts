import type { Tariff } from '../config/index.js';
import { prepared, type AppDatabase, type SqlReader } from '../db/index.js';
import { rateCall } from './rating.js';

/** A billing line as it is written: the call's rating in the list's tariff. */
export interface BillingLine {
  callId: number;
  listId: number;
  clientId: number | null;
  billableSeconds: number;
  amountMinor: number;
  currency: string;
  providerPriceMicros: number | null;
  createdAt: number;
}

/**
 * The billing lines store (docs/adr/0013-store-ports.md). One line per call at most (a unique
 * index): a duplicate `completed` webhook, a reconciliation after a crash and the original event
 * all collide there, so a call is billed once.
 */
export interface BillingStore {
  /** Writes the line unless the call has one; true when this wrote it. */
  recordLine(line: BillingLine): Promise<boolean>;
  /** Removes the call's line (a late machine verdict); true when there was one. */
  voidLine(callId: number): Promise<boolean>;
}

/** The billing lines store on SQLite. */
export class SqliteBillingStore implements BillingStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async recordLine(l: BillingLine): Promise<boolean> {
    return (
      prepared(
        this.#db,
        `INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING`,
      ).run(l.callId, l.listId, l.clientId, l.billableSeconds, l.amountMinor, l.currency, l.providerPriceMicros, l.createdAt).changes === 1
    );
  }

  async voidLine(callId: number): Promise<boolean> {
    return prepared(this.#db, 'DELETE FROM billing_lines WHERE call_id = ?').run(callId).changes === 1;
  }
}

/** What the billing rule reads of an ended (or still live) call. */
export interface CallForBilling {
  id: number;
  listId: number;
  state: string;
  outcome: string | null;
  durationSeconds: number | null;
  providerPriceMicros: number | null;
}

/**
 * The client pays only for calls a person answered: a call is billable once it has ended with
 * outcome `human` and its connected seconds are known. Safe to call any number of times (one line
 * per call). Returns true when this call created the line.
 */
export async function billIfPersonAnswered(billing: BillingStore, call: CallForBilling, clientId: number | null, tariff: Tariff, nowMs: number): Promise<boolean> {
  if (call.state !== 'ended' || call.outcome !== 'human' || call.durationSeconds === null) return false;
  const rating = rateCall(tariff, call.durationSeconds);
  return billing.recordLine({
    callId: call.id,
    listId: call.listId,
    clientId,
    billableSeconds: rating.billableSeconds,
    amountMinor: rating.amountMinor,
    currency: tariff.currency,
    providerPriceMicros: call.providerPriceMicros,
    createdAt: nowMs,
  });
}

export interface BillingTotals {
  billableCalls: number;
  billableSeconds: number;
  amountMinor: number;
  currency: string | null;
  providerCostMicros: number;
}

/** A list's billing totals: the report's, and the summary `run` prints (a read model: any backend). */
export async function billingTotals(reader: SqlReader, listId: number): Promise<BillingTotals> {
  return (await reader.get<BillingTotals>(
    `SELECT count(*) AS "billableCalls", coalesce(sum(billable_seconds), 0) AS "billableSeconds", coalesce(sum(amount_minor), 0) AS "amountMinor",
            max(currency) AS currency, coalesce(sum(provider_price_micros), 0) AS "providerCostMicros"
     FROM billing_lines WHERE list_id = ?`,
    [listId],
  ))!;
}
