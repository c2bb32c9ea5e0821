import { afterAll, describe, expect, it } from '@jest/globals';
import { checkInvariants, runSandboxCampaign, type CampaignRun, type CampaignRunOptions } from '../support/campaign.js';
import { runCli, type CliResult } from '../support/cli.js';
import { writeTempFile } from '../support/factories.js';
import { runKilledCampaign, type KilledCampaign } from '../support/killed-campaign.js';

/**
 * Fault injection: whole campaigns against the sandbox while it misbehaves the ways Vonage can.
 * Every run must keep the same guarantees (checkInvariants): every contact final, no number with
 * two live calls, no call billed twice, no response lost, billing equal to the sum over
 * person-answered calls at the tariff, no recording left pending, and outcomes that agree for
 * every list, in the tables and the report (responses = respondents, billed = person-answered).
 *
 * `npm test` runs a bounded version; `npm run test:faults` (FAULTS=full) runs more contacts and
 * more seeds, and prints the figures of each run for docs/reliability.md.
 */
const full = process.env.FAULTS === 'full';
const CONTACTS = full ? 300 : 40;
const SEEDS = full ? [11, 12, 13] : [11];
/** The account's creates per second in the shared-account scenario (each of its two lists asks for as many). */
const ACCOUNT_CPS = 10;

const runs: (CampaignRun | KilledCampaign)[] = [];
const figures: Record<string, Record<string, number>> = {};

afterAll(async () => {
  await Promise.all(runs.map((r) => r.close()));
  // The figures are for docs/reliability.md, which quotes the full runs; `npm test` stays quiet.
  if (full && Object.keys(figures).length > 0) process.stdout.write(`fault-injection figures\n${JSON.stringify(figures, null, 1)}\n`);
});

async function campaign(name: string, options: Omit<CampaignRunOptions, 'contacts' | 'seed'>, seed: number) {
  const run = await runSandboxCampaign({ contacts: CONTACTS, seed, ...options });
  runs.push(run);
  const { violations, figures: f } = await checkInvariants(run);
  figures[`${name} (seed ${seed})`] = f;
  return { run, violations, f };
}

describe.each(SEEDS)('fault injection, seed %i', (seed) => {
  it('keeps every guarantee when webhooks are duplicated, reordered and delayed', async () => {
    const { violations, f } = await campaign('duplicated, reordered, delayed', { faults: { duplicateRate: 0.3, outOfOrderRate: 0.3, webhookDelayMs: [0, 40], startedBeforeCreateResponse: 0.5 } }, seed);
    expect(violations).toEqual([]);
    expect(f.webhooksDuplicated).toBeGreaterThan(0);
  });

  it('reconciles calls whose status webhooks were dropped, through GET /v1/calls/:uuid', async () => {
    const { violations, f } = await campaign('dropped status webhooks', { faults: { dropStatusRate: 0.15 } }, seed);
    expect(violations).toEqual([]);
    expect(f.webhooksDropped).toBeGreaterThan(0);
    expect(f.reconciled).toBeGreaterThan(0);
  });

  it('rides out a 429 storm and 5xx on create without losing or double-counting a contact', async () => {
    // The dialer's first window of 20 creates goes through; the storm refuses the next 20 requests.
    const { run, violations, f } = await campaign('429 storm and 5xx on create', { faults: { tooManyRequestsStorms: [{ afterCreates: 20, creates: 20 }], createServerErrorRate: 0.1 } }, seed);
    expect(violations).toEqual([]);
    expect(f.rateLimited).toBeGreaterThanOrEqual(20);
    // The operator's console sees the same 429s and the webhooks' times (the dialer's gauges).
    const gauges = run.runtime.deps.gauges!.snapshot();
    expect(gauges.rateLimitedTotal).toBeGreaterThanOrEqual(20);
    expect(gauges.rateLimitedTotal).toBeLessThanOrEqual(f.rateLimited ?? 0);
    expect(gauges.webhooksLastMinute).toBeGreaterThan(0);
    expect(gauges.webhookP99Ms).not.toBeNull();
    expect(f.serverErrors).toBeGreaterThan(0);
  });

  it('downloads recordings that arrive after `completed` and 404 twice first', async () => {
    const { violations, f } = await campaign('recordings late and 404 first', { faults: { recordingAfterCompleted: true, recordingNotFoundDownloads: 2 } }, seed);
    expect(violations).toEqual([]);
    expect(f.downloaded).toBeGreaterThan(0);
  });

  it('keeps two lists dialling at once within the one account pace: never more than its cps in a rolling second, no 429, neither list starved', async () => {
    // Each list alone may go at the account's whole pace; together they must share it.
    const { run, violations, f } = await campaign('two lists sharing one account', { lists: 2, cps: ACCOUNT_CPS, accountCps: ACCOUNT_CPS }, seed);
    expect(violations).toEqual([]);
    expect(f.maxCreatesInAnyRollingSecond).toBeLessThanOrEqual(ACCOUNT_CPS);
    expect(f.rateLimited).toBe(0);
    // Both lists were dialled side by side: each list's first call came before the other's last.
    const spans = run.listIds.map(
      (listId) => run.ctx.database.sqlite.prepare('SELECT min(created_at) AS first, max(created_at) AS last FROM calls WHERE list_id = ?').get(listId) as { first: number; last: number },
    );
    expect(spans[0]!.first).toBeLessThan(spans[1]!.last);
    expect(spans[1]!.first).toBeLessThan(spans[0]!.last);
  });

  it('survives a slow answer URL: the provider retries, and the contact still ends right', async () => {
    // The first answer request of each call takes longer than the provider waits (300 ms here).
    const { violations } = await campaign('slow answer URL', { answerWebhookTimeoutMs: 300, answerDelayMs: (attempt) => (attempt === 1 ? 450 : 0) }, seed);
    expect(violations).toEqual([]);
  });
});

