import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildReport } from '../../src/reports/index.js';
import { checkInvariants, runSandboxCampaign, type CampaignRun, type CampaignRunOptions } from '../support/campaign.js';
import { reportDeps } from '../support/reports.js';

interface Row {
  id: number;
  textStatus: string;
  audio: string;
  text: string | null;
  file: string | null;
  confidence: number | null;
}

/**
 * The recorded-comment mode when the provider's transcription misbehaves, through the real path
 * (record → transcription webhook → download → themes) against the sandbox.
 */
describe('comment text when the transcription misbehaves (#16)', () => {
  let run: CampaignRun | undefined;
  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  async function campaign(transcription: CampaignRunOptions['transcription']) {
    run = await runSandboxCampaign({ contacts: 40, seed: 5, transcription });
    expect((await checkInvariants(run)).violations).toEqual([]);
    const rows = run.ctx.database.sqlite
      .prepare(
        `SELECT r.id, r.comment_text_status AS textStatus, r.comment_status AS audio, r.comment_text AS text, r.comment_file AS file, r.comment_confidence AS confidence
         FROM responses r WHERE r.comment_status <> 'none' ORDER BY r.id`,
      )
      .all() as Row[];
    const report = await buildReport(reportDeps(run.ctx.database, { clock: run.ctx.clock, config: run.ctx.config }), { listId: run.listId });
    const audioKept = (r: Row) => r.file !== null && existsSync(path.join(run!.ctx.config.recordingsDir, r.file));
    return { rows, report, sandbox: run.sandbox, audioKept };
  }

  it('stores the words and themes once when the transcription webhook arrives twice', async () => {
    const { rows, sandbox } = await campaign({ duplicateRate: 1 });
    expect(sandbox.stats().webhooks.duplicated).toBeGreaterThan(0);
    const ready = rows.filter((r) => r.textStatus === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    const perTheme = run!.ctx.database.sqlite.prepare('SELECT response_id, theme, count(*) AS n FROM response_themes GROUP BY response_id, theme HAVING n > 1').all();
    expect(perTheme).toEqual([]);
    expect(rows.filter((r) => r.textStatus === 'pending' || r.textStatus === 'failed')).toEqual([]);
  });

  it('retries a transcript download that answers 500 until the words arrive', async () => {
    const { rows } = await campaign({ downloadErrorRate: 0.5 });
    expect(rows.filter((r) => r.textStatus === 'ready').length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.textStatus === 'pending' || r.textStatus === 'failed')).toEqual([]);
  });

  it('keeps the audio of a comment whose transcript never arrives, and counts no text for it', async () => {
    const { rows, report, audioKept } = await campaign({ dropRate: 1 });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.textStatus === 'none' && r.text === null)).toBe(true);
    expect(rows.filter((r) => r.audio === 'downloaded').every(audioKept)).toBe(true);
    expect(report.why.commentsWithText).toBe(0);
  });

  it('marks a comment in a language the account does not transcribe as failed and keeps its audio', async () => {
    // Polish callees, an account that transcribes en-US only (the provider's preview).
    const { rows, report, audioKept } = await campaign({ languages: ['en-US'] });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.textStatus === 'failed' && r.text === null)).toBe(true);
    expect(rows.filter((r) => r.audio === 'downloaded').every(audioKept)).toBe(true);
    expect(report.why).toMatchObject({ commentsWithText: 0, textFailed: rows.length });
  });

  it('stores a low-confidence transcript with its confidence', async () => {
    const { rows } = await campaign({ confidence: 0.2 });
    const ready = rows.filter((r) => r.textStatus === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    expect(ready.every((r) => r.confidence !== null && Math.abs(r.confidence - 0.2) < 1e-9)).toBe(true);
    // Silent recordings are still no comment, whatever the confidence.
    expect(rows.filter((r) => r.textStatus === 'empty').every((r) => r.audio === 'deleted' && r.file === null)).toBe(true);
  });
});
