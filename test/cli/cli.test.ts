import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/clock/index.js';
import { resolveFromRoot } from '../../src/config/index.js';
import { addClient, addSuppressions, importList, listSuppressions, SqliteClientStore, SqliteImportSink, SqliteSuppressionStore, changeListSettings, SqliteListStore } from '../../src/contacts/index.js';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/factories.js';

// End-to-end runs of the real CLI. Each child process costs about a second, so every test sets up
// its data in-process against the same database file and runs the CLI only for what it asserts.

const SAMPLE = resolveFromRoot('data/sample-contacts.csv');

function freshDatabasePath(): string {
  return path.join(tempDir(), 'nps.db');
}

/** Opens the CLI's database file in-process, runs `use` and closes it again before the CLI runs. */
async function withDatabase<T>(databasePath: string, use: (database: AppDatabase) => T | Promise<T>): Promise<T> {
  const database = openDatabase({ path: databasePath });
  try {
    return await use(database);
  } finally {
    database.close();
  }
}

function importSample(database: AppDatabase, extra: { clientId?: number } = {}) {
  return importList({ sink: new SqliteImportSink(database), clock: systemClock, logger: createSilentLogger(), file: SAMPLE, name: 'demo', country: 'PL', ...extra });
}

const count = (database: AppDatabase, table: string) => database.sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('nps-dialer lists import', () => {
  it('imports the sample file and prints exactly one JSON summary', async () => {
    const databasePath = freshDatabasePath();
    const result = await runCli(['lists', 'import', SAMPLE, '--name', 'demo', '--country', 'PL', '--json'], databasePath);
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(summary).slice(0, 6)).toEqual(['listId', 'imported', 'duplicates', 'suppressed', 'rejected', 'rejectedCount']);
    expect(summary).toMatchObject({ listId: 1, rows: 305, imported: 300, duplicates: 2, suppressed: 0, rejectedCount: 3 });
    expect(summary.rejected).toEqual([
      { row: 304, field: 'phone', value: '12345', reason: expect.stringContaining('is too short for PL') },
      { row: 305, field: 'phone', value: 'n/a', reason: expect.stringContaining('is not a phone number') },
      { row: 306, field: 'phone', value: '+48 501 234 56', reason: expect.stringContaining('is not a number in use in PL') },
    ]);
    await withDatabase(databasePath, (database) => {
      expect(database.sqlite.prepare(`SELECT count(*) FROM contacts WHERE list_id = 1 AND status = 'pending'`).pluck().get()).toBe(300);
    });
  });

  it('--dry-run --json reports the same figures and writes nothing, not even the database file', async () => {
    const databasePath = freshDatabasePath();
    const result = await runCli(['lists', 'import', SAMPLE, '--name', 'demo', '--country', 'PL', '--dry-run', '--json'], databasePath);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ listId: null, dryRun: true, imported: 300, duplicates: 2, rejectedCount: 3 });
    expect(existsSync(databasePath)).toBe(false);
  });

  it('--dry-run counts numbers on the do-not-call list and leaves an existing database unchanged', async () => {
    const databasePath = freshDatabasePath();
    await withDatabase(databasePath, (database) => addSuppressions({ suppressions: new SqliteSuppressionStore(database), clock: systemClock, numbers: ['+48889693660'], source: 'operator' }));
    const result = await runCli(['lists', 'import', SAMPLE, '--name', 'demo', '--country', 'PL', '--dry-run'], databasePath);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Dry run of "demo": nothing was written.');
    expect(result.stdout).toContain('suppressed   1');
    await withDatabase(databasePath, (database) => {
      expect([count(database, 'lists'), count(database, 'contacts'), count(database, 'suppressions')]).toEqual([0, 0, 1]);
    });
  });

  it('refuses a second list with the same name: exit 5 and a message naming the existing list', async () => {
    const databasePath = freshDatabasePath();
    const first = await withDatabase(databasePath, (database) => importSample(database));
    const result = await runCli(['lists', 'import', SAMPLE, '--name', 'demo', '--country', 'PL'], databasePath);
    expect(result.exitCode).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: a list named "demo" already exists (list ${first.listId}); choose another --name\n`);
    await withDatabase(databasePath, (database) => expect(count(database, 'lists')).toBe(1));
  });

  it('refuses a bad --country with exit 2, naming the value, as JSON on stdout under --json', async () => {
    const databasePath = freshDatabasePath();
    const result = await runCli(['lists', 'import', SAMPLE, '--name', 'demo', '--country', 'XX', '--json'], databasePath);
    expect(result.exitCode).toBe(2);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain("'XX' is not an ISO 3166 alpha-2 country code");
    expect(result.stderr).toContain("'XX' is not an ISO 3166 alpha-2 country code");
    expect(existsSync(databasePath)).toBe(false);
  });
});

describe('nps-dialer lists and lists show', () => {
  it('lists every list with its counts, and shows one as JSON', async () => {
    const databasePath = freshDatabasePath();
    const summary = await withDatabase(databasePath, async (database) => {
      const { client } = await addClient({ clients: new SqliteClientStore(database), clock: systemClock, name: 'Acme' });
      await addSuppressions({ suppressions: new SqliteSuppressionStore(database), clock: systemClock, numbers: ['+48889693660'], source: 'operator' });
      return importSample(database, { clientId: client.id });
    });

    const listed = await runCli(['lists'], databasePath);
    expect(listed.exitCode).toBe(0);
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'CLIENT', 'CONTACTS', 'PENDING', 'DIALING', 'RESPONDED', 'OTHER FINAL', 'STATE']);
    expect(row!.trim().split(/\s{2,}/)).toEqual([String(summary.listId), 'demo', 'Acme', '300', '299', '0', '0', '1', 'open']);
    expect(rest).toEqual([]);

    const shown = await runCli(['lists', 'show', String(summary.listId), '--json'], databasePath);
    expect(shown.exitCode).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: summary.listId,
      name: 'demo',
      clientName: 'Acme',
      contacts: 300,
      byStatus: { pending: 299, suppressed: 1 },
      sourceFile: 'sample-contacts.csv',
      defaultCountry: 'PL',
      attributes: ['agent', 'customer_since', 'region', 'segment'],
    });

    // A list that sets nothing of its own says so, rather than printing {}.
    const text = await runCli(['lists', 'show', String(summary.listId)], databasePath);
    expect(text.stdout).toContain('  policy       defaults (none set on the list)\n');
    expect(text.stdout).not.toContain('{}');
  });

  it("lists show says what part of the account's pace the list gets, alone and beside the other lists with open contacts", async () => {
    const databasePath = freshDatabasePath();
    const [slow, fast] = await withDatabase(databasePath, async (database) => {
      const ids = [(await importSample(database)).listId!, (await importList({ sink: new SqliteImportSink(database), clock: systemClock, logger: createSilentLogger(), file: SAMPLE, name: 'wave 2', country: 'PL' })).listId!];
      await changeListSettings({ lists: new SqliteListStore(database), listId: ids[0]!, patch: { policy: { cps: 1 } } });
      await changeListSettings({ lists: new SqliteListStore(database), listId: ids[1]!, patch: { policy: { cps: 5 } } });
      return ids;
    });

    const json = await runCli(['lists', 'show', String(fast), '--json'], databasePath, { VONAGE_ACCOUNT_CPS: '3' });
    expect(json.exitCode).toBe(0);
    // The slow list takes its 1 call/s; the fast one the account's other 2, not its own 5.
    expect((JSON.parse(json.stdout) as { pace: unknown }).pace).toEqual({
      ceilingCps: 5,
      accountCps: 3,
      aloneCps: 3,
      sharedCps: 2,
      openLists: [
        { listId: fast, name: 'wave 2', ceilingCps: 5, sharedCps: 2 },
        { listId: slow, name: 'demo', ceilingCps: 1, sharedCps: 1 },
      ],
    });
    const text = await runCli(['lists', 'show', String(slow)], databasePath, { VONAGE_ACCOUNT_CPS: '3' });
    expect(text.stdout).toContain(
      `  pace         at most 1 calls/s (its cps) of the account's 3 calls/s (VONAGE_ACCOUNT_CPS): 1 calls/s alone, 1 calls/s while the 2 lists with open contacts dial at once (taking turns; ${fast} at 2 calls/s)\n`,
    );
  });

  it('lists set --calling-hours re-plans the contacts already parked under the old hours: due at once when the new hours are open', async () => {
    const databasePath = freshDatabasePath();
    const parkedUntil = Date.now() + 5 * 3600_000;
    const listId = await withDatabase(databasePath, async (database) => {
      const id = (await importSample(database)).listId!;
      await changeListSettings({ lists: new SqliteListStore(database), listId: id, patch: { policy: { callingHours: '20:00-21:00' } } });
      // As a run outside those hours leaves them: parked at the next opening.
      database.sqlite.prepare(`UPDATE contacts SET next_attempt_at = ? WHERE list_id = ? AND status = 'pending'`).run(parkedUntil, id);
      return id;
    });

    const set = await runCli(['lists', 'set', String(listId), '--calling-hours', '00:00-24:00', '--json'], databasePath);
    expect(set.exitCode).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ listId, policy: { callingHours: '00:00-24:00' }, replanned: 300 });
    await withDatabase(databasePath, (database) => {
      const latest = database.sqlite.prepare(`SELECT max(next_attempt_at) FROM contacts WHERE list_id = ? AND status = 'pending'`).pluck().get(listId) as number;
      expect(latest).toBeLessThan(parkedUntil - 4 * 3600_000);
    });
  });

  it('lists show of an unknown list exits 4 with the error as JSON on stdout', async () => {
    const result = await runCli(['lists', 'show', '99', '--json'], freshDatabasePath());
    expect(result.exitCode).toBe(4);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: 'list 99 does not exist; see `nps-dialer lists`' } });
  });
});

