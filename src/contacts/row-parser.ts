import type { CountryCode } from 'libphonenumber-js/max';
import { canonicalLanguage, canonicalTimeZone, type ColumnMap } from './columns.js';
import { normalizePhone } from './phone.js';

/** Values of one parsed row, in the order of ROW_FIELDS; batches travel as one flat array. */
export const ROW_FIELDS = ['row', 'e164', 'country', 'name', 'language', 'timezone', 'attributes'] as const;
export const ROW_WIDTH = ROW_FIELDS.length;
export const REJECTED_SAMPLE = 100;
const MAX_TEXT = 1_000;

export interface RejectedRow {
  /** Position in the file; the header is row 1. */
  row: number;
  /** The column the problem is in ("*" for the row as a whole). */
  field: string;
  value: string;
  reason: string;
}

export interface RowParserConfig {
  columns: ColumnMap;
  country: CountryCode | undefined;
  /** An example number for messages, e.g. "+48512345678". */
  example: string;
}

export interface ParsedBatch {
  /** ROW_WIDTH values per accepted row: row, e164, country, name, language, timezone, attributes JSON. */
  values: (string | number | null)[];
  /** Up to REJECTED_SAMPLE rejections of this batch, in row order. */
  rejected: RejectedRow[];
  rejectedCount: number;
}

/**
 * Validates and normalises a batch of records (flat: `width` fields per record). Pure, so it runs
 * the same inline and in the import worker thread.
 */
export function parseBatch(config: RowParserConfig, fields: string[], rows: number[]): ParsedBatch {
  const { columns, country, example } = config;
  const width = columns.width;
  const values: (string | number | null)[] = [];
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  const reject = (row: number, field: string, value: string, reason: string) => {
    rejectedCount++;
    if (rejected.length < REJECTED_SAMPLE) rejected.push({ row, field, value: value.slice(0, 200), reason });
  };
  const hint = `; write numbers in E.164 like ${example}${country ? '' : ' or import with --country'}`;

  for (let r = 0; r < rows.length; r++) {
    const base = r * width;
    const row = rows[r]!;
    const raw = fields[base + columns.phoneIndex] ?? '';
    const phone = normalizePhone(raw, country);
    if (!phone.ok) {
      reject(row, columns.phoneHeader, raw, phone.reason + hint);
      continue;
    }
    let language: string | null = null;
    const languageRaw = columns.languageIndex >= 0 ? text(fields[base + columns.languageIndex]) : null;
    if (languageRaw) {
      language = canonicalLanguage(languageRaw);
      if (!language) {
        reject(row, 'language', languageRaw, 'is not a language tag; use BCP 47 such as en-US, pl-PL, ru-RU or bg-BG');
        continue;
      }
    }
    let timezone: string | null = null;
    const zoneRaw = columns.timezoneIndex >= 0 ? text(fields[base + columns.timezoneIndex]) : null;
    if (zoneRaw) {
      timezone = canonicalTimeZone(zoneRaw);
      if (!timezone) {
        reject(row, 'timezone', zoneRaw, 'is not an IANA time zone; use a name such as Europe/Warsaw or America/New_York');
        continue;
      }
    }
    let attributes = '{}';
    if (columns.attributes.length > 0) {
      const found: Record<string, string> = {};
      let any = false;
      for (const [index, key] of columns.attributes) {
        const value = text(fields[base + index]);
        if (value) {
          found[key] = value;
          any = true;
        }
      }
      if (any) attributes = JSON.stringify(found);
    }
    values.push(row, phone.e164, phone.country ?? null, columns.nameIndex >= 0 ? text(fields[base + columns.nameIndex]) : null, language, timezone, attributes);
  }
  return { values, rejected, rejectedCount };
}

function text(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.length > MAX_TEXT ? trimmed.slice(0, MAX_TEXT) : trimmed;
}
