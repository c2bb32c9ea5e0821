/**
 * Parses a decimal amount as Vonage sends it ("0.00052500") into integer micro-units, without
 * going through a float. Rounds half up past the sixth decimal. Returns undefined for absent or
 * malformed values rather than guessing.
 */
export function decimalToMicros(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) value = value.toFixed(8);
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(-)?(\d+)(?:\.(\d+))?\s*$/.exec(value);
  if (!match) return undefined;
  const [, minus, whole, fraction = ''] = match;
  const padded = (fraction + '0000000').slice(0, 7);
  let micros = Number(whole) * 1_000_000 + Number(padded.slice(0, 6));
  if (Number(padded[6]) >= 5) micros += 1;
  return minus ? -micros : micros;
}

/** Parses a non-negative integer sent as a string ("7") or number. */
export function parseSeconds(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Parses the provider's times: ISO 8601 in webhooks, "YYYY-MM-DD HH:MM:SS" (UTC) from GET. */
export function parseProviderTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
