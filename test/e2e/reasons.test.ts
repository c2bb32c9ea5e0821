import { afterAll, describe, expect, it } from '@jest/globals';
import { buildReport } from '../../src/reports/index.js';
import { campaignNumber, checkInvariants, runSandboxCampaign, type CampaignRun } from '../support/campaign.js';
import { reportDeps } from '../support/reports.js';

/**
 * The keypad reason question through the real path: the sandbox's scripted callees press the
 * score, then a reason key (their next `keys` entry), and the report counts keypad reasons.
 */
describe('keypad reason question end to end', () => {
  let run: CampaignRun | undefined;
  afterAll(async () => run?.close());

  it('stores the chosen reason, a re-prompted choice, silence twice and an opt-out at the reason question', async () => {
    const callees = {
      [campaignNumber(0)]: { attempts: [{ outcome: 'answered' as const, keys: ['3#', '1'], comment: { seconds: 4 } }] },
      [campaignNumber(1)]: { attempts: [{ outcome: 'answered' as const, keys: ['9#', '7', '2'] }] },
      [campaignNumber(2)]: { attempts: [{ outcome: 'answered' as const, keys: ['5#', '', ''] }] },
      [campaignNumber(3)]: { attempts: [{ outcome: 'answered' as const, keys: ['2#', '*'] }] },
    };
    run = await runSandboxCampaign({ contacts: 4, seed: 11, scenario: { callees }, script: { reasons: { enabled: true } } });
    const { sqlite } = run.ctx.database;
    expect((await checkInvariants(run)).violations).toEqual([]);
    const byNumber = (i: number) =>
      sqlite
        .prepare('SELECT r.score, r.reason, r.reason_outcome AS outcome, c.status FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE c.phone_e164 = ?')
        .get(campaignNumber(i));
    expect(byNumber(0)).toEqual({ score: 3, reason: 'price', outcome: 'chosen', status: 'responded' });
    expect(byNumber(1)).toEqual({ score: 9, reason: 'quality', outcome: 'chosen', status: 'responded' });
    expect(byNumber(2)).toEqual({ score: 5, reason: null, outcome: 'no_input', status: 'responded' });
    expect(byNumber(3)).toEqual({ score: 2, reason: null, outcome: null, status: 'responded' });
    expect(sqlite.prepare('SELECT count(*) FROM suppressions WHERE phone_e164 = ?').pluck().get(campaignNumber(3))).toBe(1);
    // The callee who pressed a reason and then spoke still left a comment: the call went on to it.
    expect(sqlite.prepare(`SELECT comment_status FROM responses r JOIN contacts c ON c.id = r.contact_id WHERE c.phone_e164 = ?`).pluck().get(campaignNumber(0))).not.toBe('none');

    const report = await buildReport(reportDeps(run.ctx.database, { clock: run.ctx.clock, config: run.ctx.config }), { listId: run.listId });
    expect(Object.fromEntries(report.why.keypadReasons.map((r) => [r.key, r.mentions]))).toEqual({ price: 1, quality: 1 });
  });
});
