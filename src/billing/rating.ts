import { z } from 'zod';
import type { Tariff } from '../config/index.js';

/** A list's own tariff, stored as JSON on the list; the configured default applies otherwise. */
export const TariffSchema = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/),
  callFeeMinor: z.number().int().min(0),
  perMinuteMinor: z.number().int().min(0),
  firstIncrementSeconds: z.number().int().min(1),
  nextIncrementSeconds: z.number().int().min(1),
});

export interface Rating {
  billableSeconds: number;
  amountMinor: number;
}

/**
 * Rates one person-answered call. Billable time is rounded up to the tariff's increments (60/60
 * bills started minutes; 1/1 bills seconds; 30/6 a 30 s minimum then 6 s steps). The amount is the
 * per-call fee plus billable seconds × per-minute price / 60, rounded half up to a minor unit, in
 * integer arithmetic. A call with no connected seconds is billed nothing.
 */
export function rateCall(tariff: Tariff, durationSeconds: number): Rating {
  if (!Number.isInteger(durationSeconds) || durationSeconds < 0) {
    throw new RangeError(`durationSeconds must be a non-negative integer, got ${durationSeconds}`);
  }
  if (durationSeconds === 0) return { billableSeconds: 0, amountMinor: 0 };
  const { firstIncrementSeconds: first, nextIncrementSeconds: next } = tariff;
  const billableSeconds = durationSeconds <= first ? first : first + Math.ceil((durationSeconds - first) / next) * next;
  const usage = Math.floor((billableSeconds * tariff.perMinuteMinor + 30) / 60);
  return { billableSeconds, amountMinor: tariff.callFeeMinor + usage };
}

/** Formats minor units for people: 1234 EUR → "12.34 EUR". Currencies with 2 decimals assumed. */
export function formatMoney(amountMinor: number, currency: string): string {
  const sign = amountMinor < 0 ? '-' : '';
  const abs = Math.abs(amountMinor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}
