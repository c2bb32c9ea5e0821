import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/clock/index.js';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { acquireDialerLock, currentDialer } from '../../src/dialer/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { exited, runCli, spawnCli } from '../support/cli.js';
import { tempDir } from '../support/factories.js';

// One dialer per database, through the real CLI: each child process costs about a second, so the
// read-only commands run side by side.

const VONAGE_ENV = {
  VONAGE_APPLICATION_ID: randomUUID(),
  VONAGE_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  VONAGE_SIGNATURE_SECRET: 'cli-lock-test-signature-secret',
  VONAGE_FROM_NUMBER: '+447700900000',
  // Nothing listens here: a dialer that wrongly started would fail loudly instead of calling.
  VONAGE_API_HOST: 'http://127.0.0.1:9',
  PORT: '0',
};

function withDatabase<T>(databasePath: string, use: (database: AppDatabase) => T): T {
  const database = openDatabase({ path: databasePath });
  try {
    return use(database);
  } finally {
    database.close();
  }
}

/** A list of `n` contacts: Polish numbers, every tenth in Los Angeles, every twentieth on the do-not-call list. */
function seedLargeList(database: AppDatabase, n: number): number {
  const { sqlite } = database;
  const now = systemClock.now();
  const listId = (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('big', '{}', '{}', 'ready', ?) RETURNING id`).get(now) as { id: number }).id;
  const contact = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, country, timezone, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`);
  const suppress = sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES (?, 'operator', ?)`);
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const us = i % 10 === 0;
      const phone = us ? `+1213555${String(i).padStart(4, '0')}` : `+48501${String(i).padStart(6, '0')}`;
      contact.run(listId, i + 2, phone, us ? 'US' : 'PL', us ? 'America/Los_Angeles' : null, now, now);
      if (i % 20 === 5) suppress.run(phone, now);
    }
  })();
  return listId;
}

describe('one dialer per database (CLI)', () => {
  it('refuses a second run or serve with exit 6 naming the holder, while lists and lists plan still work', async () => {
    const databasePath = path.join(tempDir(), 'nps.db');
    const listId = withDatabase(databasePath, (database) => {
      const id = seedLargeList(database, 10_000);
      // This test process holds the lock, as a running `serve` would.
      acquireDialerLock({ database, clock: systemClock, logger: createSilentLogger(), command: 'serve' });
      return id;
    });

    const [run, serve, lists, planText, planJson] = await Promise.all([
      runCli(['run', String(listId), '--max-attempts', '9'], databasePath, VONAGE_ENV),
      runCli(['serve'], databasePath, VONAGE_ENV),
      runCli(['lists', '--json'], databasePath),
      runCli(['lists', 'plan', String(listId)], databasePath),
      runCli(['lists', 'plan', String(listId), '--json'], databasePath),
    ]);

    for (const refused of [run, serve]) {
      expect(refused.exitCode).toBe(6);
      expect(refused.stderr).toContain(`another dialer is using this database: pid ${process.pid} on ${hostname()}, \`nps-dialer serve\`, since `);
    }
    // A refused run changes nothing, not even the list's saved settings.
    withDatabase(databasePath, (database) => {
      expect(database.sqlite.prepare('SELECT policy FROM lists WHERE id = ?').pluck().get(listId)).toBe('{}');
      expect(currentDialer(database)).toMatchObject({ pid: process.pid, command: 'serve' });
    });

    for (const readOnly of [lists, planText, planJson]) expect({ exitCode: readOnly.exitCode, stderr: readOnly.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(JSON.parse(lists.stdout)).toMatchObject([{ id: listId, contacts: 10_000 }]);

    const plan = JSON.parse(planJson.stdout) as { contacts: number; rows: unknown[]; byReason: { reason: string; contacts: number }[] };
    expect(plan.contacts).toBe(10_000);
    expect(plan.rows).toHaveLength(10_000);
    expect(plan.byReason.find((r) => r.reason === 'suppressed')?.contacts).toBe(500);
    expect(plan.byReason.reduce((sum, r) => sum + r.contacts, 0)).toBe(10_000);
    // The text groups and samples: a screenful, not ten thousand lines.
    const lines = planText.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(80);
    expect(planText.stdout).toContain('suppressed (500)');
    expect(planText.stdout).toMatch(/row \d+ {2}\+48\*+\d{3} {2}Europe\/Warsaw/);
  });

  it('takes over the lock of a killed process: serve starts under its own pid and frees the lock on SIGTERM', async () => {
    const databasePath = path.join(tempDir(), 'nps.db');
    // A process that has exited: its pid is free, as after kill -9.
    const gone = spawn(process.execPath, ['-e', '']);
    await exited(gone);
    withDatabase(databasePath, (database) => {
      const now = systemClock.now();
      database.sqlite
        .prepare(`INSERT INTO dialer_lock (id, token, pid, host, command, acquired_at, heartbeat_at) VALUES (1, 'dead', ?, ?, 'run 1', ?, ?)`)
        .run(gone.pid, hostname(), now, now);
    });

    const serve = spawnCli(['serve'], databasePath, VONAGE_ENV);
    let stdout = '';
    let stderr = '';
    serve.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    await new Promise<void>((resolve, reject) => {
      serve.stdout!.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        if (stdout.includes('Serving webhooks')) resolve();
      });
      serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    withDatabase(databasePath, (database) => expect(currentDialer(database)).toMatchObject({ pid: serve.pid, host: hostname(), command: 'serve' }));

    const code = new Promise<number | null>((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    expect(await code).toBe(0);
    withDatabase(databasePath, (database) => expect(currentDialer(database)).toBeNull());
    expect(stderr).toMatch(/took over the dialer lock of a process that is gone/);
  });
});
