import { describe, expect, it } from '@jest/globals';
import { CasesQuery, listCases, SqliteCaseStore, updateCase } from '../../src/followup/index.js';
import { buildReport, renderReport } from '../../src/reports/index.js';
import { testEnv } from '../support/factories.js';
import { rejection } from '../support/imports.js';
import { openCases, reportDeps, scored, seedClient, seedList, START } from '../support/reports.js';

const HOUR = 3_600_000;

async function setup() {
  const env = testEnv(START);
  const acme = await seedClient(env.database, env.clock, 'Acme');
  const list = seedList(env.database, { clientId: acme.clientId, contacts: scored({ promoters: 2, passives: 1, detractors: 4 }, { attributes: { agent: 'Ann' } }) });
  const caseIds = await openCases(env.database, list.listId);
  return { env, acme, listId: list.listId, caseIds, deps: { cases: new SqliteCaseStore(env.database), clock: env.clock } };
}

const query = (q: Record<string, string> = {}) => CasesQuery.parse(q);

describe('follow-up cases', () => {
  it('opens a case per detractor only, due 48 hours after the score', async () => {
    const { caseIds, deps } = await setup();
    expect(caseIds).toHaveLength(4);
    const cases = await listCases(deps, { query: query() });
    expect(cases.map((c) => [c.score, c.status, c.agent])).toEqual(Array.from({ length: 4 }, () => [3, 'open', 'Ann']));
    for (const c of cases) expect(Date.parse(c.dueAt) - Date.parse(c.createdAt)).toBe(48 * HOUR);
  });

  it('computes overdue cases with the injected clock: open past the deadline, not contacted or resolved ones', async () => {
    const { env, listId, caseIds, deps: caseDeps } = await setup();
    const [a, b, c] = caseIds as [number, number, number, number];
    await updateCase(caseDeps, { caseId: a, patch: { status: 'contacted' } });
    env.clock.set(START + 47 * HOUR);
    expect(await listCases(caseDeps, { query: query({ overdue: 'true' }) })).toEqual([]);
    expect((await buildReport(reportDeps(env.database, { clock: env.clock }), { listId })).followUp.overdue).toBe(0);

    env.clock.set(START + 72 * HOUR);
    await updateCase(caseDeps, { caseId: b, patch: { status: 'resolved', note: 'refund issued' } });
    const overdue = await listCases(caseDeps, { query: query({ overdue: 'true' }) });
    expect(overdue.map((x) => x.id).sort()).toEqual(caseIds.filter((id) => id !== a && id !== b).sort());
    expect(overdue.every((x) => x.overdue && x.status === 'open')).toBe(true);

    const deps = reportDeps(env.database, { clock: env.clock });
    const report = await buildReport(deps, { listId });
    expect(report.followUp).toMatchObject({ cases: 4, open: 2, contacted: 1, resolved: 1, followedUp: 2, completionRate: 0.5, overdue: 2, followedUpLate: 1 });
    expect(report.followUp.overdueCases.map((x) => x.id)).toEqual([c, caseIds[3]]);
    expect(report.followUp.overdueCases[0]).toMatchObject({ score: 3, agent: 'Ann', owner: null, overdueHours: expect.any(Number) });
    const html = (await renderReport(deps, { listId, format: 'html' })).body as string;
    expect(html).toContain('data-testid="follow-up-overdue">2<');
    expect(html).toContain('data-testid="follow-up-completion">50.0%<');
    expect(html).toMatch(/<table data-testid="overdue">.*<td class="num">3<\/td><td>Ann<\/td><td>unassigned<\/td>/s);
  });

  it('updates status, owner and note: contactedAt and resolvedAt are set once, reopening clears resolvedAt', async () => {
    const { env, caseIds, deps } = await setup();
    const id = caseIds[0]!;
    env.clock.advance(HOUR);
    const contacted = await updateCase(deps, { caseId: id, patch: { status: 'contacted', owner: 'Eve' } });
    expect(contacted).toMatchObject({ status: 'contacted', owner: 'Eve', contactedAt: new Date(START + HOUR).toISOString(), resolvedAt: null });
    env.clock.advance(HOUR);
    // A repeated PATCH moves nothing but updatedAt.
    expect(await updateCase(deps, { caseId: id, patch: { status: 'contacted' } })).toMatchObject({ contactedAt: contacted.contactedAt, updatedAt: new Date(START + 2 * HOUR).toISOString() });
    const resolved = await updateCase(deps, { caseId: id, patch: { status: 'resolved', note: 'called back' } });
    expect(resolved).toMatchObject({ status: 'resolved', note: 'called back', resolvedAt: new Date(START + 2 * HOUR).toISOString(), contactedAt: contacted.contactedAt });
    expect(await updateCase(deps, { caseId: id, patch: { status: 'open', owner: null, note: null } })).toMatchObject({ status: 'open', owner: null, note: null, resolvedAt: null });
  });

  it("refuses an empty or malformed patch naming the field, and answers NOT_FOUND for another client's case", async () => {
    const { env, caseIds, deps } = await setup();
    expect((await rejection(updateCase(deps, { caseId: caseIds[0]!, patch: {} }))).message).toBe('give at least one of owner, status, note');
    const bad = await rejection(updateCase(deps, { caseId: caseIds[0]!, patch: { status: 'closed', owner: '' } }));
    expect(bad.code).toBe('INPUT_INVALID');
    expect(bad.message).toBe('owner: must not be empty; send null to unassign; status: must be one of open, contacted, resolved, got "closed"');
    const globex = await seedClient(env.database, env.clock, 'Globex');
    const other = await rejection(updateCase(deps, { clientId: globex.clientId, caseId: caseIds[0]!, patch: { status: 'resolved' } }));
    expect(other.code).toBe('NOT_FOUND');
    expect(other.message).toBe((await rejection(updateCase(deps, { clientId: globex.clientId, caseId: 9999, patch: { status: 'resolved' } }))).message.replace('9999', String(caseIds[0])));
    expect((await listCases(deps, { query: query() })).every((c) => c.status === 'open')).toBe(true);
  });

  it('computes a move from the case as read again when another writer moved it in between, and gives up with CONFLICT when it keeps moving', async () => {
    const { env, caseIds } = await setup();
    const id = caseIds[0]!;
    const firstContact = START + 5 * 60_000;
    env.clock.set(START + HOUR);
    // Another writer (another request, another process) toggles the case right after each of our reads.
    let moves = 1;
    class Racing extends SqliteCaseStore {
      override async byId(caseId: number, clientId?: number) {
        const read = await super.byId(caseId, clientId);
        if (moves-- > 0) {
          env.database.sqlite
            .prepare(`UPDATE cases SET status = CASE status WHEN 'open' THEN 'contacted' ELSE 'open' END, contacted_at = coalesce(contacted_at, ?) WHERE id = ?`)
            .run(firstContact, caseId);
        }
        return read;
      }
    }
    const deps = { cases: new Racing(env.database), clock: env.clock };
    // Written from the stale read, contactedAt would be now: the first contact's time is kept.
    expect(await updateCase(deps, { caseId: id, patch: { status: 'contacted', owner: 'Eve' } })).toMatchObject({
      status: 'contacted',
      owner: 'Eve',
      contactedAt: new Date(firstContact).toISOString(),
      updatedAt: new Date(START + HOUR).toISOString(),
    });

    moves = Infinity;
    const conflict = await rejection(updateCase(deps, { caseId: id, patch: { owner: 'Bob' } }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe(`case ${id} kept changing while it was being updated; try again`);
    moves = 0;
    expect((await listCases(deps, { query: query() })).find((c) => c.id === id)).toMatchObject({ owner: 'Eve' });
  });
});
