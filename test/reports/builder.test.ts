import { describe, expect, it } from '@jest/globals';
import { MAX_DISTINCT_KEYS, ReportAccumulator, KEY_SEPARATOR } from '../../src/reports/aggregate.js';
import { buildReport, DISPOSITION_KEYS, MAX_SEGMENT_VALUES, REPORT_SCHEMA_VERSION, type ReportDeps } from '../../src/reports/index.js';
import { testEnv } from '../support/factories.js';
import { others, REPORT_TARIFF, scored, seedClient, seedList, START, reportDeps } from '../support/reports.js';

function setup() {
  const env = testEnv(START + 30 * 86_400_000);
  const deps: ReportDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' } });
  return { ...env, deps };
}

describe('report builder: the headline', () => {
  it("reproduces the reference's worked example on a list where 400 of 8,100 answered", async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { contacts: [...scored({ promoters: 180, passives: 120, detractors: 100 }), ...others(7700, 'unanswered')] });
    const report = await buildReport(deps, { listId });
    expect(report).toMatchObject({ schemaVersion: REPORT_SCHEMA_VERSION, listId, contacts: 8100, responses: 400, promoters: 180, passives: 120, detractors: 100, nps: 20 });
    expect(report.npsCi95!.map((x) => Number(x.toFixed(1)))).toEqual([11.9, 27.8]);
    expect(report.npsMethod).toMatchObject({ interval: 'adjusted-wald', finitePopulationCorrection: false, population: 8100 });
    expect(report.npsMethod.adjustedNps).toBeCloseTo(19.8511, 4);
    expect(report.scores).toEqual({ '0': 0, '1': 0, '2': 0, '3': 100, '4': 0, '5': 0, '6': 0, '7': 0, '8': 120, '9': 0, '10': 180 });
    expect(report.shares).toEqual({ promoters: 45, passives: 30, detractors: 25 });
    expect(report.meanScore).toBeCloseTo((180 * 10 + 120 * 8 + 100 * 3) / 400, 12);
    expect(report.lowSample).toBe(false);
  });

  it('applies the finite population correction when 400 of 1,000 eligible contacts answered', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [...scored({ promoters: 180, passives: 120, detractors: 100 }), ...others(600, 'busy'), ...others(50, 'suppressed')],
    });
    const report = await buildReport(deps, { listId });
    // Suppressed contacts could never answer: the frame is the 1,000 others.
    expect(report.npsMethod).toMatchObject({ finitePopulationCorrection: true, population: 1000 });
    expect(report.npsCi95![0]).toBeCloseTo(13.7082, 4);
    expect(report.npsCi95![1]).toBeCloseTo(25.994, 3);
  });

  it('states the question the callees heard, with the standard or the list wording', async () => {
    const { deps, database } = setup();
    const standard = seedList(database, { script: { company: 'Żabka', language: 'pl-PL' }, contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
    const custom = seedList(database, { script: { company: 'Acme', question: 'Would you recommend {company} to a neighbour?' }, contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
    const a = await buildReport(deps, { listId: standard.listId });
    expect(a.language).toBe('pl-PL');
    expect(a.question).toBe('Jak bardzo prawdopodobne jest, że polecisz firmę Żabka znajomemu lub współpracownikowi? Naciśnij liczbę od 0 do 10, a następnie krzyżyk.');
    expect((await buildReport(deps, { listId: custom.listId })).question).toBe('Would you recommend Acme to a neighbour? Please press a number from 0 to 10, then the hash key.');
  });

  it('has no score, no interval and a low-sample flag when nobody answered', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { contacts: others(3, 'machine') });
    const report = await buildReport(deps, { listId });
    expect(report).toMatchObject({ responses: 0, nps: null, npsCi95: null, meanScore: null, lowSample: true, shares: { promoters: null, passives: null, detractors: null } });
    expect(report.responseRate).toEqual({ value: 0, numerator: 0, denominator: 3 });
    expect(report.cooperationRate).toEqual({ value: null, numerator: 0, denominator: 0 });
  });

  it('refuses a list that does not exist or is still importing', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { state: 'importing', contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
    await expect(buildReport(deps, { listId })).rejects.toThrow(/does not exist/);
    await expect(buildReport(deps, { listId: 999 })).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('report builder: dispositions and funnel', () => {
  it('maps every final status to its disposition, counts adding up to the contacts', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [
        ...scored({ promoters: 2, passives: 1, detractors: 1 }),
        ...others(1, 'not_dialled'),
        ...others(2, 'busy'),
        ...others(3, 'unanswered'),
        ...others(1, 'failed'),
        ...others(1, 'rejected'),
        ...others(2, 'machine'),
        ...others(1, 'answered_no_score'),
        ...others(1, 'opted_out'),
        ...others(2, 'suppressed'),
        ...others(1, 'capped', { attempts: 0 }),
      ],
    });
    const report = await buildReport(deps, { listId });
    expect(report.final).toBe(true);
    expect(report.dispositions).toEqual({
      notDialled: 1,
      busy: 2,
      unanswered: 3,
      failed: 1,
      rejected: 1,
      machine: 2,
      answeredNoScore: 1,
      responded: 4,
      optedOut: 1,
      suppressed: 2,
      capped: 1,
      inProgress: 0,
    });
    expect(DISPOSITION_KEYS.reduce((sum, k) => sum + report.dispositions[k], 0)).toBe(report.contacts);
    // Capped contacts, like suppressed ones, were never allowed to be called: outside the frame.
    expect(report.funnel).toEqual({ contacts: 19, eligible: 16, dialled: 15, reached: 6, responded: 4, commented: 0 });
    expect(report.responseRate).toEqual({ value: 4 / 16, numerator: 4, denominator: 16 });
    expect(report.contactRate).toEqual({ value: 6 / 16, numerator: 6, denominator: 16 });
    expect(report.cooperationRate).toEqual({ value: 4 / 6, numerator: 4, denominator: 6 });
  });

  it('is interim while contacts are open: never-dialled ones are notDialled, the others inProgress', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [...scored({ promoters: 1, passives: 0, detractors: 0 }), { status: 'pending', attempts: 0 }, { status: 'pending', attempts: 2 }, { status: 'dialing', attempts: 1 }],
    });
    const report = await buildReport(deps, { listId });
    expect(report.final).toBe(false);
    expect(report.dispositions).toMatchObject({ notDialled: 1, inProgress: 2, responded: 1 });
    expect(report.funnel.dialled).toBe(3);
  });

  it("counts calls, fieldwork dates, billing and, in the operator's report, the provider cost", async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { contacts: [{ score: 9, attempts: 2 }, { status: 'machine' }, { status: 'busy', attempts: 3 }] });
    const report = await buildReport(deps, { listId, audience: 'operator' });
    expect(report.audience).toBe('operator');
    expect(report.calls).toEqual({ total: 6, answeredByPerson: 1, answeredByMachine: 1, answeredUnserved: 0 });
    // Calls start at START + k minutes and end 50 s later.
    expect(report.fieldwork).toEqual({ firstCallAt: new Date(START).toISOString(), lastCallAt: new Date(START + 5 * 60_000 + 50_000).toISOString() });
    expect(report.billing).toEqual({ billableCalls: 1, billableSeconds: 60, amountMinor: 12, currency: 'EUR', providerCost: { amountMicros: 10_500, pricedCalls: 1 } });
    expect(report.generatedAt).toBe(new Date(START + 30 * 86_400_000).toISOString());
  });

  it("is the client's report unless the operator's is asked for: the billed amount without the provider cost", async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { contacts: [{ score: 9 }] });
    const report = await buildReport(deps, { listId });
    expect(report.audience).toBe('client');
    expect(report.billing).toEqual({ billableCalls: 1, billableSeconds: 60, amountMinor: 12, currency: 'EUR' });
  });

  it('counts comments by download state with their seconds', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [
        { score: 2, comment: { status: 'downloaded', file: 'list-1/call-1.mp3', seconds: 12 } },
        { score: 9, comment: { status: 'pending', seconds: 4 } },
        { score: 7, comment: { status: 'failed' } },
        { score: 10 },
      ],
    });
    expect((await buildReport(deps, { listId })).comments).toEqual({ recorded: 3, downloaded: 1, pending: 1, failed: 1, totalSeconds: 16 });
  });
});

