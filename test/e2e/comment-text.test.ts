import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { buildReport } from '../../src/reports/index.js';
import { checkInvariants, runSandboxCampaign, type CampaignRun } from '../support/campaign.js';
import { reportDeps } from '../support/reports.js';

/**
 * The comment's words through the real path: the record action asks the provider (the sandbox)
 * for a transcript, its webhook names the file, the text queue downloads it with the JWT, the
 * themes engine classifies it, and the report counts only comments with words.
 */
describe('comment text end to end (recording + provider transcription)', () => {
  let run: CampaignRun | undefined;
  afterAll(async () => run?.close());

  it('gives every spoken comment its words and themes, and counts silent recordings as no comment', async () => {
    run = await runSandboxCampaign({ contacts: 60, seed: 5 });
    const { sqlite } = run.ctx.database;
    expect((await checkInvariants(run)).violations).toEqual([]);
    const rows = sqlite
      .prepare('SELECT r.id, r.comment_text_status AS textStatus, r.comment_status AS audio, r.comment_text AS text, r.comment_file AS file, r.comment_language AS language FROM responses r')
      .all() as { id: number; textStatus: string; audio: string; text: string | null; file: string | null; language: string | null }[];
    const ready = rows.filter((r) => r.textStatus === 'ready');
    const silent = rows.filter((r) => r.textStatus === 'empty');
    // The sandbox's callees comment at a rate of 0.4: some spoke, most recordings are silence.
    expect(ready.length).toBeGreaterThan(0);
    expect(silent.length).toBeGreaterThan(0);
    // Every recording got its transcript: none left pending, none failed.
    expect(rows.filter((r) => r.textStatus === 'pending' || r.textStatus === 'failed')).toEqual([]);
    for (const r of ready) {
      expect(r.text).toMatch(/\S/);
      // Said in the language the callee heard (Polish numbers: pl-PL).
      expect(r.language).toBe('pl-PL');
      const themes = sqlite.prepare('SELECT theme FROM response_themes WHERE response_id = ?').pluck().all(r.id);
      expect(themes.length).toBeGreaterThan(0);
    }
    // Silent recordings are no comment: their audio is gone.
    for (const r of silent) {
      expect(r.audio).toBe('deleted');
      expect(r.file).toBeNull();
    }
    const files = ready.filter((r) => r.file).map((r) => path.join(run!.ctx.config.recordingsDir, r.file!));
    expect(files.every((f) => existsSync(f))).toBe(true);

    const report = await buildReport(reportDeps(run.ctx.database, { clock: run.ctx.clock, config: run.ctx.config }), { listId: run.listId });
    expect(report.why.commentsWithText).toBe(ready.length);
    expect(report.why.silentRecordings).toBe(silent.length);
    expect(report.funnel.commented).toBe(ready.length);
    expect(report.why.themes.length).toBeGreaterThan(0);
    const impacts = report.why.themes.map((t) => t.impact);
    expect(impacts).toEqual([...impacts].sort((a, b) => b - a));
  });
});
