import { describe, expect, it } from '@jest/globals';
import type { CountryCode } from 'libphonenumber-js/max';
import { isCountryCode, normalizePhone } from '../../src/contacts/index.js';

describe('normalizePhone', () => {
  it.each<[string, CountryCode | undefined, string, string]>([
    ['501 234 567', 'PL', '+48501234567', 'PL'],
    ['0048501234567', undefined, '+48501234567', 'PL'],
    ['0048 501 234 567', undefined, '+48501234567', 'PL'],
    ['00 48 501 234 567', undefined, '+48501234567', 'PL'],
    ['+48 (501) 234-567', undefined, '+48501234567', 'PL'],
    ['+48501234567', undefined, '+48501234567', 'PL'],
    ['  +48501234567  ', undefined, '+48501234567', 'PL'],
    // An international number is read as written, whatever --country says.
    ['+48501234567', 'US', '+48501234567', 'PL'],
    ['0048501234567', 'US', '+48501234567', 'PL'],
    ['(212) 555-0100', 'US', '+12125550100', 'US'],
    ['212-555-0100', 'US', '+12125550100', 'US'],
    ['+1 212 555 0100', undefined, '+12125550100', 'US'],
    // Russian national format: the trunk prefix 8 is dropped.
    ['8 916 123-45-67', 'RU', '+79161234567', 'RU'],
    ['8 (916) 123-45-67', 'RU', '+79161234567', 'RU'],
    ['+7 916 123 45 67', undefined, '+79161234567', 'RU'],
    ['089 123 4567', 'BG', '+359891234567', 'BG'],
    ['+359 88 123 4567', undefined, '+359881234567', 'BG'],
  ])('reads %j (country %s) as %s', (raw, country, e164, numberCountry) => {
    expect(normalizePhone(raw, country)).toEqual({ ok: true, e164, country: numberCountry });
  });

  it('drops an extension written after the number', () => {
    expect(normalizePhone('+48 501 234 567 ext. 5')).toEqual({ ok: true, e164: '+48501234567', country: 'PL' });
  });

  it.each<[string, CountryCode | undefined, string]>([
    ['', 'PL', 'is empty'],
    ['   ', 'PL', 'is empty'],
    ['n/a', 'PL', 'is not a phone number'],
    ['12345', 'PL', 'is too short for PL'],
    ['+48 12', undefined, 'is too short for PL'],
    ['+4850123456789', undefined, 'is too long for PL'],
    ['+48 501 234 56', 'PL', 'is written correctly but is not a number in use in PL (a reserved or unassigned range, or a digit missing or extra); check the digits'],
    ['0 501 234 567', 'PL', 'is not a valid number for PL'],
    ['+999 123456', undefined, 'has no recognisable country code'],
  ])('rejects %j (country %s): %s', (raw, country, reason) => {
    expect(normalizePhone(raw, country)).toMatchObject({ ok: false, reason });
  });

  it('says what is wrong with a well-written international number instead of asking for E.164 (#14 item 5)', () => {
    // A UK drama number: E.164 already, but in a range no operator has.
    expect(normalizePhone('+44 7700 900123')).toEqual({
      ok: false,
      reason: 'is written correctly but is not a number in use under +44 (a reserved or unassigned range, or a digit missing or extra); check the digits',
      formatHint: false,
    });
  });

  it("accepts a spreadsheet's leading apostrophe (a text marker) and explains scientific notation (#14 item 5)", () => {
    expect(normalizePhone("'+48501234567")).toEqual({ ok: true, e164: '+48501234567', country: 'PL' });
    expect(normalizePhone("'501 234 567", 'PL')).toEqual({ ok: true, e164: '+48501234567', country: 'PL' });
    for (const raw of ['4.85012E+10', '4,85012E+10', '4.85E10', '48501234567E0']) {
      expect(normalizePhone(raw, 'PL')).toEqual({
        ok: false,
        reason: 'is in scientific notation: a spreadsheet turned the number into a float and its last digits are lost; format the phone column as Text and export the file again',
        formatHint: false,
      });
    }
  });

  it('refuses a national number without a country, and the reason names --country', () => {
    const result = normalizePhone('501 234 567');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('has no country code; write it in E.164 like +48501234567 or import with --country');
  });

  it.each(['call 501234567', 'a 501234567', '501234567x', 'tel:+48501234567', '+48501234567 +48601234567', '#501234567'])(
    'rejects text that merely contains a number: %j',
    (raw) => {
      expect(normalizePhone(raw, 'PL')).toEqual({ ok: false, reason: 'is not a phone number', formatHint: true });
    },
  );
});

describe('isCountryCode', () => {
  it('accepts upper-case ISO alpha-2 codes libphonenumber knows, nothing else', () => {
    expect(['PL', 'US', 'GB', 'RU', 'BG'].every(isCountryCode)).toBe(true);
    expect(['pl', 'XX', 'POL', '', '48'].some(isCountryCode)).toBe(false);
  });
});

describe('normalizePhone: where an invalid international number was read', () => {
  it('names the calling code of an international number that fits no numbering plan', () => {
    const result = normalizePhone('+44 7700 90012');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/(GB|\+44)/);
  });
});