describe('report builder: segments', () => {
  it('breaks down by every attribute and by survey language, flagging segments under 30 answers', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      script: { company: 'Acme', language: 'pl-PL' },
      contacts: [
        ...scored({ promoters: 20, passives: 10, detractors: 10 }, { attributes: { region: 'North', agent: 'Ann' }, language: 'en-US' }),
        ...scored({ promoters: 2, passives: 1, detractors: 7 }, { attributes: { region: 'South' } }),
        ...others(5, 'busy', { attributes: { region: 'South', agent: 'Bob' } }),
      ],
    });
    const report = await buildReport(deps, { listId });
    expect(Object.keys(report.segments)).toEqual(['agent', 'language', 'region']);
    expect(report.segments.region).toEqual([
      expect.objectContaining({ value: 'North', contacts: 40, eligible: 40, responses: 40, promoters: 20, passives: 10, detractors: 10, nps: 25, lowSample: false }),
      expect.objectContaining({ value: 'South', contacts: 15, responses: 10, promoters: 2, passives: 1, detractors: 7, nps: -50, lowSample: true }),
    ]);
    // The 10 South respondents have no agent: they form the no-value group, so the breakdown adds up.
    expect(report.segments.agent).toEqual([
      expect.objectContaining({ value: 'Ann', contacts: 40, responses: 40 }),
      expect.objectContaining({ value: 'Bob', contacts: 5, responses: 0, nps: null, npsCi95: null, lowSample: true }),
      expect.objectContaining({ value: null, contacts: 10, responses: 10, nps: -50 }),
    ]);
    // Contacts without a language get the list's.
    expect(report.segments.language!.map((r) => [r.value, r.contacts])).toEqual([
      ['en-US', 40],
      ['pl-PL', 15],
    ]);
    const north = report.segments.region![0]!;
    expect(north.npsCi95![0]).toBeLessThanOrEqual(25);
    expect(north.npsCi95![1]).toBeGreaterThanOrEqual(25);
  });

  it('leaves out an attribute with more than the maximum number of values, and says so', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: Array.from({ length: MAX_SEGMENT_VALUES + 1 }, (_, i) => ({ score: 9, attributes: { customer: `C${i}`, region: i % 2 ? 'East' : 'West' } })),
    });
    const report = await buildReport(deps, { listId });
    expect(report.segments.customer).toBeUndefined();
    expect(report.segmentsOmitted).toEqual([{ attribute: 'customer', reason: `more than ${MAX_SEGMENT_VALUES} distinct values` }]);
    expect(report.segments.region!.map((r) => r.contacts)).toEqual([51, 50]);
  });

  it('keeps exact counts when there are more distinct attribute objects than it keeps in memory', () => {
    const acc = new ReportAccumulator();
    const rows = MAX_DISTINCT_KEYS + 500;
    for (let i = 0; i < rows; i++) {
      const attributes = JSON.stringify({ id: `X${i}`, tier: i % 3 === 0 ? 'gold' : 'basic' });
      const score = i % 11;
      acc.add(`${attributes}${KEY_SEPARATOR}${i % 2 ? 'pl-PL' : ''}`, { contacts: 1, eligible: 1, responses: 1, promoters: score >= 9 ? 1 : 0, detractors: score < 7 ? 1 : 0, comments: 0 });
    }
    const result = acc.result();
    expect(result.total.contacts).toBe(rows);
    const attributes = new Map(result.attributes);
    expect(attributes.get('id')).toBeNull();
    const tiers = new Map(attributes.get('tier')!);
    expect(tiers.get('gold')!.contacts + tiers.get('basic')!.contacts).toBe(rows);
    expect(tiers.get('gold')!.contacts).toBe(Math.ceil(rows / 3));
    expect(new Map(result.languages).get('pl-PL')!.contacts).toBe(Math.floor(rows / 2));
  });
});

