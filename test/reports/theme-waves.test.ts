import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { buildReport, renderReport, type ReportServiceDeps } from '../../src/reports/index.js';
import { twoProportionPValue } from '../../src/reports/why.js';
import { tempDir, testEnv } from '../support/factories.js';
import { REPORT_TARIFF, seedClient, seedList, type ContactSpec, reportDeps } from '../support/reports.js';

/** `n` respondents with words, `named` of them naming `theme` (the rest name 'other'). */
function comments(n: number, named: number, theme: string, score = 3): ContactSpec[] {
  return Array.from({ length: n }, (_, i) => ({ score, text: { text: i < named ? `about ${theme}` : 'something else', themes: [i < named ? theme : 'other'] } }));
}

async function waves(before: ContactSpec[], after: ContactSpec[], options: { sameClient?: boolean } = {}) {
  const env = testEnv();
  const deps: ReportServiceDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: tempDir('nps-waves-') }, linkSecret: undefined });
  const acme = await seedClient(env.database, env.clock, 'Acme');
  const globex = await seedClient(env.database, env.clock, 'Globex');
  const first = seedList(env.database, { name: 'Q1', clientId: options.sameClient === false ? globex.clientId : acme.clientId, contacts: before });
  const second = seedList(env.database, { name: 'Q2', clientId: acme.clientId, previousListId: first.listId, contacts: after });
  return { deps, listId: second.listId };
}

describe('theme shares against the previous wave (#16 item 4)', () => {
  it('marks a theme whose share moved significantly, and not one that moved by chance', async () => {
    // price: 10 of 60 then 30 of 60; speed: 6 of 60 then 8 of 60.
    const before = [...comments(30, 10, 'price'), ...comments(30, 6, 'speed')];
    const after = [...comments(30, 30, 'price'), ...comments(30, 8, 'speed')];
    const { deps, listId } = await waves(before, after);
    const themeWaves = (await buildReport(deps, { listId })).why.themeWaves!;
    expect(themeWaves).toMatchObject({ previousListName: 'Q1', comments: { before: 60, after: 60 }, tooFew: false, minimumComments: 30 });
    const price = themeWaves.rows.find((r) => r.key === 'price')!;
    expect(price).toMatchObject({ before: { mentions: 10 }, after: { mentions: 30 }, change: 33.3, significant: true });
    expect(price.pValue!).toBeLessThan(0.001);
    const speed = themeWaves.rows.find((r) => r.key === 'speed')!;
    expect(speed).toMatchObject({ change: 3.3, significant: false });
    expect(speed.pValue!).toBeGreaterThan(0.5);
    // Largest change first ('other' fell as much as price rose).
    expect(themeWaves.rows.map((r) => r.key)).toEqual(['other', 'price', 'speed']);
  });

  it('shows but does not test shares when a wave has fewer than 30 comments with words', async () => {
    const { deps, listId } = await waves(comments(10, 1, 'price'), comments(40, 30, 'price'));
    const themeWaves = (await buildReport(deps, { listId })).why.themeWaves!;
    expect(themeWaves.tooFew).toBe(true);
    expect(themeWaves.rows.find((r) => r.key === 'price')).toMatchObject({ before: { share: 0.1 }, after: { share: 0.75 }, change: 65, pValue: null, significant: false });
  });

  it("compares nothing across clients or without a previous wave", async () => {
    const { deps, listId } = await waves(comments(40, 10, 'price'), comments(40, 30, 'price'), { sameClient: false });
    expect((await buildReport(deps, { listId })).why.themeWaves).toBeNull();
  });

  it('puts the comparison in the HTML page, the significant row marked', async () => {
    const { deps, listId } = await waves([...comments(30, 10, 'price'), ...comments(30, 6, 'speed')], [...comments(30, 30, 'price'), ...comments(30, 8, 'speed')]);
    const html = (await renderReport(deps, { listId, format: 'html' })).body as string;
    const table = /<table data-testid="theme-waves">.*?<\/table>/s.exec(html)![0];
    expect(table).toContain('Price');
    const rows = table.match(/<tr[^>]*><td>[^<]+<\/td>/g)!;
    expect(rows).toEqual(['<tr data-significant><td>Other</td>', '<tr data-significant><td>Price</td>', '<tr><td>Speed and delivery</td>']);
    expect(table).toContain('+33.3 pts *');
  });

  it('puts one row per theme in the summary CSV, with both shares, the change and its p-value', async () => {
    const { deps, listId } = await waves([...comments(30, 10, 'price'), ...comments(30, 6, 'speed')], [...comments(30, 30, 'price'), ...comments(30, 8, 'speed')]);
    const rows = parse((await renderReport(deps, { listId, format: 'csv', summary: true })).body as string, { columns: true }) as Record<string, string>[];
    const waveRows = rows.filter((r) => r.dimension === 'theme_wave');
    expect(waveRows.map((r) => r.value)).toEqual(['other', 'price', 'speed']);
    const price = waveRows.find((r) => r.value === 'price')!;
    expect(price).toMatchObject({ responses: '30', previous_mentions: '10', share: '0.5', share_change_pp: '33.3', share_significant: 'true' });
    expect(Number(price.previous_share)).toBeCloseTo(1 / 6, 9);
    expect(Number(price.share_p_value)).toBeLessThan(0.001);
    expect(waveRows.find((r) => r.value === 'speed')).toMatchObject({ share_change_pp: '3.3', share_significant: 'false' });
    // The other rows leave the wave columns empty.
    expect(rows.find((r) => r.dimension === 'list')).toMatchObject({ previous_mentions: '', share: '', share_p_value: '' });
  });

  it('computes the pooled two-proportion p-value', () => {
    // 10/60 against 30/60: z = 3.87.
    expect(twoProportionPValue(10, 60, 30, 60)).toBeCloseTo(0.000108, 5);
    expect(twoProportionPValue(0, 50, 0, 50)).toBe(1);
  });
});
