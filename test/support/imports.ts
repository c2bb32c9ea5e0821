import { expect } from '@jest/globals';
import { importList, SqliteImportSink, type ImportSummary } from '../../src/contacts/index.js';
import { AppError } from '../../src/errors/index.js';
import { writeTempFile, type TestEnv } from './factories.js';

export type ImportOverrides = Partial<Omit<Parameters<typeof importList>[0], 'sink' | 'clock' | 'logger' | 'file'>>;

/**
 * Writes `content` to a fresh temporary CSV file and imports it as list "wave 1" with --country PL,
 * validating rows inline unless the test asks for the worker.
 */
export function importCsv(env: TestEnv, content: string | Buffer, overrides: ImportOverrides = {}): Promise<ImportSummary> {
  const file = writeTempFile('contacts.csv', content);
  return importList({ sink: new SqliteImportSink(env.database), clock: env.clock, logger: env.logger, file, name: 'wave 1', country: 'PL', parallel: false, ...overrides });
}

/** The AppError a promise rejects with; fails the test when it resolves or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

export function countRows(env: TestEnv, table: 'lists' | 'contacts' | 'suppressions' | 'clients'): number {
  return env.database.sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

export interface StoredContact {
  row: number;
  phone: string;
  country: string | null;
  name: string | null;
  language: string | null;
  timezone: string | null;
  attributes: Record<string, string>;
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
}

/** The contacts of a list as stored, in file order, with attributes parsed. */
export function storedContacts(env: TestEnv, listId: number | null): StoredContact[] {
  const rows = env.database.sqlite
    .prepare(
      `SELECT row_number AS row, phone_e164 AS phone, country, name, language, timezone, attributes, status, attempts, next_attempt_at AS nextAttemptAt
       FROM contacts WHERE list_id = ? ORDER BY row_number`,
    )
    .all(listId) as (Omit<StoredContact, 'attributes'> & { attributes: string })[];
  return rows.map((r) => ({ ...r, attributes: JSON.parse(r.attributes) as Record<string, string> }));
}
