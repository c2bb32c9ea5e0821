import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { systemClock } from '../../src/clock/index.js';
import { resolveFromRoot } from '../../src/config/index.js';
import { importList, SqliteImportSink } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { EXIT_CODE, toCliError } from '../../src/errors/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { runCli, spawnCli } from '../support/cli.js';
import { tempDir } from '../support/factories.js';

/**
 * An operator's ordinary mistake (a value over a setting's limit, a folder where a file belongs, a
 * folder that does not exist) is a usage error: exit 2 and one line that names the value and what
 * is accepted, never "internal error" and a stack trace.
 */
describe('ordinary mistakes on the command line', () => {
  const dir = tempDir('nps-mistakes-');
  const databasePath = path.join(dir, 'nps.db');
  const folder = path.join(dir, 'a-folder');
  mkdirSync(folder);

  it.concurrent.each([
    [['run', '1', '--cps', '100000'], "--cps must be at most 1000, got '100000'"],
    [['run', '1', '--cps', '1e9'], "--cps must be at most 1000, got '1e9'"],
    [['lists', 'set', '3', '--cps', '100000'], "--cps must be at most 1000, got '100000'"],
    [['lists', 'set', '3', '--max-attempts', '50'], "--max-attempts must be at most 20, got '50'"],
    [['lists', 'set', '3', '--question', 'Why?'], "--question must be at least 10 characters, got 'Why?'"],
    [['lists', 'set', '3', '--case-deadline', '1000d'], "--case-deadline must be at most 8760 hours (365d), got '1000d'"],
    [['lists', 'set', '3', '--retry-delay', '9999d'], "--retry-delay must be at most 2592000 s (30d), got '9999d'"],
    [['demo', '--cps', '100000'], "--cps must be at most 1000, got '100000'"],
    [['report', '3', '--format', 'html', '--out', '/nonexistent/dir/x.html'], "--out '/nonexistent/dir/x.html': the folder /nonexistent/dir does not exist"],
    [['report', '3', '--out', folder], `--out '${folder}' is a folder; give a file name`],
    [['lists', 'import', folder, '--name', 'd'], `<file> '${folder}' is a folder; give the path of a file`],
    [['dnc', 'import', folder], `<file> '${folder}' is a folder; give the path of a file`],
    [['demo', '--contacts', path.join(dir, 'missing.csv')], `--contacts '${path.join(dir, 'missing.csv')}' does not exist`],
  ])('%j exits 2 with one line naming the value and what is accepted', async (args, message) => {
    const result = await runCli(args, databasePath);
    expect(result.exitCode).toBe(2);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(result.stderr).not.toContain('internal error');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('demo --dir refuses a folder with files it did not make, because it empties its folder', async () => {
    const project = path.join(dir, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), '{}');
    const result = await runCli(['demo', '--dir', project], databasePath);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--dir '${project}' holds files the demo did not make`);
  });
});

describe('output into a pipe', () => {
  it('ends quietly when the reader stops early (`lists plan 1 | head -1`), with no EPIPE trace', async () => {
    const dir = tempDir('nps-pipe-');
    const databasePath = path.join(dir, 'nps.db');
    const database = openDatabase({ path: databasePath });
    const { listId } = await importList({ sink: new SqliteImportSink(database), clock: systemClock, logger: createSilentLogger(), file: resolveFromRoot('data/sample-contacts.csv'), name: 'pipe', country: 'PL' });
    database.close();
    const child = spawnCli(['lists', 'plan', String(listId!)], databasePath);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // The reader closes its end before the plan is printed, as `head -1` does after one line.
    child.stdout!.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('toCliError: the net under the flag checks', () => {
  it('turns a file-system error on a path into a usage error naming the path', () => {
    const error = Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: 'EISDIR', path: '/srv/lists', syscall: 'read' });
    const mapped = toCliError(error);
    expect(mapped.code).toBe('USAGE');
    expect(EXIT_CODE[mapped.code]).toBe(2);
    expect(mapped.userMessage).toBe("'/srv/lists' is a folder; give the path of a file (read failed with EISDIR)");
    expect(toCliError(Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: '/nonexistent/dir/x.html', syscall: 'open' })).userMessage).toBe(
      "'/nonexistent/dir/x.html' does not exist (open failed with ENOENT)",
    );
  });

  it('turns a value a domain schema refused into a usage error naming the field', () => {
    const refused = z.object({ cps: z.number().max(1000) }).safeParse({ cps: 100_000 });
    const mapped = toCliError(refused.error);
    expect(mapped.code).toBe('USAGE');
    expect(mapped.userMessage).toMatch(/^invalid value: cps: .*1000/);
  });

  it('leaves anything else an internal error with a masked message', () => {
    const mapped = toCliError(new TypeError('x is undefined'));
    expect(mapped.code).toBe('INTERNAL');
    expect(mapped.userMessage).toBe('internal error; see the log for details');
    expect(toCliError(Object.assign(new Error('socket'), { code: 'ECONNRESET' })).code).toBe('INTERNAL');
  });
});