describe('report builder: the why', () => {
  it("reads the attributes of a triggered survey's contacts, numbers among them, as text", async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [
        { score: 2, text: { text: 'Too slow', themes: ['speed'] } },
        { score: 3, text: { text: 'Slow and dear', themes: ['price', 'speed'] } },
        { score: 9, text: { text: 'Quick', themes: ['speed'] } },
        { score: 10, text: { text: 'Fair price', themes: ['price'] } },
      ],
    });
    // A triggered survey's attributes may be numbers or booleans (triggers/store.ts).
    database.sqlite.prepare(`UPDATE contacts SET attributes = json_object('tier', id % 2, 'vip', json('true')) WHERE list_id = ?`).run(listId);
    const { why } = await buildReport(deps, { listId });
    expect(why.topThemesBySegment.tier!.map((s) => [s.value, s.comments])).toEqual([
      ['0', 2],
      ['1', 2],
    ]);
    expect(why.verbatims.find((v) => v.theme === 'speed')!.items[0]!.segment).toEqual({ tier: expect.stringMatching(/^[01]$/), vip: 'true' });
  });
});

describe('report builder: waves', () => {
  it('compares with the previous wave and tracks the people who answered both', async () => {
    const { deps, database, clock } = setup();
    const { clientId } = await seedClient(database, clock);
    const phones = Array.from({ length: 6 }, (_, i) => `+48700000${String(i).padStart(3, '0')}`);
    const first = seedList(database, {
      clientId,
      contacts: [
        { phone: phones[0], score: 10 },
        { phone: phones[1], score: 3 },
        { phone: phones[2], score: 8 },
        { phone: phones[3], score: 2 },
        { phone: phones[4], status: 'busy' },
        ...scored({ promoters: 179, passives: 119, detractors: 98 }),
      ],
    });
    const second = seedList(database, {
      clientId,
      previousListId: first.listId,
      contacts: [
        { phone: phones[0], score: 9 },
        { phone: phones[1], score: 10 },
        { phone: phones[2], score: 1 },
        { phone: phones[3], score: 6 },
        { phone: phones[4], score: 10 },
        { phone: phones[5], score: 7 },
        ...scored({ promoters: 217, passives: 109, detractors: 88 }),
      ],
    });
    const report = await buildReport(deps, { listId: second.listId });
    expect(report.previousListId).toBe(first.listId);
    expect(report.wave!.previous).toMatchObject({ listId: first.listId, responses: 400, promoters: 180, passives: 120, detractors: 100, nps: 20 });
    // 220 P / 110 Pa / 90 D against 180 / 120 / 100: the reference's wave example.
    expect(report.wave!.change).toMatchObject({ method: 'adjusted-wald-independent', significant: false, degreesOfFreedom: null });
    expect(report.wave!.change!.estimate).toBeCloseTo(10.8817, 4);
    expect(report.wave!.change!.pValue).toBeCloseTo(0.05264, 4);
    expect(report.wave!.panel.matched).toBe(4);
    expect(report.wave!.panel.migration).toEqual({
      promoter: { promoter: 1, passive: 0, detractor: 0 },
      passive: { promoter: 0, passive: 0, detractor: 1 },
      detractor: { promoter: 1, passive: 0, detractor: 1 },
    });
    // d = 0, −1, +2, 0: mean 0.25, s = 1.2583, t = 0.3974 with 3 df.
    expect(report.wave!.panel.change).toMatchObject({ method: 'paired-t', degreesOfFreedom: 3 });
    expect(report.wave!.panel.change!.estimate).toBeCloseTo(25, 10);
    expect(report.wave!.panel.change!.statistic).toBeCloseTo(0.39736, 4);
  });

  it("does not compare with another client's list", async () => {
    const { deps, database, clock } = setup();
    const a = await seedClient(database, clock);
    const b = await seedClient(database, clock);
    const first = seedList(database, { clientId: a.clientId, contacts: scored({ promoters: 5, passives: 0, detractors: 0 }) });
    const second = seedList(database, { clientId: b.clientId, previousListId: first.listId, contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
    const report = await buildReport(deps, { listId: second.listId });
    expect(report.previousListId).toBe(first.listId);
    expect(report.wave).toBeNull();
  });
});
