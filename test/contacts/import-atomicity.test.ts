import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { listLists, removeAbandonedImports, showList, SqliteListStore, type ImportProgress } from '../../src/contacts/index.js';
import { openDatabase } from '../../src/db/index.js';
import { exited, runCli, spawnCli } from '../support/cli.js';
import { contactLines, contactsCsv } from '../support/csv.js';
import { tempDir, testEnv, writeTempFile, type TestEnv } from '../support/factories.js';
import { countRows, importCsv, rejection } from '../support/imports.js';

/** The importer commits every 20,000 accepted rows (WRITE_BATCH_ROWS); these files need several commits. */
const SEVERAL_BATCHES = 30_000;

/** Records each progress report with the number of contacts already committed at that moment. */
function progressRecorder(env: TestEnv) {
  const reports: (ImportProgress & { committed: number })[] = [];
  const onProgress = (progress: ImportProgress) => reports.push({ ...progress, committed: countRows(env, 'contacts') });
  return { reports, onProgress };
}

// CLI children and their 9 MB files; a failed test must not leave either behind.
const children: ChildProcess[] = [];
const bigDirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await exited(child);
  }
  for (const dir of bigDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('an interrupted import leaves no list', () => {
  it('deletes the batches it already committed when aborted (Ctrl-C) after the first batch', async () => {
    const env = testEnv();
    const abort = new AbortController();
    const { reports, onProgress } = progressRecorder(env);
    const error = await rejection(
      importCsv(env, contactsCsv(SEVERAL_BATCHES), {
        signal: abort.signal,
        onProgress: (progress) => {
          onProgress(progress);
          abort.abort();
        },
      }),
    );
    expect(error.code).toBe('INTERRUPTED');
    expect(error.message).toBe('import interrupted; nothing was imported');
    // The abort came after a batch had been committed, so there was something to take back.
    expect(reports[0]!.committed).toBeGreaterThanOrEqual(20_000);
    expect(reports[0]!.committed).toBeLessThan(SEVERAL_BATCHES);
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });

  it('deletes the committed batches when the file turns out not to be UTF-8 near its end, and names the exact byte', async () => {
    const env = testEnv();
    // The file is read in 256 KiB chunks. A two-byte "ż" straddles the boundary of a chunk near
    // the end, and the bad byte follows it in that chunk: the decoder is mid-character when the
    // chunk starts, which the reported offset must account for.
    const boundary = 8 * 256 * 1024;
    const head: string[] = ['phone,name'];
    let bytes = Buffer.byteLength('phone,name\n');
    let i = 0;
    for (; bytes < boundary - 100; i++) {
      const [line] = contactLines(i, i + 1);
      head.push(line!);
      bytes += Buffer.byteLength(`${line}\n`);
    }
    const rowStart = `${contactLines(i, i + 1)[0]!.split(',')[0]},`;
    const padding = 'a'.repeat(boundary - 1 - bytes - Buffer.byteLength(rowStart));
    const content = Buffer.concat([
      Buffer.from(`${head.join('\n')}\n${rowStart}${padding}żb`),
      Buffer.from([0xff]),
      Buffer.from(`c\n${contactLines(i + 1, i + 1_000).join('\n')}\n`),
    ]);
    expect(content.subarray(boundary - 1, boundary + 1).toString()).toBe('ż');

    const { reports, onProgress } = progressRecorder(env);
    const error = await rejection(importCsv(env, content, { onProgress }));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`not valid UTF-8: byte ${boundary + 2} (0xff) is not part of a UTF-8 character`);
    expect(error.details).toMatchObject({ byteOffset: boundary + 2 });
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]!.committed).toBeGreaterThan(0);
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });

  it('hides a list another live process is still importing, and does not remove it', async () => {
    const env = testEnv();
    const ready = await importCsv(env, contactsCsv(2), { name: 'ready' });
    env.database.sqlite
      .prepare(`INSERT INTO lists (name, state, import_pid, created_at) VALUES ('in progress', 'importing', ?, 0)`)
      .run(process.pid);
    const importing = env.database.sqlite.prepare(`SELECT id FROM lists WHERE state = 'importing'`).pluck().get() as number;

    const lists = new SqliteListStore(env.database);
    expect((await listLists({ lists })).map((l) => l.id)).toEqual([ready.listId]);
    await expect(showList({ lists, listId: importing })).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await expect(removeAbandonedImports(lists)).resolves.toBe(0);
    const error = await rejection(importCsv(env, contactsCsv(2), { name: 'in progress' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe(`a list named "in progress" is being imported right now (list ${importing}); wait for it or choose another --name`);
  });

  it('Ctrl-C (SIGINT) to the CLI mid-import exits 130 and removes the list at once', async () => {
    const { child, databasePath, stderr } = await cliImportAfterFirstBatch();
    child.kill('SIGINT');
    await exited(child);
    expect(child.exitCode).toBe(130);
    expect(stderr()).toContain('error: import interrupted; nothing was imported');

    const database = openDatabase({ path: databasePath, readonly: true });
    try {
      expect(database.sqlite.prepare('SELECT count(*) FROM lists').pluck().get()).toBe(0);
      expect(database.sqlite.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(0);
    } finally {
      database.close();
    }
  });

  it('after kill -9 of the CLI mid-import, the list stays invisible and the next import removes it', async () => {
    const { child, databasePath } = await cliImportAfterFirstBatch();
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');

    // What the killed process left on disk: a half-imported list, hidden from every command.
    const listed = await runCli(['lists', '--json'], databasePath);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);

    const small = writeTempFile('small.csv', contactsCsv(3));
    const again = await runCli(['lists', 'import', small, '--name', 'x', '--country', 'PL', '--json'], databasePath);
    expect(again.exitCode).toBe(0);
    const summary = JSON.parse(again.stdout) as { listId: number; imported: number };
    expect(summary.imported).toBe(3);

    const database = openDatabase({ path: databasePath });
    try {
      expect(database.sqlite.prepare('SELECT id, name, state FROM lists').all()).toEqual([{ id: summary.listId, name: 'x', state: 'ready' }]);
      expect(database.sqlite.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(3);
    } finally {
      database.close();
    }
  });
});

/**
 * Starts `lists import` of a 300,000-row file in a CLI child process and resolves once the list is
 * in state `importing` with its first batch of contacts committed. The file is large enough that
 * the import is still running long after that.
 */
async function cliImportAfterFirstBatch(): Promise<{ child: ChildProcess; databasePath: string; stderr: () => string }> {
  const dir = tempDir();
  bigDirs.push(dir);
  const databasePath = path.join(dir, 'nps.db');
  const file = path.join(dir, 'big.csv');
  writeFileSync(file, contactsCsv(300_000));
  const child = spawnCli(['lists', 'import', file, '--name', 'x', '--country', 'PL'], databasePath);
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  await pollFor(() => {
    if (child.exitCode !== null) throw new Error(`the import ended before the test could interrupt it (exit ${child.exitCode}): ${stderr}`);
    return committedImportingList(databasePath);
  });
  return { child, databasePath, stderr: () => stderr };
}

/**
 * The list a running import is filling, once at least one batch of it is committed; undefined
 * while the database, its schema or the first batch do not exist yet.
 */
function committedImportingList(databasePath: string): { id: number; contacts: number } | undefined {
  if (!existsSync(databasePath)) return undefined;
  let reader: Database.Database | undefined;
  try {
    reader = new Database(databasePath, { readonly: true, fileMustExist: true });
    const row = reader
      .prepare(`SELECT l.id, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) AS contacts FROM lists l WHERE l.state = 'importing'`)
      .get() as { id: number; contacts: number } | undefined;
    return row && row.contacts > 0 ? row : undefined;
  } catch (error) {
    // The importer may not have created the tables yet.
    if ((error as { code?: string }).code?.startsWith('SQLITE_')) return undefined;
    throw error;
  } finally {
    reader?.close();
  }
}

/** Polls until `probe` returns a value: a bounded number of short waits, never a timing assertion. */
async function pollFor<T>(probe: () => T | undefined, attempts = 1_500, waitMs = 20): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = probe();
    if (value !== undefined) return value;
    await delay(waitMs);
  }
  throw new Error(`condition not met after ${attempts} polls`);
}
