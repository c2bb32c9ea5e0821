import { describe, expect, it } from '@jest/globals';
import { addSuppressions, isSuppressed, listSuppressions, readNumbersFile, removeSuppression, SqliteSuppressionStore } from '../../src/contacts/index.js';
import { testEnv, writeTempFile, type TestEnv } from '../support/factories.js';
import { importCsv, storedContacts } from '../support/imports.js';

function suppress(env: TestEnv, numbers: string[], extra: { country?: 'PL'; reason?: string } = {}) {
  return addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers, source: 'operator', ...extra });
}

describe('addSuppressions', () => {
  it('adds valid numbers in E.164, reports numbers already listed and rejects invalid ones with a reason', async () => {
    const env = testEnv();
    await suppress(env, ['+48501234567']);
    const summary = await suppress(env, ['0048 501 234 567', '601 234 567', '+48601234567', '12345', 'n/a'], { country: 'PL', reason: 'asked on the phone' });
    expect(summary).toEqual({
      added: 1,
      already: 2,
      invalid: [
        { value: '12345', outcome: 'invalid', reason: 'is too short for PL' },
        { value: 'n/a', outcome: 'invalid', reason: 'is not a phone number' },
      ],
      contactsSuppressed: 0,
    });
    expect(await listSuppressions({ suppressions: new SqliteSuppressionStore(env.database) })).toEqual([
      { phoneE164: '+48501234567', source: 'operator', reason: null, createdAt: env.clock.now() },
      { phoneE164: '+48601234567', source: 'operator', reason: 'asked on the phone', createdAt: env.clock.now() },
    ]);
    expect(isSuppressed(env.database, '+48601234567')).toBe(true);
    expect(isSuppressed(env.database, '+48701234567')).toBe(false);
  });

  it('refuses a national number without a country', async () => {
    const env = testEnv();
    expect((await suppress(env, ['501 234 567'])).invalid).toEqual([
      { value: '501 234 567', outcome: 'invalid', reason: expect.stringContaining('--country') },
    ]);
  });

  it('suppresses waiting contacts of the number in every list and leaves contacts in a final state untouched', async () => {
    const env = testEnv();
    const a = await importCsv(env, 'phone\n501234567\n601234567\n', { name: 'a' });
    const b = await importCsv(env, 'phone\n501234567\n', { name: 'b' });
    // Contact 601… of list a has already answered the survey.
    env.database.sqlite.prepare(`UPDATE contacts SET status = 'responded', next_attempt_at = NULL WHERE phone_e164 = '+48601234567'`).run();
    env.clock.advance(60_000);

    const summary = await suppress(env, ['+48501234567', '+48601234567']);
    expect(summary.contactsSuppressed).toBe(2);
    expect(storedContacts(env, a.listId).map((c) => [c.phone, c.status, c.nextAttemptAt])).toEqual([
      ['+48501234567', 'suppressed', null],
      ['+48601234567', 'responded', null],
    ]);
    expect(storedContacts(env, b.listId).map((c) => c.status)).toEqual(['suppressed']);
  });
});

describe('removeSuppression', () => {
  it('takes a number off the list, whatever way it is written', async () => {
    const env = testEnv();
    await suppress(env, ['+48501234567']);
    expect(await removeSuppression({ suppressions: new SqliteSuppressionStore(env.database), number: '501 234 567', country: 'PL' })).toEqual({ e164: '+48501234567' });
    expect(await listSuppressions({ suppressions: new SqliteSuppressionStore(env.database) })).toEqual([]);
  });

  it('refuses a number that is not on the list with NOT_FOUND', async () => {
    const env = testEnv();
    await expect(removeSuppression({ suppressions: new SqliteSuppressionStore(env.database), number: '+48501234567' })).rejects.toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: '+48501234567 is not on the do-not-call list' }),
    );
  });

  it('refuses an invalid number with INPUT_INVALID and the reason', async () => {
    const env = testEnv();
    await expect(removeSuppression({ suppressions: new SqliteSuppressionStore(env.database), number: '12345', country: 'PL' })).rejects.toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', message: "'12345' is too short for PL" }),
    );
  });
});

describe('readNumbersFile', () => {
  it('reads the phone column of a CSV file, whatever its position', async () => {
    const file = writeTempFile('dnc.csv', 'name;Mobile;reason\nAnna;+48501234567;asked\nJan; 601 234 567 ;\n;;\n');
    expect(await readNumbersFile(file)).toEqual(['+48501234567', '601 234 567']);
  });

  it('reads a plain list of one number a line, the first line included and blank lines skipped', async () => {
    const file = writeTempFile('dnc.txt', '\uFEFF+48501234567\n\n0048 601 234 567\r\n701234567\n');
    expect(await readNumbersFile(file)).toEqual(['+48501234567', '0048 601 234 567', '701234567']);
  });
});
