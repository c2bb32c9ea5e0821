import { AppError } from '../errors/index.js';

/** Header names accepted for the phone column, in order of preference (any case). */
/** Header names of the numbers' column (any case): English, Polish, Russian and Bulgarian. */
export const PHONE_COLUMN_NAMES = ['phone', 'phone_number', 'number', 'msisdn', 'mobile', 'telefon', 'numer telefonu', 'телефон', 'номер телефона', 'телефонен номер'] as const;
/** Columns with a meaning of their own; region, segment and agent are also report breakdowns. */
export const KNOWN_COLUMNS = ['name', 'language', 'timezone', 'region', 'segment', 'agent'] as const;
/** Columns stored on the contact row itself; every other column goes into attributes. */
const CONTACT_FIELDS = new Set(['name', 'language', 'timezone']);
export const MAX_COLUMNS = 200;

/**
 * Header names of a person's name in the supported languages (any case; spaces, "_" and "-" alike):
 * the whole name, the given name, the family name. They fill the contact's name and are never a
 * report breakdown: a "By Imię" table shows each named person's score.
 */
export const NAME_COLUMN_NAMES = {
  full: ['name', 'full name', 'fullname', 'contact name', 'customer name', 'imię i nazwisko', 'imie i nazwisko', 'nazwa', 'имя и фамилия', 'фио', 'ф.и.о.', 'име и фамилия', 'имена', 'nom complet', 'vollständiger name'],
  given: ['first name', 'firstname', 'given name', 'forename', 'imię', 'imie', 'имя', 'име', 'prénom', 'prenom', 'vorname'],
  family: ['last name', 'lastname', 'surname', 'family name', 'nazwisko', 'фамилия', 'презиме', 'nom', 'nom de famille', 'nachname'],
} as const;

/** Header names of e-mail columns: personal data the survey does not need, so not stored. */
export const EMAIL_COLUMN_NAMES = ['email', 'e-mail', 'e mail', 'mail', 'email address', 'adres e-mail', 'adres email', 'почта', 'электронная почта', 'имейл', 'courriel'] as const;

/** "First_Name", "first-name", " First  name " → "first name". */
const headerKey = (name: string) => name.trim().toLowerCase().replace(/[\s_-]+/g, ' ');

export interface ColumnMap {
  phoneIndex: number;
  phoneHeader: string;
  /** The whole name's column, or -1. */
  nameIndex: number;
  /** Given and family name columns (joined "given family" when there is no whole name), or -1. */
  givenNameIndex: number;
  familyNameIndex: number;
  /** The `--value-column`'s index, or -1. */
  valueIndex: number;
  languageIndex: number;
  timezoneIndex: number;
  /** [index, attribute key] for every other column. */
  attributes: [number, string][];
  /** The header's names, as written (blank ones as column_N). */
  header: string[];
  /** Columns read but not kept, with why (an e-mail address, a second phone column …). */
  ignored: { column: string; reason: string }[];
  width: number;
}

/** Reads the header row into a column map, refusing headers that would make the import ambiguous. */
export function mapColumns(header: string[], options: { valueColumn?: string | undefined } = {}): ColumnMap {
  if (header.length > MAX_COLUMNS) {
    throw new AppError('INPUT_INVALID', `the header has ${header.length} columns; at most ${MAX_COLUMNS} are accepted (one phone column plus attributes)`);
  }
  const names = header.map((h, i) => h.trim() || `column_${i + 1}`);
  const lower = names.map((n) => n.toLowerCase());
  const seen = new Map<string, number>();
  lower.forEach((n, i) => {
    if (seen.has(n)) {
      throw new AppError('INPUT_INVALID', `the header names column "${names[i]}" twice (columns ${seen.get(n)! + 1} and ${i + 1}); rename one of them`);
    }
    seen.set(n, i);
  });
  const phoneColumns = lower.map((n, i) => [n, i] as const).filter(([n]) => (PHONE_COLUMN_NAMES as readonly string[]).includes(n));
  if (phoneColumns.length === 0) {
    throw new AppError(
      'INPUT_INVALID',
      `no phone column: the header has ${names.map((n) => `"${n}"`).join(', ')}; name the column with the numbers one of ${PHONE_COLUMN_NAMES.join(', ')} (any case)`,
      { details: { header: names, accepted: PHONE_COLUMN_NAMES } },
    );
  }
  if (phoneColumns.length > 1) {
    throw new AppError(
      'INPUT_INVALID',
      `several phone columns (${phoneColumns.map(([, i]) => `"${names[i]}"`).join(', ')}); keep one of them or rename the others`,
    );
  }
  const phoneIndex = phoneColumns[0]![1];
  const keys = names.map(headerKey);
  const valueIndex = options.valueColumn === undefined ? -1 : keys.indexOf(headerKey(options.valueColumn));
  if (options.valueColumn !== undefined && (valueIndex < 0 || valueIndex === phoneIndex)) {
    throw new AppError('USAGE', `--value-column '${options.valueColumn}' is not a column of the file; the header has ${names.map((n) => `"${n}"`).join(', ')}`);
  }
  const find = (list: readonly string[]) => keys.findIndex((k, i) => i !== phoneIndex && list.includes(k));
  const nameIndex = find(NAME_COLUMN_NAMES.full);
  const givenNameIndex = find(NAME_COLUMN_NAMES.given);
  const familyNameIndex = find(NAME_COLUMN_NAMES.family);
  const nameColumns = new Set([nameIndex, givenNameIndex, familyNameIndex].filter((i) => i >= 0));
  const attributes: [number, string][] = [];
  const ignored: { column: string; reason: string }[] = [];
  names.forEach((name, i) => {
    if (i === phoneIndex || i === valueIndex || CONTACT_FIELDS.has(lower[i]!)) return;
    if (nameColumns.has(i)) {
      if (i !== nameIndex && nameIndex >= 0) ignored.push({ column: name, reason: `a part of the name, and column "${names[nameIndex]}" holds the whole name` });
      return;
    }
    if ((NAME_COLUMN_NAMES.full as readonly string[]).includes(keys[i]!) || (NAME_COLUMN_NAMES.given as readonly string[]).includes(keys[i]!) || (NAME_COLUMN_NAMES.family as readonly string[]).includes(keys[i]!)) {
      ignored.push({ column: name, reason: 'a second name column; the first one is kept' });
      return;
    }
    if ((EMAIL_COLUMN_NAMES as readonly string[]).includes(keys[i]!)) {
      ignored.push({ column: name, reason: 'e-mail addresses: personal data the survey does not need, not stored' });
      return;
    }
    // Known breakdown columns get their canonical lower-case key; others keep the header's spelling.
    attributes.push([i, (KNOWN_COLUMNS as readonly string[]).includes(lower[i]!) ? lower[i]! : name]);
  });
  return {
    phoneIndex,
    phoneHeader: names[phoneIndex]!,
    nameIndex,
    givenNameIndex: nameIndex >= 0 ? -1 : givenNameIndex,
    familyNameIndex: nameIndex >= 0 ? -1 : familyNameIndex,
    valueIndex,
    header: names,
    ignored,
    languageIndex: lower.indexOf('language'),
    timezoneIndex: lower.indexOf('timezone'),
    attributes,
    width: names.length,
  };
}

