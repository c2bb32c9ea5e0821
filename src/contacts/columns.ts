import { AppError } from '../errors/index.js';

/** Header names accepted for the phone column, in order of preference (any case). */
export const PHONE_COLUMN_NAMES = ['phone', 'phone_number', 'number', 'msisdn', 'mobile', 'telefon'] as const;
/** Columns with a meaning of their own; region, segment and agent are also report breakdowns. */
export const KNOWN_COLUMNS = ['name', 'language', 'timezone', 'region', 'segment', 'agent'] as const;
/** Columns stored on the contact row itself; every other column goes into attributes. */
const CONTACT_FIELDS = new Set(['name', 'language', 'timezone']);
export const MAX_COLUMNS = 200;

export interface ColumnMap {
  phoneIndex: number;
  phoneHeader: string;
  nameIndex: number;
  languageIndex: number;
  timezoneIndex: number;
  /** [index, attribute key] for every other column. */
  attributes: [number, string][];
  width: number;
}

/** Reads the header row into a column map, refusing headers that would make the import ambiguous. */
export function mapColumns(header: string[]): ColumnMap {
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
  const attributes: [number, string][] = [];
  names.forEach((name, i) => {
    if (i !== phoneIndex && !CONTACT_FIELDS.has(lower[i]!)) {
      // Known breakdown columns get their canonical lower-case key; others keep the header's spelling.
      attributes.push([i, (KNOWN_COLUMNS as readonly string[]).includes(lower[i]!) ? lower[i]! : name]);
    }
  });
  return {
    phoneIndex,
    phoneHeader: names[phoneIndex]!,
    nameIndex: lower.indexOf('name'),
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
