import type { Tariff } from '../config/index.js';
import type { AppDatabase } from '../db/index.js';
import { rateCall } from './rating.js';

export interface BillableCall {
  callId: number;
  listId: number;
  clientId: number | null;
  durationSeconds: number;
  providerPriceMicros: number | null;
}

/**
 * Writes the billing line of a person-answered call. The unique index on call_id makes this
 * idempotent: a duplicate `completed` webhook, a reconciliation after a crash and the original
 * event all collide there, so a call is billed once. Must run inside the caller's transaction.
 * Returns true when this call created the line.
 */
export function recordBillingLine(database: AppDatabase, call: BillableCall, tariff: Tariff, nowMs: number): boolean {
  const rating = rateCall(tariff, call.durationSeconds);
  return (
    database.sqlite
      .prepare(
        `INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING`,
      )
      .run(call.callId, call.listId, call.clientId, rating.billableSeconds, rating.amountMinor, tariff.currency, call.providerPriceMicros, nowMs).changes === 1
  );
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
 * per call, by unique index). Returns true when this call created the line.
 */
export function billIfPersonAnswered(database: AppDatabase, call: CallForBilling, clientId: number | null, tariff: Tariff, nowMs: number): boolean {
  if (call.state !== 'ended' || call.outcome !== 'human' || call.durationSeconds === null) return false;
  return recordBillingLine(database, { callId: call.id, listId: call.listId, clientId, durationSeconds: call.durationSeconds, providerPriceMicros: call.providerPriceMicros }, tariff, nowMs);
}

/** Removes a billing line when a late machine-detection event shows no person answered. */
export function voidBillingLine(database: AppDatabase, callId: number): boolean {
  return database.sqlite.prepare('DELETE FROM billing_lines WHERE call_id = ?').run(callId).changes === 1;
}

export interface BillingTotals {
  billableCalls: number;
  billableSeconds: number;
  amountMinor: number;
  currency: string | null;
  providerCostMicros: number;
}

export function billingTotals(database: AppDatabase, listId: number): BillingTotals {
  const row = database.sqlite
    .prepare(
      `SELECT count(*) AS billableCalls, coalesce(sum(billable_seconds), 0) AS billableSeconds, coalesce(sum(amount_minor), 0) AS amountMinor,
              max(currency) AS currency, coalesce(sum(provider_price_micros), 0) AS providerCostMicros
       FROM billing_lines WHERE list_id = ?`,
    )
    .get(listId) as BillingTotals;
  return row;
}