describe('nps-dialer dnc', () => {
  it('adds, lists and removes numbers; an invalid number exits 3 with its reason', async () => {
    const databasePath = freshDatabasePath();
    const added = await runCli(['dnc', 'add', '501 234 567', '0048601234567', '12', '--country', 'PL', '--reason', 'asked', '--json'], databasePath);
    expect(added.exitCode).toBe(3);
    expect(JSON.parse(added.stdout)).toEqual({
      added: 2,
      already: 0,
      invalid: [{ value: '12', outcome: 'invalid', reason: 'is too short for PL' }],
      contactsSuppressed: 0,
    });

    const listed = await runCli(['dnc', 'list', '--json'], databasePath);
    expect(listed.exitCode).toBe(0);
    expect((JSON.parse(listed.stdout) as { phoneE164: string; source: string; reason: string }[]).map((e) => [e.phoneE164, e.source, e.reason])).toEqual([
      ['+48501234567', 'operator', 'asked'],
      ['+48601234567', 'operator', 'asked'],
    ]);

    const removed = await runCli(['dnc', 'remove', '+48501234567'], databasePath);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toBe('Removed +48501234567 from the do-not-call list.\n');
    await withDatabase(databasePath, async (database) => expect((await listSuppressions({ suppressions: new SqliteSuppressionStore(database) })).map((e) => e.phoneE164)).toEqual(['+48601234567']));
  });
});
