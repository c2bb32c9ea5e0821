import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';
import { isSupportedCountry } from 'libphonenumber-js/max';

export type PhoneResult =
  | { ok: true; e164: string; country: string | undefined }
  /** `formatHint`: whether showing the E.164 form would help (not for a well-written number that is not in use). */
  | { ok: false; reason: string; formatHint: boolean };

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
  // A leading apostrophe is a spreadsheet's "this cell is text" marker, not part of the number.
  const value = raw.trim().replace(/^'\s*/, '');
  if (value === '') return { ok: false, reason: 'is empty', formatHint: true };
  if (SCIENTIFIC.test(value)) {
    return {
      ok: false,
      reason: 'is in scientific notation: a spreadsheet turned the number into a float and its last digits are lost; format the phone column as Text and export the file again',
      formatHint: false,
    };
  }
  if (/[a-zA-Z]{2,}/.test(value) && !/^\+?[\d\s().-]+(ext\.?|x)\s*\d+$/i.test(value)) {
    return { ok: false, reason: REASONS.NOT_A_NUMBER!, formatHint: true };
  }
  // "00" is the international prefix in most of Europe; libphonenumber only reads it when the
  // default country uses it, so rewrite it to "+" whatever --country says ("0048…", "00 48 …").
  const text = value.replace(/^00[\s.-]*(?=[1-9])/, '+');
  const international = text.startsWith('+');
  if (!international && !defaultCountry) {
    return {
      ok: false,
      reason: 'has no country code; write it in E.164 like +48501234567 or import with --country',
      formatHint: false,
    };
  }
  // extract: false — the whole field must be the number; "call 501 234 567" is not a contact.
  const parsed = parsePhoneNumberFromString(text, defaultCountry ? { defaultCountry, extract: false } : { extract: false });
  // Name where the number was read as: its country, the --country, or for an international number
  // that matches no country's plan, its calling code ("+44").
  const where = parsed?.country ?? (international ? (parsed?.countryCallingCode ? `+${parsed.countryCallingCode}` : undefined) : defaultCountry);
  if (!parsed) {
    const lengthProblem = validatePhoneNumberLength(text, defaultCountry ? { defaultCountry } : undefined);
    const code = lengthProblem ?? 'NOT_A_NUMBER';
    return { ok: false, reason: describe(code, where), formatHint: !international || code === 'NOT_A_NUMBER' || code === 'INVALID_COUNTRY' };
  }
  if (!parsed.isValid()) {
    const lengthProblem = validatePhoneNumberLength(text, defaultCountry ? { defaultCountry } : undefined);
    if (!lengthProblem && international) {
      // Written right (+, country code, digits), but the numbering plan has no such number: say
      // that, not "write it in E.164" (it is E.164).
      return {
        ok: false,
        reason: `is written correctly but is not a number in use ${where?.startsWith('+') ? `under ${where}` : `in ${where ?? 'any country'}`} (a reserved or unassigned range, or a digit missing or extra); check the digits`,
        formatHint: false,
      };
    }
    const code = lengthProblem ?? 'INVALID';
    return { ok: false, reason: describe(code, where), formatHint: !international || code === 'INVALID_COUNTRY' };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** "4.85012E+10", "4,85E+10": what a spreadsheet shows after reading a long number as a float. */
const SCIENTIFIC = /^\+?\d+(?:[.,]\d+)?e\+?\d+$/i;

function describe(code: string, country: string | undefined): string {
  const base = REASONS[code] ?? 'is not a valid number';
  return country && code !== 'NOT_A_NUMBER' ? `${base} for ${country}` : base;
}
