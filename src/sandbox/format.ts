/*
 * Wire formats Vonage uses, each in one place: webhooks carry ISO-8601 with milliseconds, the
 * recording webhook ISO-8601 without them, and GET /v1/calls "YYYY-MM-DD HH:MM:SS" (reference §2, §5, §6).
 * Money is a decimal string with 8 places, computed in integer units of 1e-8 so no float rounding
 * creeps into the price.
 */

export const isoWithMs = (epochMs: number): string => new Date(epochMs).toISOString();

export const isoWithoutMs = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const restTime = (epochMs: number): string =>
  new Date(epochMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');

const MONEY_DECIMALS = 8;
const MONEY_SCALE = 10n ** BigInt(MONEY_DECIMALS);

/** Parses a non-negative decimal string such as "0.0140" into units of 1e-8; null when malformed. */
export function parseMoney(value: string): bigint | null {
  const match = /^(\d{1,9})(?:\.(\d{1,8}))?$/.exec(value.trim());
  if (!match) return null;
  const fraction = (match[2] ?? '').padEnd(MONEY_DECIMALS, '0');
  return BigInt(match[1]!) * MONEY_SCALE + BigInt(fraction);
}

export function formatMoney(units: bigint): string {
  const whole = units / MONEY_SCALE;
  const fraction = (units % MONEY_SCALE).toString().padStart(MONEY_DECIMALS, '0');
  return `${whole}.${fraction}`;
}

/**
 * price = rate per minute × billed seconds / 60, rounded half up to 8 decimals. Every real example in
 * the reference (§10) fits per-second billing from answer, which is what this models.
 */
export function priceFor(ratePerMinute: string, durationSeconds: number): string {
  const rate = parseMoney(ratePerMinute);
  if (rate === null) throw new RangeError(`ratePerMinute must be a decimal string such as '0.01400000', got '${ratePerMinute}'`);
  const numerator = rate * BigInt(durationSeconds);
  return formatMoney((numerator * 2n + 60n) / 120n);
}
