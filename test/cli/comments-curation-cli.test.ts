import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { openDatabase } from '../../src/db/index.js';
import { runCli } from '../support/cli.js';
import { tempDir, writeTempFile } from '../support/factories.js';
import { openCases, seedClient, seedList, START } from '../support/reports.js';

const WORDS = ['Far too expensive for me', 'Nowhere to park the car', 'Lovely staff'];

/** A database file with Acme's list of three comments, their cases open. */
async function seed() {
  const databasePath = path.join(tempDir(), 'nps.db');
  const database = openDatabase({ path: databasePath });
  const { clientId } = await seedClient(database, new ManualClock(START), 'Acme');
  const { listId } = seedList(database, {
    clientId,
    contacts: [
      { score: 2, text: { text: WORDS[0]!, themes: ['price'] }, reason: 'price' },
      { score: 3, text: { text: WORDS[1]!, themes: ['other'] } },
      { score: 10, text: { text: WORDS[2]!, themes: ['service'] } },
    ],
  });
  const rows = database.sqlite.prepare('SELECT id, contact_id AS contactId, call_id AS callId, score, created_at AS at FROM responses ORDER BY id').all() as {
    id: number;
    contactId: number;
    callId: number;
    score: number;
    at: number;
  }[];
  await openCases(database, listId);
  database.close();
  return { databasePath, clientId, listId, ids: rows.map((r) => r.id) };
}

// Every run logs at debug level: the words of the comments must appear in no log line (stderr).
const DEBUG = { LOG_LEVEL: 'debug' };

describe('nps-dialer comments: corrections, lists and re-classification', () => {
  it('sets a client taxonomy, corrects, lists, re-classifies and filters cases by theme, never logging the words', async () => {
    const { databasePath, clientId, listId, ids } = await seed();
    const stderr: string[] = [];
    const run = async (args: string[]) => {
      const result = await runCli(args, databasePath, DEBUG);
      stderr.push(result.stderr);
      return result;
    };

    const corrected = await run(['comments', 'set-themes', String(ids[0]), '--themes', 'quality,price', '--sentiment', 'negative']);
    expect(corrected.exitCode).toBe(0);
    expect(corrected.stdout).toMatch(/^Comment \d+: themes price, quality \(manual\), sentiment negative \(manual\); correction \d+ recorded\.\n$/);

    const parking = writeTempFile('parking.json', JSON.stringify({ themes: [{ id: 'parking', label: { 'en-US': 'Parking' }, phrases: { 'en-US': ['park'] } }] }));
    const set = await run(['clients', 'set', String(clientId), '--taxonomy', parking]);
    expect(set.exitCode).toBe(0);
    expect(set.stdout).toContain("taxonomy     the client's own (themes parking)");

    const reclassified = await run(['comments', 'reclassify', String(listId)]);
    expect(reclassified.stdout).toBe(`List ${listId}: classified 2, kept manual 1, changed 2.\n`);

    const listed = await run(['comments', 'list', String(listId), '--theme', 'parking', '--category', 'detractor', '--json']);
    const comments = JSON.parse(listed.stdout) as { responseId: number; themes: string[]; text: string; phone: string }[];
    expect(comments.map((c) => [c.responseId, c.themes, c.text])).toEqual([[ids[1], ['parking'], WORDS[1]]]);
    expect(comments[0]!.phone).toMatch(/\*+\d{3}$/);

    const cases = await run(['cases', 'list', '--theme', 'quality', '--json']);
    expect((JSON.parse(cases.stdout) as { responseId: number; reason: string }[]).map((c) => [c.responseId, c.reason])).toEqual([[ids[0], 'price']]);

    const back = await run(['clients', 'show', String(clientId), '--json']);
    expect((JSON.parse(back.stdout) as { taxonomy: unknown }).taxonomy).toEqual({ clientId, kind: 'custom', themes: ['parking'] });

    const log = stderr.join('');
    expect(log).toContain('comment themes corrected');
    for (const words of WORDS) expect(log).not.toContain(words);
  });

  it('refuses a bad taxonomy naming the file, a theme outside it naming the accepted ids, and changes nothing', async () => {
    const { databasePath, clientId, ids } = await seed();
    const bad = writeTempFile('bad.json', JSON.stringify({ themes: [{ id: 'price', label: { 'pl-PL': 'Cena' }, phrases: { 'pl-PL': ['c*ena'] } }] }));
    const refused = await runCli(['clients', 'set', String(clientId), '--taxonomy', bad], databasePath);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`error: --taxonomy ${bad} is not a valid taxonomy: theme 'price' phrases pl-PL #1`);
    const unknown = await runCli(['comments', 'set-themes', String(ids[0]), '--themes', 'parking'], databasePath);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain("themes: 'parking' is not a theme of this client's taxonomy; accepted: price, quality, service, speed, billing, other");
  });
});
