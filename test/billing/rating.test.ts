import { describe, expect, it } from '@jest/globals';
import { formatMoney, rateCall } from '../../src/billing/index.js';
import { decimalToMicros } from '../../src/telephony/index.js';

const perMinute = (first: number, next: number, perMinuteMinor = 12, callFeeMinor = 0) => ({
  currency: 'EUR',
  callFeeMinor,
  perMinuteMinor,
  firstIncrementSeconds: first,
  nextIncrementSeconds: next,
});

describe('rating', () => {
  it('bills started minutes with a 60/60 increment', () => {
    expect(rateCall(perMinute(60, 60), 1)).toEqual({ billableSeconds: 60, amountMinor: 12 });
    expect(rateCall(perMinute(60, 60), 60)).toEqual({ billableSeconds: 60, amountMinor: 12 });
    expect(rateCall(perMinute(60, 60), 61)).toEqual({ billableSeconds: 120, amountMinor: 24 });
  });

  it('bills seconds with 1/1 and rounds the amount half up to a minor unit', () => {
    expect(rateCall(perMinute(1, 1), 7)).toEqual({ billableSeconds: 7, amountMinor: 1 }); // 7 × 12 / 60 = 1.4
    expect(rateCall(perMinute(1, 1), 45)).toEqual({ billableSeconds: 45, amountMinor: 9 }); // 9.0
    expect(rateCall(perMinute(1, 1, 10), 15)).toEqual({ billableSeconds: 15, amountMinor: 3 }); // 2.5 → 3
  });

  it('applies a minimum then steps (30/6) and adds the per-call fee', () => {
    expect(rateCall(perMinute(30, 6, 60, 5), 10)).toEqual({ billableSeconds: 30, amountMinor: 35 });
    expect(rateCall(perMinute(30, 6, 60, 5), 31)).toEqual({ billableSeconds: 36, amountMinor: 41 });
  });

  it('bills nothing for a call with no connected seconds and refuses nonsense durations', () => {
    expect(rateCall(perMinute(60, 60, 12, 50), 0)).toEqual({ billableSeconds: 0, amountMinor: 0 });
    expect(() => rateCall(perMinute(60, 60), -1)).toThrow(/non-negative integer/);
    expect(() => rateCall(perMinute(60, 60), 1.5)).toThrow(/non-negative integer/);
  });

  it('formats minor units and parses provider prices without floats', () => {
    expect(formatMoney(1234, 'EUR')).toBe('12.34 EUR');
    expect(formatMoney(5, 'EUR')).toBe('0.05 EUR');
    expect(decimalToMicros('0.00052500')).toBe(525);
    expect(decimalToMicros('0.0045')).toBe(4500);
    expect(decimalToMicros('23.40')).toBe(23_400_000);
    expect(decimalToMicros('0.0000005')).toBe(1);
    expect(decimalToMicros('abc')).toBeUndefined();
    expect(decimalToMicros(null)).toBeUndefined();
  });
});
