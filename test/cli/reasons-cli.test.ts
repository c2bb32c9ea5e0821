import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/clock/index.js';
import { createList, showList, SqliteListStore } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/factories.js';

// The real CLI, one child process per assertion that needs it (about a second each).

async function withDatabase<T>(databasePath: string, use: (database: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const database = openDatabase({ path: databasePath });
  try {
    return await use(database);
  } finally {
    database.close();
  }
}

describe('lists set --reasons', () => {
  it('turns the question on with the built-in choices, takes a file of own choices, and turns it off keeping them', async () => {
    const dir = tempDir();
    const databasePath = path.join(dir, 'nps.db');
    const listId = await withDatabase(databasePath, async (database) => (await createList({ lists: new SqliteListStore(database), clock: systemClock, input: { name: 'shop' } })).id);

    const on = await runCli(['lists', 'set', String(listId), '--reasons', 'on'], databasePath);
    expect(on.exitCode).toBe(0);
    expect(on.stdout).toContain('reasons    asked: 1 price (price), 2 quality (product quality), 3 service (staff and service), 4 speed (speed or delivery), 5 billing (billing or errors), 6 other (something else); built-in choices in en-US, pl-PL, ru-RU, bg-BG; built-in question');

    const file = path.join(dir, 'reasons.json');
    writeFileSync(file, JSON.stringify({ choices: [{ key: 'price', label: { 'pl-PL': 'ceny' } }, { key: 'delivery', label: { 'pl-PL': 'dostawa' } }], question: { 'pl-PL': 'Co zdecydowało o ocenie?' } }));
    expect((await runCli(['lists', 'set', String(listId), '--reasons-file', file], databasePath)).exitCode).toBe(0);
    expect((await runCli(['lists', 'set', String(listId), '--reasons', 'off'], databasePath)).exitCode).toBe(0);
    const show = await runCli(['lists', 'show', String(listId)], databasePath);
    expect(show.stdout).toContain('reasons      not asked (off): 1 price (ceny), 2 delivery (dostawa); own choices in pl-PL; own question in pl-PL');
    await withDatabase(databasePath, async (database) =>
      expect((await showList({ lists: new SqliteListStore(database), listId })).script.reasons).toEqual({
        enabled: false,
        choices: [{ key: 'price', label: { 'pl-PL': 'ceny' } }, { key: 'delivery', label: { 'pl-PL': 'dostawa' } }],
        question: { 'pl-PL': 'Co zdecydowało o ocenie?' },
      }),
    );
  });

  it('refuses a bad file naming the choice, the language and what is accepted, and saves nothing', async () => {
    const dir = tempDir();
    const databasePath = path.join(dir, 'nps.db');
    const listId = await withDatabase(databasePath, async (database) => (await createList({ lists: new SqliteListStore(database), clock: systemClock, input: { name: 'shop' } })).id);
    const file = path.join(dir, 'reasons.json');
    writeFileSync(file, JSON.stringify([{ key: 'price', label: { 'en-US': 'price', 'pl-PL': 'cena' } }, { key: 'staff', label: { 'en-US': 'staff', 'pl-PL': '', 'xx-XX': 'x' } }]));
    const result = await runCli(['lists', 'set', String(listId), '--reasons-file', file], databasePath);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--reasons-file '${file}': reason choice 2 ('staff'), label in pl-PL must be 1 to 80 characters, got 0; reason choice 2 ('staff'), label: language 'xx-XX' is not a built-in survey language; use en-US, pl-PL, ru-RU, bg-BG`);
    await withDatabase(databasePath, async (database) => expect((await showList({ lists: new SqliteListStore(database), listId })).script.reasons).toBeUndefined());
  });
});

describe('lists set --comment', () => {
  it('switches a list to spoken comments and back, says so, and refuses an unknown mode naming the accepted ones', async () => {
    const dir = tempDir();
    const databasePath = path.join(dir, 'nps.db');
    const listId = await withDatabase(databasePath, async (database) => (await createList({ lists: new SqliteListStore(database), clock: systemClock, input: { name: 'shop' } })).id);
    const speech = await runCli(['lists', 'set', String(listId), '--comment', 'speech'], databasePath);
    expect(speech.exitCode).toBe(0);
    expect(speech.stdout).toContain("comments   spoken: the provider's speech recognition in the callee's language");
    await withDatabase(databasePath, async (database) => expect((await showList({ lists: new SqliteListStore(database), listId })).script.comment).toBe('speech'));

    const bad = await runCli(['lists', 'set', String(listId), '--comment', 'voicemail'], databasePath);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--comment <mode>.*'voicemail' is invalid.*recording, speech/s);
    await withDatabase(databasePath, async (database) => expect((await showList({ lists: new SqliteListStore(database), listId })).script.comment).toBe('speech'));

    expect((await runCli(['lists', 'set', String(listId), '--comment', 'recording'], databasePath)).exitCode).toBe(0);
    const show = await runCli(['lists', 'show', String(listId)], databasePath);
    expect(show.stdout).toContain('comments     recorded: the provider transcribes it');
  });
});
