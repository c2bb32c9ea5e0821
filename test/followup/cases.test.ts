import { describe, expect, it } from '@jest/globals';
import { CasesQuery, listCases, updateCase } from '../../src/followup/index.js';
import { buildReport, renderReport } from '../../src/reports/index.js';
import { testEnv, thrownAppError } from '../support/factories.js';
import { openCases, REPORT_TARIFF, scored, seedClient, seedList, START } from '../support/reports.js';

const HOUR = 3_600_000;

async function setup() {
  const env = testEnv(START);
  const acme = seedClient(env.database, env.clock, 'Acme');
  const list = seedList(env.database, { clientId: acme.clientId, contacts: scored({ promoters: 2, passives: 1, detractors: 4 }, { attributes: { agent: 'Ann' } }) });
  const caseIds = await openCases(env.database, list.listId);
  return { env, acme, listId: list.listId, caseIds };
}

const query = (q: Record<string, string> = {}) => CasesQuery.parse(q);

describe('follow-up cases', () => {
  it('opens a case per detractor only, due 48 hours after the score', async () => {
    const { env, caseIds } = await setup();
    expect(caseIds).toHaveLength(4);
    const cases = listCases(env, { query: query() });
    expect(cases.map((c) => [c.score, c.status, c.agent])).toEqual(Array.from({ length: 4 }, () => [3, 'open', 'Ann']));
    for (const c of cases) expect(Date.parse(c.dueAt) - Date.parse(c.createdAt)).toBe(48 * HOUR);
  });

  it('computes overdue cases with the injected clock: open past the deadline, not contacted or resolved ones', async () => {
    const { env, listId, caseIds } = await setup();
    const [a, b, c] = caseIds as [number, number, number, number];
    updateCase(env, { caseId: a, patch: { status: 'contacted' } });
    env.clock.set(START + 47 * HOUR);
    expect(listCases(env, { query: query({ overdue: 'true' }) })).toEqual([]);
    expect(buildReport({ ...env, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' } }, { listId }).followUp.overdue).toBe(0);

    env.clock.set(START + 72 * HOUR);
    updateCase(env, { caseId: b, patch: { status: 'resolved', note: 'refund issued' } });
    const overdue = listCases(env, { query: query({ overdue: 'true' }) });
    expect(overdue.map((x) => x.id).sort()).toEqual(caseIds.filter((id) => id !== a && id !== b).sort());
    expect(overdue.every((x) => x.overdue && x.status === 'open')).toBe(true);

    const deps = { ...env, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' }, linkSecret: undefined };
    const report = buildReport(deps, { listId });
    expect(report.followUp).toMatchObject({ cases: 4, open: 2, contacted: 1, resolved: 1, followedUp: 2, completionRate: 0.5, overdue: 2, followedUpLate: 1 });
    expect(report.followUp.overdueCases.map((x) => x.id)).toEqual([c, caseIds[3]]);
    expect(report.followUp.overdueCases[0]).toMatchObject({ score: 3, agent: 'Ann', owner: null, overdueHours: expect.any(Number) });
    const html = renderReport(deps, { listId, format: 'html' }).body as string;
    expect(html).toContain('data-testid="follow-up-overdue">2<');
    expect(html).toContain('data-testid="follow-up-completion">50.0%<');
    expect(html).toMatch(/<table data-testid="overdue">.*<td class="num">3<\/td><td>Ann<\/td><td>unassigned<\/td>/s);
  });

  it('updates status, owner and note: contactedAt and resolvedAt are set once, reopening clears resolvedAt', async () => {
    const { env, caseIds } = await setup();
    const id = caseIds[0]!;
    env.clock.advance(HOUR);
    const contacted = updateCase(env, { caseId: id, patch: { status: 'contacted', owner: 'Eve' } });
    expect(contacted).toMatchObject({ status: 'contacted', owner: 'Eve', contactedAt: new Date(START + HOUR).toISOString(), resolvedAt: null });
    env.clock.advance(HOUR);
    // A repeated PATCH moves nothing but updatedAt.
    expect(updateCase(env, { caseId: id, patch: { status: 'contacted' } })).toMatchObject({ contactedAt: contacted.contactedAt, updatedAt: new Date(START + 2 * HOUR).toISOString() });
    const resolved = updateCase(env, { caseId: id, patch: { status: 'resolved', note: 'called back' } });
    expect(resolved).toMatchObject({ status: 'resolved', note: 'called back', resolvedAt: new Date(START + 2 * HOUR).toISOString(), contactedAt: contacted.contactedAt });
    expect(updateCase(env, { caseId: id, patch: { status: 'open', owner: null, note: null } })).toMatchObject({ status: 'open', owner: null, note: null, resolvedAt: null });
  });

  it("refuses an empty or malformed patch naming the field, and answers NOT_FOUND for another client's case", async () => {
    const { env, caseIds } = await setup();
    expect(thrownAppError(() => updateCase(env, { caseId: caseIds[0]!, patch: {} })).message).toBe('give at least one of owner, status, note');
    const bad = thrownAppError(() => updateCase(env, { caseId: caseIds[0]!, patch: { status: 'closed', owner: '' } }));
    expect(bad.code).toBe('INPUT_INVALID');
    expect(bad.message).toBe('owner: must not be empty; send null to unassign; status: must be one of open, contacted, resolved, got "closed"');
    const globex = seedClient(env.database, env.clock, 'Globex');
    const other = thrownAppError(() => updateCase(env, { clientId: globex.clientId, caseId: caseIds[0]!, patch: { status: 'resolved' } }));
    expect(other.code).toBe('NOT_FOUND');
    expect(other.message).toBe(thrownAppError(() => updateCase(env, { clientId: globex.clientId, caseId: 9999, patch: { status: 'resolved' } })).message.replace('9999', String(caseIds[0])));
    expect(listCases(env, { query: query() }).every((c) => c.status === 'open')).toBe(true);
  });
});
