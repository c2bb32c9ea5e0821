import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock/index.js';
import { isAppError, type AppError } from '../../src/errors/index.js';
import { openMemoryDatabase, type AppDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'nps-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes a file into a fresh temporary directory and returns its path. */
export function writeTempFile(name: string, content: string | Buffer): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, content);
  return file;
}

export interface TestEnv {
  database: AppDatabase;
  clock: ManualClock;
  logger: ReturnType<typeof createSilentLogger>;
}

/** Each test gets its own migrated in-memory database and a manual clock. */
export function testEnv(start = Date.UTC(2026, 0, 5, 10, 0, 0)): TestEnv {
  return { database: openMemoryDatabase(), clock: new ManualClock(start), logger: createSilentLogger() };
}

/** The AppError `fn` throws (fails the test when it throws nothing or something else). */
export function thrownAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** The AppError `promise` rejects with (fails the test when it resolves or rejects with something else). */
export async function rejectedAppError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}