const zoneCache = new Map<string, string | null>();
/** The canonical IANA zone for a name, or null when Intl does not know it. */
export function canonicalTimeZone(value: string): string | null {
  let zone = zoneCache.get(value);
  if (zone === undefined) {
    try {
      zone = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      zone = null;
    }
    if (zoneCache.size < 10_000) zoneCache.set(value, zone);
  }
  return zone;
}

const languageCache = new Map<string, string | null>();
/** A canonical BCP 47 tag ("pl_pl" → "pl-PL"), or null when the value is not a language tag. */
export function canonicalLanguage(value: string): string | null {
  let tag = languageCache.get(value);
  if (tag === undefined) {
    try {
      const [canonical] = Intl.getCanonicalLocales(value.replace(/_/g, '-'));
      tag = canonical && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(canonical) ? canonical : null;
    } catch {
      tag = null;
    }
    if (languageCache.size < 10_000) languageCache.set(value, tag);
  }
  return tag;
}

/** What is known of one attribute column's values, for segmentVerdict. */
export interface ColumnValues {
  /** Contacts with a value in the column. */
  contacts: number;
  distinct: number;
  /** Values that look like an e-mail address, and like a phone number. */
  emails: number;
  phones: number;
}

/** Values that look like an e-mail address or a phone number (7 digits or more, written as one). */
export const EMAIL_VALUE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PHONE_VALUE = /^\+?[\d\s().-]{7,}$/;

/**
 * Whether an attribute column is a report breakdown, or why not. A breakdown whose values are
 * mostly unique shows single people's scores (names, customer ids), and e-mail addresses or phone
 * numbers are people, not segments.
 */
export function segmentVerdict(values: ColumnValues): { segment: true } | { segment: false; reason: string } {
  if (values.contacts === 0) return { segment: false, reason: 'no values' };
  if (values.emails * 2 > values.contacts) return { segment: false, reason: 'its values look like e-mail addresses' };
  if (values.phones * 2 > values.contacts) return { segment: false, reason: 'its values look like phone numbers' };
  // Two values (yes/no, north/south) never single a person out by themselves; three or more that
  // outnumber half the contacts do.
  if (values.distinct > 2 && values.distinct * 2 > values.contacts) {
    return { segment: false, reason: `its values are mostly unique (${values.distinct} different among ${values.contacts}): a breakdown would show single people's scores` };
  }
  return { segment: true };
}

/**
 * A value column's number, currency-free: "1234.50", "1 234,50", "1,234.50", "1.234,50", "1234,5";
 * thousands separated by spaces, apostrophes, or the separator that is not the last. Null when the
 * text is no such number.
 */
export function parseValue(raw: string): number | null {
  const text = raw.replace(/[\s\u00a0\u202f']/g, '');
  if (!/^-?[\d.,]*\d[\d.,]*$/.test(text)) return null;
  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  let decimal: ',' | '.' | null = null;
  if (lastComma >= 0 && lastDot >= 0) decimal = lastComma > lastDot ? ',' : '.';
  else if (lastComma >= 0) decimal = text.split(',').length === 2 && !/,\d{3}$/.test(text) ? ',' : null;
  else if (lastDot >= 0) decimal = text.split('.').length === 2 && !/^-?\d{1,3}\.\d{3}$/.test(text) ? '.' : null;
  const thousands = decimal === ',' ? '.' : ',';
  let normal = text.split(thousands).join('');
  if (decimal === ',') normal = normal.replace(',', '.');
  if (decimal === null) normal = normal.replace(/[.,]/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(normal)) return null;
  const value = Number(normal);
  return Number.isFinite(value) ? value : null;
}
