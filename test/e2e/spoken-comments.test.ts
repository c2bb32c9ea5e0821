import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildReport } from '../../src/reports/index.js';
import { checkInvariants, runSandboxCampaign, type CampaignRun, type CampaignRunOptions } from '../support/campaign.js';
import { reportDeps } from '../support/reports.js';

interface Row {
  id: number;
  mode: string | null;
  textStatus: string;
  audio: string;
  text: string | null;
  file: string | null;
  confidence: number | null;
  language: string | null;
}

/**
 * The spoken-comment mode through the real path against the sandbox: the speech input in the
 * callee's language, the words in its webhook, the text queue's themes, the saved audio downloaded
 * with the JWT, and the report counting only comments with words.
 */
describe('spoken comments end to end (speech input)', () => {
  let run: CampaignRun | undefined;
  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  async function campaign(recognition?: CampaignRunOptions['recognition']) {
    run = await runSandboxCampaign({ contacts: 40, seed: 7, script: { comment: 'speech' }, ...(recognition ? { recognition } : {}) });
    expect((await checkInvariants(run)).violations).toEqual([]);
    const rows = run.ctx.database.sqlite
      .prepare(
        `SELECT r.id, r.comment_mode AS mode, r.comment_text_status AS textStatus, r.comment_status AS audio, r.comment_text AS text, r.comment_file AS file,
           r.comment_confidence AS confidence, r.comment_language AS language
         FROM responses r WHERE r.comment_mode IS NOT NULL ORDER BY r.id`,
      )
      .all() as Row[];
    const report = await buildReport(reportDeps(run.ctx.database, { clock: run.ctx.clock, config: run.ctx.config }), { listId: run.listId });
    const audioKept = (r: Row) => r.file !== null && existsSync(path.join(run!.ctx.config.recordingsDir, r.file));
    return { rows, report, sandbox: run.sandbox, audioKept };
  }

  it('gives every spoken comment its words, themes and audio, and counts silence as no comment', async () => {
    const { rows, report, audioKept } = await campaign();
    const ready = rows.filter((r) => r.textStatus === 'ready');
    const silent = rows.filter((r) => r.textStatus === 'empty');
    expect(ready.length).toBeGreaterThan(0);
    expect(silent.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.mode === 'speech')).toBe(true);
    expect(rows.filter((r) => r.textStatus === 'pending' || r.textStatus === 'failed')).toEqual([]);
    for (const r of ready) {
      expect(r.text).toMatch(/\S/);
      expect(r.language).toBe('pl-PL');
      // The sandbox's confidence arrives as a numeric string, as in the provider's docs.
      expect(r.confidence).toBeCloseTo(0.9, 9);
      expect(r.audio).toBe('downloaded');
      expect(r.file).toMatch(/\.wav$/);
      expect(audioKept(r)).toBe(true);
      const themes = run!.ctx.database.sqlite.prepare('SELECT theme FROM response_themes WHERE response_id = ?').pluck().all(r.id);
      expect(themes.length).toBeGreaterThan(0);
    }
    // Silence: no text, and its audio was never fetched.
    expect(silent.every((r) => r.text === null && r.audio === 'none' && r.file === null)).toBe(true);
    // The words stay out of the call's events.
    const words = ready[0]!.text!;
    const events = run!.ctx.database.sqlite.prepare(`SELECT payload FROM call_events WHERE kind = 'input'`).pluck().all() as string[];
    expect(events.some((e) => e.includes(words))).toBe(false);

    // What the sandbox's callees said is what the app stored, word for word.
    const said = run!.sandbox.calls().flatMap((c) => c.inputs.filter((i) => i.speechText).map((i) => i.speechText!));
    expect(said.sort()).toEqual(ready.map((r) => r.text!).sort());

    expect(report.why.commentsWithText).toBe(ready.length);
    expect(report.funnel.commented).toBe(ready.length);
    expect(report.why.themes.length).toBeGreaterThan(0);
  });

  it('marks every comment failed when recognition answers with an error, and the calls still end politely', async () => {
    const { rows, report, sandbox } = await campaign({ errorRate: 1 });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.textStatus === 'failed' && r.text === null)).toBe(true);
    expect(report.why).toMatchObject({ commentsWithText: 0, textFailed: rows.length });
    // Every speech input's webhook was answered (the goodbye), none refused.
    const spoken = sandbox.calls().flatMap((c) => c.inputs.filter((i) => i.speechText !== undefined));
    expect(spoken.length).toBe(rows.length);
    expect(spoken.every((i) => i.delivered)).toBe(true);
  });

  it('keeps the words of a comment whose audio the provider did not save, and counts it', async () => {
    const { rows, report } = await campaign({ missingRecordingUrlRate: 1 });
    const ready = rows.filter((r) => r.textStatus === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    expect(ready.every((r) => r.audio === 'none' && r.file === null)).toBe(true);
    expect(report.funnel.commented).toBe(ready.length);
    expect(report.why.commentsWithText).toBe(ready.length);
  });

  it('stores low-confidence words with their confidence, given as numbers', async () => {
    const { rows } = await campaign({ lowConfidenceRate: 1, lowConfidence: 0.2, confidenceType: 'number' });
    const ready = rows.filter((r) => r.textStatus === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    expect(ready.every((r) => r.confidence !== null && Math.abs(r.confidence - 0.2) < 1e-9)).toBe(true);
  });

  it('marks comments in a language the account does not recognise as failed', async () => {
    const { rows } = await campaign({ languages: ['en-US'] });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.textStatus === 'failed')).toBe(true);
  });
});
