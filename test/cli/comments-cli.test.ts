import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../support/cli.js';
import { tempDir, writeTempFile } from '../support/factories.js';

// `comments classify` runs the real CLI; each run costs about a second of tsx compilation.
const COMMENTS = ['Za drogo, po prostu za drogo.', '', 'obsluga w salonie bardzo sympatyczna', 'Nie wiem, trudno powiedzieć.'].join('\n') + '\n';

describe('nps-dialer comments classify', () => {
  it('prints one JSON object per input line, blank lines included, and touches no database', async () => {
    const databasePath = path.join(tempDir(), 'nps.db');
    const result = await runCli(['comments', 'classify', writeTempFile('comments.txt', COMMENTS), '--language', 'pl-PL'], databasePath);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { line: number; themes: { id: string; label: string; evidence: string[] }[]; sentiment: { label: string } });
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    expect(lines.map((l) => l.themes)).toEqual([
      [{ id: 'price', label: 'Cena', evidence: ['drogo'] }],
      [],
      [{ id: 'service', label: 'Obsługa i personel', evidence: ['obsluga'] }],
      [{ id: 'other', label: 'Inne', evidence: [] }],
    ]);
    expect(lines.map((l) => l.sentiment.label)).toEqual(['negative', 'neutral', 'positive', 'neutral']);
    expect(existsSync(databasePath)).toBe(false);
  });

  it("--json with a client's taxonomy prints one document with the count per theme", async () => {
    const taxonomy = writeTempFile('taxonomy.json', JSON.stringify({ themes: [{ id: 'cost', label: { 'pl-PL': 'Koszt' }, phrases: { 'pl-PL': ['drog*o', 'cen*a'] } }] }));
    const result = await runCli(['comments', 'classify', writeTempFile('comments.txt', COMMENTS), '--language', 'pl-PL', '--taxonomy', taxonomy, '--json'], path.join(tempDir(), 'nps.db'));
    expect(result.exitCode).toBe(0);
    const document = JSON.parse(result.stdout) as { comments: unknown[]; counts: Record<string, number>; blank: number };
    expect(document.comments).toHaveLength(4);
    expect(document.counts).toEqual({ cost: 1, other: 2 });
    expect(document.blank).toBe(1);
  });

  it('refuses a bad taxonomy with one line naming the theme, language and phrase, and exit code 2', async () => {
    const taxonomy = writeTempFile('taxonomy.json', JSON.stringify({ themes: [{ id: 'price', label: { 'pl-PL': 'Cena' }, phrases: { 'pl-PL': ['cena', 'c*ena'] } }] }));
    const result = await runCli(['comments', 'classify', writeTempFile('comments.txt', COMMENTS), '--language', 'pl-PL', '--taxonomy', taxonomy], path.join(tempDir(), 'nps.db'));
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: --taxonomy ${taxonomy} is not a valid taxonomy: theme 'price' phrases pl-PL #2: 'c*ena' in 'c*ena' has 1 letter(s) before the star; at least 3 are needed, or it would match too many words\n`,
    );
  });

  it('refuses a language outside the survey languages with exit code 2', async () => {
    const result = await runCli(['comments', 'classify', writeTempFile('comments.txt', COMMENTS), '--language', 'de-DE'], path.join(tempDir(), 'nps.db'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("argument 'de-DE' is invalid. Allowed choices are en-US, pl-PL, ru-RU, bg-BG");
  });
});