describe.each(SEEDS)('kill -9 mid-campaign and a restart, seed %i', (seed) => {
  it('settles every call left in flight by asking the provider (none waits out its longest life) and keeps every guarantee', async () => {
    // Two real `nps-dialer run` processes on one database; the restart's figures go to docs/reliability.md.
    const contacts = full ? 150 : 40;
    const run = await runKilledCampaign({ contacts, seed, killAtStarted: Math.round(contacts / 2), timeScale: 10 });
    runs.push(run);
    const { violations, figures: f } = await run.check();
    const { reconciled, ...restart } = run.restart;
    figures[`kill -9 and restart (seed ${seed})`] = { ...f, ...restart, ...Object.fromEntries(Object.entries(reconciled).map(([k, v]) => [`reconciled.${k}`, v])), killToInFlightSettledMs: restart.killToInFlightSettledMs ?? -1, reconcileToSettledMs: restart.reconcileToSettledMs ?? -1 };
    expect(run.exitCodes).toEqual([null, 0]);
    expect(violations).toEqual([]);
    expect(run.restart.inFlightAtKill).toBeGreaterThan(1);
    expect(run.restart.createsWithoutUuidAtKill).toBeGreaterThanOrEqual(1);
    // Every call left in flight was settled from what the provider said: ended, found, ruled out
    // or followed live; none was given up as lost after waiting.
    expect(f.lostCalls).toBe(0);
    expect(run.restart.reconciled.lost).toBe(0);
    expect(run.restart.killToInFlightSettledMs).not.toBeNull();
  }, 600_000);
});

describe('an import beside a running campaign', () => {
  it('never makes a webhook fail: 0 failed or retried deliveries while another process imports 30,000 rows into the same database', async () => {
    const csv = ['phone,name', ...Array.from({ length: 30_000 }, (_, i) => `+48 51${String(i).padStart(7, '0')},Person ${i}`)].join('\n');
    const file = writeTempFile('beside.csv', csv);
    let imported: CliResult | undefined;
    const run = await runSandboxCampaign({
      contacts: CONTACTS,
      seed: 21,
      cps: 10,
      beside: async (databasePath) => {
        imported = await runCli(['lists', 'import', file, '--name', 'beside', '--country', 'PL'], databasePath);
      },
    });
    runs.push(run);
    expect({ exitCode: imported?.exitCode, stderr: imported?.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    // The import really ran while webhooks were arriving.
    expect(run.besideEndedWhileDialling).toBe(true);
    expect(run.ctx.database.sqlite.prepare("SELECT count(*) AS n FROM contacts c JOIN lists l ON l.id = c.list_id WHERE l.name = 'beside'").get()).toEqual({ n: 30_000 });
    // The invariants are the campaign's: the imported list is waiting to be dialled.
    run.ctx.database.sqlite.prepare("DELETE FROM lists WHERE name = 'beside'").run();
    const { violations, figures: f } = await checkInvariants(run);
    expect(violations).toEqual([]);
    expect({ failed: f.webhooksFailed, retried: f.webhooksRetried }).toEqual({ failed: 0, retried: 0 });
  });
});
