import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { resolveFromRoot } from '../../src/config/index.js';
import { openDatabase } from '../../src/db/index.js';
import { verifyReportLink } from '../../src/reports/index.js';
import { tempDir } from '../support/factories.js';
import { others, scored, seedList } from '../support/reports.js';

const SECRET = 'cli-test-link-secret-0123456789abcdef';

/** Runs the real CLI from the sources (about a second each, so the suite keeps to a few runs). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolveFromRoot('src/cli/main.ts'), ...args], {
    cwd: resolveFromRoot(),
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'test', REPORT_LINK_SECRET: SECRET, PUBLIC_BASE_URL: 'https://reports.example.com', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function seededDatabase(): { env: Record<string, string>; listId: number; dir: string } {
  const dir = tempDir('nps-report-cli-');
  const databasePath = path.join(dir, 'db.sqlite');
  const database = openDatabase({ path: databasePath });
  const { listId } = seedList(database, { contacts: [...scored({ promoters: 6, passives: 2, detractors: 2 }, { attributes: { region: 'North' } }), ...others(2, 'busy')] });
  database.close();
  return { env: { DATABASE_PATH: databasePath, RECORDINGS_DIR: path.join(dir, 'recordings') }, listId, dir };
}

describe('nps-dialer report', () => {
  it("prints the operator's JSON report on stdout by default, with the provider cost; --audience client prints the client's copy", async () => {
    const { env, listId } = seededDatabase();
    const result = await cli(['report', String(listId)], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      schemaVersion: 3,
      audience: 'operator',
      listId,
      final: true,
      responses: 10,
      nps: 40,
      segments: { region: [expect.objectContaining({ value: 'North', responses: 10 }), expect.objectContaining({ value: null, contacts: 2 })] },
      billing: { amountMinor: 120, providerCost: { amountMicros: 105_000, pricedCalls: 10 } },
    });
    const client = await cli(['report', String(listId), '--audience', 'client'], env);
    expect(JSON.parse(client.stdout)).toMatchObject({ audience: 'client', billing: { amountMinor: 120 } });
    expect(client.stdout).not.toContain('providerCost');
  });

  it('writes the summary CSV to --out', async () => {
    const { env, listId, dir } = seededDatabase();
    const out = path.join(dir, 'summary.csv');
    const result = await cli(['report', String(listId), '--format', 'csv', '--summary', '--out', out], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^dimension,value,contacts,responses,/);
    expect(lines[1]).toMatch(/^list,list-[0-9a-f]+,12,10,0\.8333333333333334,6,2,2,40,/);
  });

  it('prints a signed link that expires after --expires', async () => {
    const { env, listId } = seededDatabase();
    const before = Date.now();
    const result = await cli(['report', String(listId), '--link', '--expires', '2h'], env);
    expect(result.code).toBe(0);
    const url = result.stdout.trim();
    expect(url).toMatch(/^https:\/\/reports\.example\.com\/api\/v1\/links\/[\w-]+\.[\w-]+$/);
    const link = verifyReportLink(SECRET, url.split('/').pop()!, before);
    expect(link).toMatchObject({ listId, format: 'html' });
    expect(link.expiresAt - before).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(link.expiresAt - before).toBeLessThan(2 * 3_600_000 + 60_000);
    expect(result.stderr).toMatch(/Valid until/);
  });

  it('exits 4 for a missing list and 2 for flags that do not go together', async () => {
    const { env } = seededDatabase();
    const missing = await cli(['report', '999'], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('list 999 does not exist');
    const usage = await cli(['report', '1', '--summary'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--full and --summary apply to --format csv');
  });
});
