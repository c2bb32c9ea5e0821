import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';
import { isSupportedCountry } from 'libphonenumber-js/max';

export type PhoneResult =
  | { ok: true; e164: string; country: string | undefined }
  | { ok: false; reason: string };

const REASONS: Record<string, string> = {
  NOT_A_NUMBER: 'is not a phone number',
  INVALID_COUNTRY: 'has no recognisable country code',
  TOO_SHORT: 'is too short',
  TOO_LONG: 'is too long',
  INVALID_LENGTH: 'has an invalid length',
};

export function isCountryCode(value: string): value is CountryCode {
  return /^[A-Z]{2}$/.test(value) && isSupportedCountry(value as CountryCode);
}

/**
 * Normalises a phone number as written by people to E.164. International forms (+48…, 0048…)
 * work on their own; national forms ("501 234 567", "(212) 555-0100") need `defaultCountry`.
 * The reason of a rejection is phrased to follow the value: "'12345' is too short for PL".
 */
export function normalizePhone(raw: string, defaultCountry?: CountryCode): PhoneResult {
  const value = raw.trim();
  if (value === '') return { ok: false, reason: 'is empty' };
  if (/[a-zA-Z]{2,}/.test(value) && !/^\+?[\d\s().-]+(ext\.?|x)\s*\d+$/i.test(value)) {
    return { ok: false, reason: REASONS.NOT_A_NUMBER! };
  }
  // "00" is the international prefix in most of Europe; libphonenumber only reads it when the
  // default country uses it, so rewrite it to "+" whatever --country says ("0048…", "00 48 …").
  const text = value.replace(/^00[\s.-]*(?=[1-9])/, '+');
  const international = text.startsWith('+');
  if (!international && !defaultCountry) {
    return {
      ok: false,
      reason: 'has no country code; write it in E.164 like +48501234567 or import with --country',
    };
  }
  // extract: false — the whole field must be the number; "call 501 234 567" is not a contact.
  const parsed = parsePhoneNumberFromString(text, defaultCountry ? { defaultCountry, extract: false } : { extract: false });
  // Name where the number was read as: its country, the --country, or for an international number
  // that matches no country's plan, its calling code ("+44").
  const where = parsed?.country ?? (international ? (parsed?.countryCallingCode ? `+${parsed.countryCallingCode}` : undefined) : defaultCountry);
  if (!parsed) {
    const lengthProblem = validatePhoneNumberLength(text, defaultCountry ? { defaultCountry } : undefined);
    return { ok: false, reason: describe(lengthProblem ?? 'NOT_A_NUMBER', where) };
  }
  if (!parsed.isValid()) {
    const lengthProblem = validatePhoneNumberLength(text, defaultCountry ? { defaultCountry } : undefined);
    return { ok: false, reason: describe(lengthProblem ?? 'INVALID', where) };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

function describe(code: string, country: string | undefined): string {
  const base = REASONS[code] ?? 'is not a valid number';
  return country && code !== 'NOT_A_NUMBER' ? `${base} for ${country}` : base;
}
