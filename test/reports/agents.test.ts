import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { buildReport, renderAgentReport, renderReport } from '../../src/reports/index.js';
import { testEnv } from '../support/factories.js';
import { others, reportDeps, scored, seedList, START, type ContactSpec } from '../support/reports.js';

function deps() {
  const env = testEnv(START);
  return { ...env, ...reportDeps(env.database, { clock: env.clock }) };
}

const agent = (name: string, counts: { promoters: number; passives: number; detractors: number }, extra: Partial<ContactSpec> = {}) => scored(counts, { ...extra, attributes: { agent: name, region: 'North' } });

describe('per-agent results', () => {
  it('ranks agents with enough answers by NPS and flags, but does not rank, the others', async () => {
    const d = deps();
    const { listId } = seedList(d.database, {
      contacts: [
        ...agent('Bob', { promoters: 10, passives: 10, detractors: 10 }),
        ...agent('Ann', { promoters: 25, passives: 5, detractors: 5 }),
        ...agent('Cy', { promoters: 5, passives: 0, detractors: 0 }),
        ...agent('Cy', { promoters: 0, passives: 0, detractors: 1 }, { comment: { status: 'downloaded', file: 'x.mp3', seconds: 3 } }),
        ...agent('Ann', { promoters: 0, passives: 0, detractors: 2 }, { comment: { status: 'pending' } }),
        ...others(3, 'busy', { attributes: { agent: 'Dee' } }),
        ...scored({ promoters: 1, passives: 0, detractors: 0 }),
      ],
    });
    const report = await buildReport(d, { listId });
    expect(report.agents).not.toBeNull();
    const agents = report.agents!;
    expect(agents.minResponses).toBe(30);
    expect(agents.ranked).toBe(2);
    expect(agents.rows.map((r) => [r.agent, r.rank, r.responses, r.lowSample, r.comments])).toEqual([
      ['Ann', 1, 37, false, 2],
      ['Bob', 2, 30, false, 0],
      ['Cy', null, 6, true, 1],
      ['Dee', null, 0, true, 0],
    ]);
    const ann = agents.rows[0]!;
    expect(ann).toMatchObject({ promoters: 25, passives: 5, detractors: 7, contacts: 37, eligible: 37 });
    expect(ann.nps).toBeCloseTo((100 * (25 - 7)) / 37, 10);
    // The same figures as the agent segment: one method, one population per agent.
    const segment = report.segments.agent!.find((s) => s.value === 'Ann')!;
    expect(ann.npsCi95).toEqual(segment.npsCi95);
    // Cy's perfect-looking 5 of 6 is not ranked above anyone.
    expect(agents.rows.find((r) => r.agent === 'Cy')!.nps).toBeGreaterThan(ann.nps!);
  });

  it('is null for a list without agents, and covers more agents than a segment keeps', async () => {
    const d = deps();
    const plain = seedList(d.database, { contacts: scored({ promoters: 2, passives: 0, detractors: 1 }) });
    expect((await buildReport(d, { listId: plain.listId })).agents).toBeNull();

    const many = seedList(d.database, { contacts: Array.from({ length: 101 }, (_, i) => ({ score: i % 11, attributes: { agent: `Agent ${i}` } })) });
    const report = await buildReport(d, { listId: many.listId });
    expect(report.segmentsOmitted).toContainEqual({ attribute: 'agent', reason: 'more than 100 distinct values' });
    expect(report.agents!.rows).toHaveLength(101);
    expect(report.agents!.ranked).toBe(0);
    expect(report.agents!.rows.find((r) => r.agent === 'Agent 10')).toMatchObject({ responses: 1, promoters: 1, nps: 100, rank: null });
  });

  it('shows the agents in the HTML page, greying the unranked, and alone with --by agent as JSON or CSV', async () => {
    const d = deps();
    const { listId } = seedList(d.database, {
      contacts: [...agent('Ann', { promoters: 20, passives: 5, detractors: 5 }), ...agent('=Bob', { promoters: 1, passives: 0, detractors: 1 })],
    });
    const html = (await renderReport(d, { listId, format: 'html' })).body as string;
    expect(html).toContain('<section data-testid="agents">');
    expect(html).toContain('1 of 2 agents ranked');
    expect(html).toMatch(/<tr class=""><td class="num">1<\/td><td class="val">Ann<\/td><td class="num">30<\/td><td class="num">\+50\.0<\/td>/);
    expect(html).toMatch(/<tr class="low"><td class="num">–<\/td><td class="val">=Bob<\/td>/);

    const json = JSON.parse((await renderAgentReport(d, { listId, format: 'json' })).body as string) as { listId: number; agents: { rows: { agent: string }[] } };
    expect(json.listId).toBe(listId);
    expect(json.agents.rows.map((r) => r.agent)).toEqual(['Ann', '=Bob']);
    const csv = parse((await renderAgentReport(d, { listId, format: 'csv' })).body as string, { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => [r.rank, r.agent, r.responses, r.nps, r.low_sample])).toEqual([
      ['1', 'Ann', '30', '50', 'false'],
      // A spreadsheet must not run an agent's name as a formula.
      ['', "'=Bob", '2', '0', 'true'],
    ]);
  });
});
