import { describe, expect, it } from '@jest/globals';
import type { CaseStore, NewCase, StoredCase } from '../../src/followup/case-store.js';
import { freshFixture } from '../support/conformance.js';
import type { FollowUpScene, Respondent } from './follow-up-scene.js';

/** One adapter under test, with the engine's way to put clients, lists and respondents in place. */
export interface CaseStoreFixture extends FollowUpScene {
  store: CaseStore;
  /** The store as a second node sees it (a pool of its own where the engine has pools); `store` again where it has one connection. */
  otherNode: CaseStore;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const T0 = 1_767_600_000_000;
const DUE = T0 + 48 * HOUR;

/**
 * The contract of the follow-up cases' store (src/followup/case-store.ts), which every adapter
 * passes: SQLite and PostgreSQL (case-store.sqlite.test.ts, case-store.pg.test.ts).
 */
export function caseStoreConformance(name: string, open: () => Promise<CaseStoreFixture>): void {
  describe(`case store conformance: ${name}`, () => {
    const start = freshFixture(open);

    let phones = 0;
    /** A respondent of the list and the case opened for them; returns the case id and the respondent's ids. */
    const opened = async (f: CaseStoreFixture, listId: number, clientId: number | null, respondent: Partial<Respondent> = {}, newCase: Partial<NewCase> = {}) => {
      const r = await f.respondent(listId, { phone: `+4860200${String(++phones).padStart(4, '0')}`, score: 3, at: T0, ...respondent });
      const caseId = await f.store.open({
        responseId: r.responseId,
        clientId,
        listId,
        contactId: r.contactId,
        callId: r.callId,
        score: respondent.score ?? 3,
        threshold: 6,
        agent: 'Ann',
        owner: null,
        dueAt: DUE,
        at: T0,
        ...newCase,
      });
      if (caseId === undefined) throw new Error('the case was not opened');
      return { caseId, ...r };
    };

    it('knows what a case of a list and contact is opened with, and nothing of an unknown list', async () => {
      const f = await start();
      const clientId = await f.client('Olga');
      const listId = await f.list(clientId, '{"alertThreshold":4,"caseOwner":"Eve"}');
      const { contactId } = await f.respondent(listId, { phone: '+48501000001', attributes: '{"agent":"Ann","ticket":"T-1"}', score: 2, at: T0 });
      await expect(f.store.contextOf(listId, contactId)).resolves.toEqual({
        clientId,
        followUp: '{"alertThreshold":4,"caseOwner":"Eve"}',
        clientOwner: 'Olga',
        attributes: '{"agent":"Ann","ticket":"T-1"}',
      });
      const orphan = await f.list(null);
      const other = await f.respondent(orphan, { phone: '+48501000002', score: 1, at: T0 });
      await expect(f.store.contextOf(orphan, other.contactId)).resolves.toEqual({ clientId: null, followUp: '{}', clientOwner: null, attributes: '{}' });
      await expect(f.store.contextOf(999_999, contactId)).resolves.toBeUndefined();
    });

    it('opens one case per response, open and as given; opening the same response again opens nothing', async () => {
      const f = await start();
      const clientId = await f.client();
      const listId = await f.list(clientId);
      const r = await f.respondent(listId, { phone: '+48501000001', attributes: '{"agent":"Ann"}', score: 2, at: T0 });
      const newCase: NewCase = { responseId: r.responseId, clientId, listId, contactId: r.contactId, callId: r.callId, score: 2, threshold: 6, agent: 'Ann', owner: 'Olga', dueAt: DUE, at: T0 };
      const caseId = await f.store.open(newCase);
      expect(caseId).toEqual(expect.any(Number));
      // A duplicated input webhook: the same response, whatever else it says.
      await expect(f.store.open({ ...newCase, score: 0, owner: 'Bob', at: T0 + HOUR })).resolves.toBeUndefined();
      await expect(f.store.byId(caseId!)).resolves.toEqual({
        id: caseId!,
        clientId,
        listId,
        surveyId: null,
        responseId: r.responseId,
        callId: r.callId,
        score: 2,
        agent: 'Ann',
        contact: { id: r.contactId, phone: '+48501000001', attributes: '{"agent":"Ann"}' },
        comment: { text: null, themes: [], sentiment: null },
        reason: null,
        owner: 'Olga',
        status: 'open',
        note: null,
        dueAt: DUE,
        createdAt: T0,
        updatedAt: T0,
        contactedAt: null,
        resolvedAt: null,
      } satisfies StoredCase);
      expect(await f.store.list({ limit: 100, now: T0 })).toHaveLength(1);
      const second = await opened(f, listId, clientId);
      expect(second.caseId).toBeGreaterThan(caseId!);
    });

    it("reads a case with what the detractor said and the survey that triggered it; nothing of an unknown case or of another client's", async () => {
      const f = await start();
      const acme = await f.client();
      const globex = await f.client();
      const listId = await f.list(acme);
      const { caseId, surveyId } = await opened(f, listId, acme, {
        triggered: true,
        comment: { status: 'downloaded', textStatus: 'ready', text: 'too slow and too dear', sentiment: 'negative' },
        reason: 'price',
        themes: ['speed', 'price'],
      });
      expect(surveyId).toEqual(expect.any(Number));
      await expect(f.store.byId(caseId, acme)).resolves.toMatchObject({
        id: caseId!,
        surveyId,
        comment: { text: 'too slow and too dear', themes: ['price', 'speed'], sentiment: 'negative' },
        reason: 'price',
      });
      await expect(f.store.byId(caseId)).resolves.toMatchObject({ id: caseId, clientId: acme });
      await expect(f.store.byId(caseId, globex)).resolves.toBeUndefined();
      await expect(f.store.byId(caseId + 1000)).resolves.toBeUndefined();
    });

    it('lists cases newest first, by client, list, status, theme and overdue at a given time; at most `limit`, older than `before`', async () => {
      const f = await start();
      const acme = await f.client();
      const globex = await f.client();
      const [l1, l2, l3] = [await f.list(acme), await f.list(acme), await f.list(globex)];
      const a1 = (await opened(f, l1, acme)).caseId;
      const a2 = await opened(f, l1, acme);
      const a3 = (await opened(f, l2, acme, { themes: ['price', 'staff'] })).caseId;
      const b1 = (await opened(f, l3, globex, { themes: ['price'] }, { dueAt: DUE + 24 * HOUR })).caseId;
      const read = (await f.store.byId(a2.caseId))!;
      await f.store.update({ caseId: a2.caseId, from: read, to: { status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: null }, at: T0 + HOUR });
      const ids = async (filter: Partial<Parameters<CaseStore['list']>[0]>) => (await f.store.list({ limit: 100, now: T0, ...filter })).map((c) => c.id);

      expect(await ids({})).toEqual([b1, a3, a2.caseId, a1]);
      expect(await ids({ clientId: acme })).toEqual([a3, a2.caseId, a1]);
      expect(await ids({ clientId: globex })).toEqual([b1]);
      expect(await ids({ listId: l1 })).toEqual([a2.caseId, a1]);
      expect(await ids({ clientId: globex, listId: l1 })).toEqual([]);
      expect(await ids({ status: 'contacted' })).toEqual([a2.caseId]);
      expect(await ids({ status: 'open', clientId: acme })).toEqual([a3, a1]);
      expect(await ids({ theme: 'price' })).toEqual([b1, a3]);
      expect(await ids({ theme: 'price', clientId: acme })).toEqual([a3]);
      expect(await ids({ theme: 'speed' })).toEqual([]);
      // Overdue: still open after the deadline, at the time given (at the deadline itself it is not yet).
      expect(await ids({ overdue: true, now: DUE })).toEqual([]);
      expect(await ids({ overdue: true, now: DUE + 1 })).toEqual([a3, a1]);
      expect(await ids({ overdue: false, now: DUE + 1 })).toEqual([b1, a2.caseId]);
      expect(await ids({ overdue: true, now: DUE + 24 * HOUR + 1 })).toEqual([b1, a3, a1]);
      // Paging.
      expect(await ids({ limit: 2 })).toEqual([b1, a3]);
      expect(await ids({ limit: 2, before: a3 })).toEqual([a2.caseId, a1]);
      expect(await ids({ before: a1 })).toEqual([]);
      const [listed] = await f.store.list({ limit: 1, now: T0, clientId: acme, status: 'contacted' });
      expect(listed).toEqual(await f.store.byId(a2.caseId));
    });

    it('moves a case as told, sets or keeps its owner and note, and stamps updatedAt', async () => {
      const f = await start();
      const clientId = await f.client();
      const { caseId } = await opened(f, await f.list(clientId), clientId);
      const contacted = await f.store.update({
        caseId,
        from: { status: 'open', contactedAt: null, resolvedAt: null },
        to: { status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: null },
        owner: 'Eve',
        note: 'left a message',
        at: T0 + HOUR,
      });
      expect(contacted).toMatchObject({ id: caseId, status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: null, owner: 'Eve', note: 'left a message', updatedAt: T0 + HOUR, createdAt: T0 });
      await expect(f.store.byId(caseId)).resolves.toEqual(contacted);

      const resolved = await f.store.update({ caseId, from: contacted!, to: { status: 'resolved', contactedAt: T0 + HOUR, resolvedAt: T0 + 2 * HOUR }, at: T0 + 2 * HOUR });
      expect(resolved).toMatchObject({ status: 'resolved', contactedAt: T0 + HOUR, resolvedAt: T0 + 2 * HOUR, owner: 'Eve', note: 'left a message', updatedAt: T0 + 2 * HOUR });

      const reopened = await f.store.update({ caseId, clientId, from: resolved!, to: { status: 'open', contactedAt: T0 + HOUR, resolvedAt: null }, owner: null, note: null, at: T0 + 3 * HOUR });
      expect(reopened).toMatchObject({ status: 'open', contactedAt: T0 + HOUR, resolvedAt: null, owner: null, note: null, updatedAt: T0 + 3 * HOUR });
      await expect(f.store.byId(caseId)).resolves.toEqual(reopened);
    });

    it('refuses an update computed from a case that moved since it was read, and leaves the case as it is', async () => {
      const f = await start();
      const clientId = await f.client();
      const { caseId } = await opened(f, await f.list(clientId), clientId);
      const read = (await f.store.byId(caseId))!;
      const first = await f.store.update({ caseId, from: read, to: { status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: null }, owner: 'Eve', at: T0 + HOUR });
      expect(first).toBeDefined();
      // The same read again: the case is no longer open.
      await expect(f.store.update({ caseId, from: read, to: { status: 'resolved', contactedAt: null, resolvedAt: T0 + 2 * HOUR }, owner: 'Bob', at: T0 + 2 * HOUR })).resolves.toBeUndefined();
      // The right status, but not the first contact it had.
      await expect(
        f.store.update({ caseId, from: { status: 'contacted', contactedAt: T0, resolvedAt: null }, to: { status: 'contacted', contactedAt: T0, resolvedAt: null }, note: 'x', at: T0 + 2 * HOUR }),
      ).resolves.toBeUndefined();
      await expect(
        f.store.update({ caseId, from: { status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: T0 }, to: { status: 'open', contactedAt: T0 + HOUR, resolvedAt: null }, at: T0 + 2 * HOUR }),
      ).resolves.toBeUndefined();
      await expect(f.store.byId(caseId)).resolves.toEqual(first);
    });

    it('lets one of two operators who move the same case at once win; the other is refused and changes nothing', async () => {
      const f = await start();
      const clientId = await f.client();
      const { caseId } = await opened(f, await f.list(clientId), clientId);
      const read = (await f.store.byId(caseId))!;
      // Both computed their move from the same read: one marks it contacted, the other resolves it.
      const [contacted, resolved] = await Promise.all([
        f.store.update({ caseId, from: read, to: { status: 'contacted', contactedAt: T0 + HOUR, resolvedAt: null }, owner: 'Eve', note: 'called back', at: T0 + HOUR }),
        f.otherNode.update({ caseId, from: read, to: { status: 'resolved', contactedAt: null, resolvedAt: T0 + HOUR }, owner: 'Bob', note: 'sorted by email', at: T0 + HOUR }),
      ]);
      const winners = [contacted, resolved].filter((c) => c !== undefined);
      expect(winners).toHaveLength(1);
      // The case is the winner's, whole: not one's status with the other's owner or note.
      await expect(f.store.byId(caseId)).resolves.toEqual(winners[0]);
      expect(winners[0]).toMatchObject(contacted ? { status: 'contacted', owner: 'Eve', note: 'called back' } : { status: 'resolved', owner: 'Bob', note: 'sorted by email' });
    });

    it("refuses to update an unknown case or another client's, and changes nothing", async () => {
      const f = await start();
      const acme = await f.client();
      const globex = await f.client();
      const { caseId } = await opened(f, await f.list(acme), acme);
      const before = (await f.store.byId(caseId))!;
      const change = { caseId, from: before, to: { status: 'resolved' as const, contactedAt: null, resolvedAt: T0 + HOUR }, owner: 'Mallory', at: T0 + HOUR };
      await expect(f.store.update({ ...change, caseId: caseId + 1000 })).resolves.toBeUndefined();
      await expect(f.store.update({ ...change, clientId: globex })).resolves.toBeUndefined();
      await expect(f.store.byId(caseId)).resolves.toEqual(before);
      await expect(f.store.list({ limit: 100, now: T0, clientId: globex })).resolves.toEqual([]);
      // Its own client's, or the operator's (any client): updated.
      await expect(f.store.update({ ...change, clientId: acme })).resolves.toMatchObject({ status: 'resolved', owner: 'Mallory' });
      const now = (await f.store.byId(caseId))!;
      await expect(f.store.update({ caseId, from: now, to: now, note: 'by the operator', at: T0 + 2 * HOUR })).resolves.toMatchObject({ note: 'by the operator', owner: 'Mallory' });
    });
  });
}
