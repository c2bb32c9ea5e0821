import type { CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../clock/index.js';
import type { SuppressionSource } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import type { SuppressionEntry, SuppressionStore } from './suppression-store.js';
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
  suppressions: SuppressionStore;
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
export async function addSuppressions(options: AddSuppressionsOptions): Promise<AddSuppressionsSummary> {
  const results: SuppressionResult[] = [];
  for (const value of options.numbers) {
    const phone = normalizePhone(value, options.country);
    if (!phone.ok) results.push({ value, outcome: 'invalid', reason: phone.reason });
    else results.push({ value, e164: phone.e164, outcome: 'added' });
  }
  const valid = results.filter((r) => r.outcome === 'added');
  const { added, contactsSuppressed } = await options.suppressions.add(
    valid.map((r) => r.e164!),
    { source: options.source, reason: options.reason ?? null },
    options.clock.now(),
  );
  valid.forEach((result, i) => {
    if (!added[i]) result.outcome = 'already';
  });
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

export async function removeSuppression(options: { suppressions: SuppressionStore; number: string; country?: CountryCode | undefined }): Promise<{ e164: string }> {
  const phone = normalizePhone(options.number, options.country);
  if (!phone.ok) throw new AppError('INPUT_INVALID', `'${options.number}' ${phone.reason}`);
  if (!(await options.suppressions.remove(phone.e164))) throw new AppError('NOT_FOUND', `${phone.e164} is not on the do-not-call list`);
  return { e164: phone.e164 };
}

/** The do-not-call list, oldest first. */
export function listSuppressions(options: { suppressions: SuppressionStore }): Promise<SuppressionEntry[]> {
  return options.suppressions.all();
}
