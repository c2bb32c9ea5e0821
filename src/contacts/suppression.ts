import type { CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import type { SuppressionSource } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { mapColumns } from './columns.js';
import { openCsv } from './csv-source.js';
import { normalizePhone } from './phone.js';

export interface SuppressionResult {
  value: string;
  e164?: string;
  outcome: 'added' | 'already' | 'invalid';
  reason?: string;
}

export interface AddSuppressionsOptions {
  database: AppDatabase;
  clock: Clock;
  numbers: Iterable<string>;
  country?: CountryCode | undefined;
  source: SuppressionSource;
  reason?: string | undefined;
}

export interface AddSuppressionsSummary {
  added: number;
  already: number;
  invalid: SuppressionResult[];
  /** Contacts not yet called in open lists that are now marked suppressed. */
  contactsSuppressed: number;
}

/**
 * Puts numbers on the do-not-call list. Contacts of these numbers that are still waiting in any
 * list become `suppressed` in the same transaction, so no dialer picks them up afterwards; the
 * dialer checks the list again just before each call anyway.
 */
export function addSuppressions(options: AddSuppressionsOptions): AddSuppressionsSummary {
  const { sqlite } = options.database;
  const now = options.clock.now();
  const results: SuppressionResult[] = [];
  for (const value of options.numbers) {
    const phone = normalizePhone(value, options.country);
    if (!phone.ok) results.push({ value, outcome: 'invalid', reason: phone.reason });
    else results.push({ value, e164: phone.e164, outcome: 'added' });
  }
  const insert = sqlite.prepare(
    'INSERT INTO suppressions (phone_e164, source, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (phone_e164) DO NOTHING',
  );
  const suppressContacts = sqlite.prepare(
    `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL, updated_at = ? WHERE phone_e164 = ? AND status = 'pending'`,
  );
  let contactsSuppressed = 0;
  sqlite.transaction(() => {
    for (const result of results) {
      if (result.outcome !== 'added') continue;
      if (insert.run(result.e164, options.source, options.reason ?? null, now).changes === 0) result.outcome = 'already';
      contactsSuppressed += suppressContacts.run(now, result.e164).changes;
    }
  }).immediate();
  return {
    added: results.filter((r) => r.outcome === 'added').length,
    already: results.filter((r) => r.outcome === 'already').length,
    invalid: results.filter((r) => r.outcome === 'invalid'),
    contactsSuppressed,
  };
}

/** Reads numbers for `dnc import`: a CSV with a phone column, or a plain list, one number a line. */
export async function readNumbersFile(file: string): Promise<string[]> {
  const source = await openCsv(file);
  const numbers: string[] = [];
  let phoneIndex: number | undefined;
  for await (const records of source.batches) {
    for (const record of records) {
      if (record.length === 1 && record[0]!.trim() === '') continue;
      if (phoneIndex === undefined) {
        try {
          phoneIndex = mapColumns(record).phoneIndex;
          continue;
        } catch {
          // No recognised header: a plain list of numbers, the first line included.
          phoneIndex = 0;
        }
      }
      const value = record[phoneIndex]?.trim();
      if (value) numbers.push(value);
    }
  }
  return numbers;
}

export function removeSuppression(options: { database: AppDatabase; number: string; country?: CountryCode | undefined }): { e164: string } {
  const phone = normalizePhone(options.number, options.country);
  if (!phone.ok) throw new AppError('INPUT_INVALID', `'${options.number}' ${phone.reason}`);
  const changes = options.database.sqlite.prepare('DELETE FROM suppressions WHERE phone_e164 = ?').run(phone.e164).changes;
  if (changes === 0) throw new AppError('NOT_FOUND', `${phone.e164} is not on the do-not-call list`);
  return { e164: phone.e164 };
}

export interface SuppressionEntry {
  phoneE164: string;
  source: SuppressionSource;
  reason: string | null;
  createdAt: number;
}

export function listSuppressions(options: { database: AppDatabase }): SuppressionEntry[] {
  return options.database.sqlite
    .prepare('SELECT phone_e164 AS phoneE164, source, reason, created_at AS createdAt FROM suppressions ORDER BY created_at, phone_e164')
    .all() as SuppressionEntry[];
}

/** Whether the number may never be called again: the one look-up of the suppression list (its primary key). */
export function isSuppressed(database: AppDatabase, e164: string): boolean {
  return prepared(database, 'SELECT 1 FROM suppressions WHERE phone_e164 = ?').get(e164) !== undefined;
}
