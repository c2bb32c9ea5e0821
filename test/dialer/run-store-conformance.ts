import { describe, expect, it } from '@jest/globals';
import type { ContactRow } from '../../src/contacts/index.js';
import type { RunStore } from '../../src/dialer/index.js';
import { freshFixture, refusal } from '../support/conformance.js';

export interface SceneContact {
  phone: string;
  status?: string;
  attempts?: number;
  nextAttemptAt?: number | null;
}

export interface SceneCall {
  attempt?: number;
  state?: string;
  outcome?: string | null;
  uuid?: string | null;
  createdAt?: number;
  endedAt?: number | null;
  answeredAt?: number | null;
  ivrStage?: string | null;
  answeredBy?: string | null;
}

/** One adapter of the outbound side's store, with the engine-specific ways to set the scene and look at the outcome. */
export interface RunStoreFixture {
  runs: RunStore;
  /**
   * The same store on a connection (a pool) of its own, as a second node has: a stale dialer and
   * its successor during a failover, racing `runs` for the same contacts and calls.
   */
  second: RunStore;
  /** A list (of a new client when `client` is set, of `clientId` when given). */
  list(scene?: { client?: boolean; clientId?: number | null }): Promise<{ listId: number; clientId: number | null }>;
  contact(listId: number, contact: SceneContact): Promise<number>;
  call(contactId: number, call?: SceneCall): Promise<number>;
  response(callId: number, score: number): Promise<void>;
  suppress(phone: string): Promise<void>;
  /** A callback kept in the call's history. */
  event(callId: number): Promise<void>;
  contactRow(contactId: number): Promise<{ status: string; attempts: number; nextAttemptAt: number | null } | undefined>;
  callRow(callId: number): Promise<{ state: string; uuid: string | null; conversationUuid: string | null; attempt: number; ref: string } | undefined>;
  close(): Promise<void>;
}

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const NO_CAPS = { clientId: null, minDaysBetweenSurveys: 0, maxAttemptsPer30Days: 0 };

/**
 * The contract of the outbound side's store (src/dialer/run-store.ts), on SQLite and PostgreSQL.
 * The racing cases run two stores on two connections at once: on SQLite they take turns (one
 * writer), on PostgreSQL they interleave, and either way each contact and attempt goes to one.
 */
export function runStoreConformance(name: string, open: () => Promise<RunStoreFixture>): void {
  describe(`run store conformance: ${name}`, () => {
    const start = freshFixture(open);

    /** The contact as the store hands it out. */
    const asRow = async (f: RunStoreFixture, listId: number, id: number): Promise<ContactRow> => (await f.runs.due(listId, Number.MAX_SAFE_INTEGER, 1_000)).find((c) => c.id === id)!;

    it('hands out the due pending contacts of the list, oldest due first, at most the limit', async () => {
      const f = await start();
      const { listId } = await f.list();
      const other = await f.list();
      const late = await f.contact(listId, { phone: '+48500000001', nextAttemptAt: NOW - 10 });
      const early = await f.contact(listId, { phone: '+48500000002', nextAttemptAt: NOW - 20 });
      const tie = await f.contact(listId, { phone: '+48500000003', nextAttemptAt: NOW - 10 });
      await f.contact(listId, { phone: '+48500000004', nextAttemptAt: NOW + 1 });
      await f.contact(listId, { phone: '+48500000005', nextAttemptAt: NOW - 30, status: 'dialing' });
      await f.contact(other.listId, { phone: '+48500000006', nextAttemptAt: NOW - 40 });
      expect((await f.runs.due(listId, NOW, 10)).map((c) => c.id)).toEqual([early, late, tie]);
      expect((await f.runs.due(listId, NOW, 2)).map((c) => c.id)).toEqual([early, late]);
      expect(await f.runs.due(listId, NOW, 1)).toEqual([expect.objectContaining({ id: early, listId, phoneE164: '+48500000002', status: 'pending', attempts: 0 })]);
    });

    it('applies claims, closings and parkings only to contacts still as read, and returns the claimed ones', async () => {
      const f = await start();
      const { listId } = await f.list();
      const ids = await Promise.all(['1', '2', '3', '4'].map((n) => f.contact(listId, { phone: `+4850000001${n}`, nextAttemptAt: NOW - 1 })));
      const [claim, close, park, stale] = await Promise.all(ids.map((id) => asRow(f, listId, id)));
      // Another run took `stale` meanwhile (its attempt count moved on).
      const claimed = await f.runs.applyDecisions(
        [
          { contact: claim!, decision: { kind: 'claim' } },
          { contact: close!, decision: { kind: 'close', status: 'suppressed' } },
          { contact: park!, decision: { kind: 'park', until: NOW + DAY } },
          { contact: { ...stale!, attempts: 5 }, decision: { kind: 'claim' } },
        ],
        NOW,
      );
      expect(claimed.map((c) => c.id)).toEqual([claim!.id]);
      expect(await f.contactRow(claim!.id)).toMatchObject({ status: 'dialing', attempts: 0 });
      expect(await f.contactRow(close!.id)).toMatchObject({ status: 'suppressed', nextAttemptAt: null });
      expect(await f.contactRow(park!.id)).toMatchObject({ status: 'pending', nextAttemptAt: NOW + DAY });
      expect(await f.contactRow(stale!.id)).toMatchObject({ status: 'pending', nextAttemptAt: NOW - 1 });
      // Claimed once: a second run's claim of the same read loses.
      expect(await f.runs.applyDecisions([{ contact: claim!, decision: { kind: 'claim' } }], NOW)).toEqual([]);
      // A closing or a parking does not touch a contact that is being dialled.
      await f.runs.applyDecisions([{ contact: claim!, decision: { kind: 'close', status: 'capped' } }, { contact: claim!, decision: { kind: 'park', until: NOW + 5 } }], NOW);
      expect(await f.contactRow(claim!.id)).toMatchObject({ status: 'dialing', nextAttemptAt: NOW - 1 });
    });

    it('reads the screening facts of a number: suppression, a recent survey of the same client, attempts in 30 days, a live call elsewhere', async () => {
      const f = await start();
      const acme = await f.list({ client: true });
      const acmeEarlier = await f.list({ clientId: acme.clientId });
      const globex = await f.list({ client: true });
      const phone = '+48500000021';
      const here = { listId: acme.listId, phoneE164: phone };
      const caps = { clientId: acme.clientId, minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 3 };
      expect(await f.runs.screeningFacts(here, caps, NOW)).toEqual({ suppressed: false, recentSurvey: null, attemptsLast30Days: 0, liveElsewhere: false });

      // A person answered for Acme 10 days ago; Globex's and an older answer do not count.
      const surveyed = await f.contact(acmeEarlier.listId, { phone, status: 'answered_no_score', attempts: 3 });
      await f.call(surveyed, { attempt: 1, state: 'ended', outcome: 'human', endedAt: NOW - 40 * DAY, createdAt: NOW - 40 * DAY });
      await f.call(surveyed, { attempt: 2, state: 'ended', outcome: 'human', endedAt: NOW - 10 * DAY, createdAt: NOW - 10 * DAY });
      await f.call(surveyed, { attempt: 3, state: 'ended', outcome: 'create_failed', endedAt: NOW - DAY, createdAt: NOW - DAY });
      const elsewhere = await f.contact(globex.listId, { phone, status: 'dialing', attempts: 1 });
      await f.call(elsewhere, { attempt: 1, state: 'ended', outcome: 'human', endedAt: NOW - DAY, createdAt: NOW - DAY });
      await f.suppress(phone);
      expect(await f.runs.screeningFacts(here, caps, NOW)).toEqual({
        suppressed: true,
        recentSurvey: { at: NOW - 10 * DAY, listId: acmeEarlier.listId },
        // The 40-day-old attempt is outside the window; the create that failed never rang.
        attemptsLast30Days: 2,
        liveElsewhere: true,
      });
      // Caps that are off are not looked up.
      expect(await f.runs.screeningFacts(here, NO_CAPS, NOW)).toMatchObject({ recentSurvey: null, attemptsLast30Days: null });
      // The number's own list being dialled is not "elsewhere".
      expect((await f.runs.screeningFacts({ listId: globex.listId, phoneE164: phone }, NO_CAPS, NOW)).liveElsewhere).toBe(false);
    });

    it('counts the lists without a client as one client for the survey cap', async () => {
      const f = await start();
      const [here, earlier, clients] = [await f.list(), await f.list(), await f.list({ client: true })];
      const phone = '+48500000022';
      const surveyed = await f.contact(earlier.listId, { phone, status: 'responded', attempts: 1 });
      await f.call(surveyed, { attempt: 1, state: 'ended', outcome: 'human', endedAt: NOW - DAY, createdAt: NOW - DAY });
      const caps = { clientId: null, minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 0 };
      expect(await f.runs.screeningFacts({ listId: here.listId, phoneE164: phone }, caps, NOW)).toEqual({
        suppressed: false,
        recentSurvey: { at: NOW - DAY, listId: earlier.listId },
        attemptsLast30Days: null,
        liveElsewhere: false,
      });
      expect((await f.runs.screeningFacts({ listId: here.listId, phoneE164: phone }, { ...caps, clientId: clients.clientId }, NOW)).recentSurvey).toBeNull();
    });

    it("knows a contact's response and the outcome of its last attempt", async () => {
      const f = await start();
      const { listId } = await f.list();
      const contact = await f.contact(listId, { phone: '+48500000031', attempts: 2 });
      expect(await f.runs.hasResponse(contact)).toBe(false);
      expect(await f.runs.lastOutcome(contact)).toBeNull();
      await f.call(contact, { attempt: 1, state: 'ended', outcome: 'busy' });
      const second = await f.call(contact, { attempt: 2, state: 'ended', outcome: 'human' });
      expect(await f.runs.lastOutcome(contact)).toBe('human');
      await f.response(second, 9);
      expect(await f.runs.hasResponse(contact)).toBe(true);
    });

    it('tells when the next pending contact is due and how many are open', async () => {
      const f = await start();
      const { listId } = await f.list();
      expect(await f.runs.nextDueAt(listId)).toBeNull();
      expect(await f.runs.openContacts(listId)).toEqual({ n: 0, nextAt: null });
      await f.contact(listId, { phone: '+48500000041', nextAttemptAt: NOW + 50 });
      await f.contact(listId, { phone: '+48500000042', nextAttemptAt: NOW + 20 });
      await f.contact(listId, { phone: '+48500000043', status: 'dialing', nextAttemptAt: NOW });
      await f.contact(listId, { phone: '+48500000044', status: 'responded', nextAttemptAt: null });
      expect(await f.runs.nextDueAt(listId)).toBe(NOW + 20);
      expect(await f.runs.openContacts(listId)).toEqual({ n: 3, nextAt: NOW + 20 });
    });

    it('begins an attempt (attempt counted, call row creating), marks it created, and undoes one never sent', async () => {
      const f = await start();
      const { listId } = await f.list();
      const id = await f.contact(listId, { phone: '+48500000051', nextAttemptAt: NOW, attempts: 1 });
      const [contact] = await f.runs.applyDecisions([{ contact: await asRow(f, listId, id), decision: { kind: 'claim' } }], NOW);
      const callId = await f.runs.beginAttempt(contact!, 2, 'ref-51', NOW);
      expect(await f.contactRow(id)).toMatchObject({ status: 'dialing', attempts: 2 });
      expect(await f.callRow(callId)).toMatchObject({ state: 'creating', attempt: 2, ref: 'ref-51', uuid: null });
      await f.runs.undoAttempt(callId, contact!, 2);
      expect(await f.callRow(callId)).toBeUndefined();
      expect(await f.contactRow(id)).toMatchObject({ attempts: 1 });
      await f.runs.release(contact!, NOW + 1);
      expect(await f.contactRow(id)).toMatchObject({ status: 'pending', attempts: 1 });

      // Created: the provider's uuids, unless a webhook brought one first; `started` unless it moved on.
      const [again] = await f.runs.applyDecisions([{ contact: await asRow(f, listId, id), decision: { kind: 'claim' } }], NOW);
      const created = await f.runs.beginAttempt(again!, 2, 'ref-52', NOW);
      await f.runs.markCreated(created, 'uuid-52', 'conv-52');
      expect(await f.callRow(created)).toMatchObject({ state: 'started', uuid: 'uuid-52', conversationUuid: 'conv-52' });
      await f.runs.markCreated(created, 'uuid-other', null);
      expect(await f.callRow(created)).toMatchObject({ uuid: 'uuid-52', conversationUuid: 'conv-52' });
      // A created call is not undone (nor its attempt taken back), and a contact being dialled under another attempt is not released.
      await f.runs.undoAttempt(created, again!, 2);
      expect(await f.callRow(created)).toBeDefined();
      expect(await f.contactRow(id)).toMatchObject({ status: 'dialing', attempts: 2 });
      await f.runs.release({ ...again!, attempts: 7 }, NOW);
      expect(await f.contactRow(id)).toMatchObject({ status: 'dialing' });
    });

    it("counts a list's progress: statuses, calls, people who answered, responses, promoters and detractors", async () => {
      const f = await start();
      const { listId } = await f.list();
      const a = await f.contact(listId, { phone: '+48500000061', status: 'responded', attempts: 1 });
      const b = await f.contact(listId, { phone: '+48500000062', status: 'responded', attempts: 1 });
      const c = await f.contact(listId, { phone: '+48500000063', status: 'dialing', attempts: 1 });
      const d = await f.contact(listId, { phone: '+48500000064', status: 'busy', attempts: 1 });
      await f.response(await f.call(a, { state: 'ended', outcome: 'human' }), 10);
      await f.response(await f.call(b, { state: 'ended', outcome: 'human' }), 3);
      // Live and answered, and live but picked up by a machine.
      await f.call(c, { state: 'answered', answeredAt: NOW, ivrStage: 'question' });
      await f.call(d, { state: 'ended', outcome: 'busy' });
      const e = await f.contact(listId, { phone: '+48500000065', status: 'dialing', attempts: 1 });
      await f.call(e, { state: 'answered', answeredAt: NOW, answeredBy: 'machine' });
      expect(await f.runs.progress(listId)).toEqual({
        byStatus: { responded: 2, dialing: 2, busy: 1 },
        contacts: 5,
        calls: 5,
        answered: 3,
        responses: 2,
        promoters: 1,
        detractors: 1,
      });
    });

    it('finds the calls an earlier process left in flight, and the lists that have any', async () => {
      const f = await start();
      const { listId } = await f.list();
      const other = await f.list();
      const idle = await f.list();
      const a = await f.contact(listId, { phone: '+48500000071', status: 'dialing', attempts: 1 });
      const b = await f.contact(listId, { phone: '+48500000072', status: 'dialing', attempts: 1 });
      const late = await f.call(a, { state: 'creating', createdAt: NOW - 5 });
      const early = await f.call(b, { state: 'ringing', uuid: 'uuid-72', createdAt: NOW - 10 });
      await f.call(await f.contact(listId, { phone: '+48500000073', status: 'busy', attempts: 1 }), { state: 'ended', outcome: 'busy', uuid: 'uuid-73', createdAt: NOW - 7 });
      await f.contact(other.listId, { phone: '+48500000074', status: 'dialing', attempts: 0 });
      await f.contact(idle.listId, { phone: '+48500000075' });
      expect(await f.runs.leftInFlight(listId)).toEqual([
        { id: early, listId, uuid: 'uuid-72', createdAt: NOW - 10, attempt: 1, contactId: b, phone: '+48500000072' },
        { id: late, listId, uuid: null, createdAt: NOW - 5, attempt: 1, contactId: a, phone: '+48500000071' },
      ]);
      expect(await f.runs.leftCall(late)).toEqual({ id: late, listId, uuid: null, createdAt: NOW - 5, attempt: 1, contactId: a, phone: '+48500000071' });
      expect(await f.runs.leftCall(999_999)).toBeUndefined();
      expect((await f.runs.listsInFlight()).sort((x, y) => x - y)).toEqual([listId, other.listId]);
      // Witnesses: the list's calls with a uuid created in the span, ended ones included.
      expect((await f.runs.uuidsCreatedBetween(listId, NOW - 10, NOW - 6)).sort()).toEqual(['uuid-72', 'uuid-73']);
      expect(await f.runs.uuidsCreatedBetween(other.listId, NOW - 10, NOW)).toEqual([]);
    });

    it('gives a create its listed uuid unless it has one or another call has it, and undoes a create never sent only while nothing named it', async () => {
      const f = await start();
      const { listId } = await f.list();
      const a = await f.contact(listId, { phone: '+48500000081', status: 'dialing', attempts: 1 });
      const b = await f.contact(listId, { phone: '+48500000082', status: 'dialing', attempts: 2, nextAttemptAt: null });
      const c = await f.contact(listId, { phone: '+48500000083', status: 'dialing', attempts: 1 });
      const taken = await f.call(await f.contact(listId, { phone: '+48500000084', status: 'dialing', attempts: 1 }), { state: 'ringing', uuid: 'uuid-taken' });
      const createA = await f.call(a, { state: 'creating', createdAt: NOW });
      expect(await f.runs.adoptListedUuid(createA, 'uuid-a')).toBe('uuid-a');
      expect(await f.callRow(createA)).toMatchObject({ state: 'started', uuid: 'uuid-a' });
      expect(await f.runs.adoptListedUuid(createA, 'uuid-a2')).toBe('uuid-a');
      const createB = await f.call(b, { attempt: 2, state: 'creating', createdAt: NOW });
      expect(await f.runs.adoptListedUuid(createB, 'uuid-taken')).toBeNull();
      expect(await f.callRow(taken)).toMatchObject({ uuid: 'uuid-taken' });

      // Undone: the row goes, the contact is due again with the attempt not counted.
      const left = (await f.runs.leftCall(createB))!;
      expect(await f.runs.undoUnsentAttempt(left, NOW + 1)).toBe(true);
      expect(await f.callRow(createB)).toBeUndefined();
      expect(await f.contactRow(b)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOW + 1 });
      // Not when a callback named it, nor when the contact moved on to another attempt.
      const createC = await f.call(c, { state: 'creating', createdAt: NOW });
      await f.event(createC);
      expect(await f.runs.undoUnsentAttempt((await f.runs.leftCall(createC))!, NOW)).toBe(false);
      expect(await f.callRow(createC)).toBeDefined();
      expect(await f.runs.undoUnsentAttempt({ ...(await f.runs.leftCall(createA))!, uuid: null, attempt: 3 }, NOW)).toBe(false);
    });

    it('gives contacts claimed but never dialled back to pending, and keeps those with a live call', async () => {
      const f = await start();
      const { listId } = await f.list();
      const claimed = await f.contact(listId, { phone: '+48500000091', status: 'dialing', attempts: 1, nextAttemptAt: null });
      const finished = await f.contact(listId, { phone: '+48500000092', status: 'dialing', attempts: 1, nextAttemptAt: NOW - 5 });
      await f.call(finished, { state: 'ended', outcome: 'busy' });
      const live = await f.contact(listId, { phone: '+48500000093', status: 'dialing', attempts: 1 });
      await f.call(live, { state: 'ringing', uuid: 'uuid-93' });
      await f.runs.releaseUnstarted(listId, NOW);
      expect(await f.contactRow(claimed)).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: NOW });
      expect(await f.contactRow(finished)).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: NOW - 5 });
      expect(await f.contactRow(live)).toMatchObject({ status: 'dialing' });
    });

    it('reads the waiting contacts for a re-plan and moves each only while it still waits at the time read, recording the rules', async () => {
      const f = await start();
      const { listId } = await f.list();
      expect(await f.runs.plannedRules(listId)).toBeNull();
      expect(await f.runs.plannedRules(999_999)).toBeUndefined();
      const fresh = await f.contact(listId, { phone: '+48500000101', nextAttemptAt: NOW });
      const retried = await f.contact(listId, { phone: '+48500000102', attempts: 1, nextAttemptAt: NOW + 10 });
      await f.call(retried, { attempt: 1, state: 'ended', outcome: 'busy', endedAt: NOW - 500 });
      const claimed = await f.contact(listId, { phone: '+48500000103', nextAttemptAt: NOW + 20 });
      await f.contact(listId, { phone: '+48500000104', status: 'dialing', attempts: 1, nextAttemptAt: NOW });
      const waiting = await f.runs.waitingContacts(listId);
      expect(waiting.sort((a, b) => a.id - b.id)).toEqual([
        { id: fresh, country: null, timezone: null, attempts: 0, notBefore: null, nextAttemptAt: NOW, lastEndedAt: null },
        { id: retried, country: null, timezone: null, attempts: 1, notBefore: null, nextAttemptAt: NOW + 10, lastEndedAt: NOW - 500 },
        { id: claimed, country: null, timezone: null, attempts: 0, notBefore: null, nextAttemptAt: NOW + 20, lastEndedAt: null },
      ]);
      // `claimed` is taken by a run between the read and the re-plan; `retried` moved meanwhile.
      await f.runs.applyDecisions([{ contact: await asRow(f, listId, claimed), decision: { kind: 'claim' } }], NOW);
      const moved = await f.runs.replan(
        listId,
        [
          { id: fresh, from: NOW, to: NOW + 1_000 },
          { id: retried, from: NOW + 5, to: NOW + 2_000 },
          { id: claimed, from: NOW + 20, to: NOW + 3_000 },
        ],
        '{"rules":1}',
        NOW,
      );
      expect(moved).toBe(1);
      expect(await f.contactRow(fresh)).toMatchObject({ status: 'pending', nextAttemptAt: NOW + 1_000 });
      expect(await f.contactRow(retried)).toMatchObject({ nextAttemptAt: NOW + 10 });
      expect(await f.contactRow(claimed)).toMatchObject({ status: 'dialing', nextAttemptAt: NOW + 20 });
      expect(await f.runs.plannedRules(listId)).toBe('{"rules":1}');
    });

    it("begins an attempt only while the contact is still the dialer's: a stale dialer's begin and undo change nothing after its successor took over", async () => {
      const f = await start();
      const { listId } = await f.list();
      const id = await f.contact(listId, { phone: '+48500000111', attempts: 1, nextAttemptAt: NOW });
      // The stale dialer claimed the contact and wrote its attempt row; its successor found the
      // create unsent (not in the provider's list) and gave the contact back.
      const [stale] = await f.runs.applyDecisions([{ contact: await asRow(f, listId, id), decision: { kind: 'claim' } }], NOW);
      const staleCall = await f.runs.beginAttempt(stale!, 2, 'ref-stale', NOW);
      expect(await f.second.undoUnsentAttempt((await f.second.leftCall(staleCall))!, NOW)).toBe(true);
      expect(await f.contactRow(id)).toMatchObject({ status: 'pending', attempts: 1 });

      // The stale dialer, retrying its create, may not dial a contact given back.
      await refusal(f.runs.beginAttempt(stale!, 2, 'ref-stale-again', NOW));
      expect(await f.contactRow(id)).toMatchObject({ status: 'pending', attempts: 1 });
      expect(await f.runs.leftInFlight(listId)).toEqual([]);

      // The successor claims it and begins the same attempt number; the stale dialer's undo of its
      // own (gone) row does not take that attempt back, nor may it begin or release anything.
      const [fresh] = await f.second.applyDecisions([{ contact: (await f.second.due(listId, NOW, 10))[0]!, decision: { kind: 'claim' } }], NOW);
      const freshCall = await f.second.beginAttempt(fresh!, 2, 'ref-fresh', NOW);
      await f.runs.undoAttempt(staleCall, stale!, 2);
      expect(await f.contactRow(id)).toMatchObject({ status: 'dialing', attempts: 2 });
      await refusal(f.runs.beginAttempt(stale!, 2, 'ref-stale-late', NOW));
      await f.runs.release(stale!, NOW);
      expect(await f.contactRow(id)).toMatchObject({ status: 'dialing', attempts: 2 });
      expect((await f.runs.leftInFlight(listId)).map((c) => c.id)).toEqual([freshCall]);
      expect(await f.callRow(freshCall)).toMatchObject({ state: 'creating', attempt: 2, ref: 'ref-fresh' });
    });

    it('lets exactly one of two dialers racing to begin the same attempt of a contact begin it', async () => {
      const f = await start();
      const { listId } = await f.list();
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => f.contact(listId, { phone: `+4850000012${i}`, attempts: 1, nextAttemptAt: NOW })));
      const claimed = await f.runs.applyDecisions(
        (await f.runs.due(listId, NOW, 100)).map((contact) => ({ contact, decision: { kind: 'claim' } as const })),
        NOW,
      );
      expect(claimed).toHaveLength(ids.length);
      const raced = await Promise.all(
        claimed.map((contact) => Promise.allSettled([f.runs.beginAttempt(contact, 2, `ref-a-${contact.id}`, NOW), f.second.beginAttempt(contact, 2, `ref-b-${contact.id}`, NOW)])),
      );
      for (const [i, outcomes] of raced.entries()) {
        const begun = outcomes.filter((o) => o.status === 'fulfilled');
        expect(begun).toHaveLength(1);
        expect(await f.contactRow(claimed[i]!.id)).toMatchObject({ status: 'dialing', attempts: 2 });
        expect(await f.callRow((begun[0] as PromiseFulfilledResult<number>).value)).toMatchObject({ state: 'creating', attempt: 2 });
      }
      // One attempt row per contact, whichever dialer won it.
      const rowsLeft = await f.runs.leftInFlight(listId);
      expect(rowsLeft.map((c) => c.contactId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    });

    // The races below run in rounds, several at once: on PostgreSQL each round is another chance
    // for the two connections' statements to interleave.
    const ROUNDS = 4;
    const claimAll = (page: ContactRow[]) => page.map((contact) => ({ contact, decision: { kind: 'claim' } as const }));

    it('gives each contact of a page two dialers read and claim at once to one of them only', async () => {
      const f = await start();
      const race = async () => {
        const { listId } = await f.list();
        const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => f.contact(listId, { phone: `+485000002${String(i).padStart(2, '0')}`, nextAttemptAt: NOW - i })));
        const [pageA, pageB] = await Promise.all([f.runs.due(listId, NOW, 30), f.second.due(listId, NOW, 30)]);
        expect([pageA.length, pageB.length]).toEqual([30, 30]);
        // In opposite orders, so that neither may wait on the other's rows in turn.
        const [a, b] = await Promise.all([f.runs.applyDecisions(claimAll(pageA), NOW), f.second.applyDecisions(claimAll([...pageB].reverse()), NOW)]);
        const claimedA = a.map((c) => c.id);
        const claimedB = b.map((c) => c.id);
        expect(claimedA.filter((id) => claimedB.includes(id))).toEqual([]);
        expect([...claimedA, ...claimedB].sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
        for (const id of ids) expect(await f.contactRow(id)).toMatchObject({ status: 'dialing', attempts: 0 });
        expect(await f.second.due(listId, NOW, 30)).toEqual([]);
      };
      await Promise.all(Array.from({ length: ROUNDS }, race));
    });

    it("applies two dialers' racing decisions for a contact as one after the other: claimed only by the claim that says so, a parking never moving a contact being dialled", async () => {
      const f = await start();
      const race = async () => {
        const { listId } = await f.list();
        const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => f.contact(listId, { phone: `+485000003${String(i).padStart(2, '0')}`, nextAttemptAt: NOW - 1 })));
        const [pageA, pageB] = await Promise.all([f.runs.due(listId, NOW, 20), f.second.due(listId, NOW, 20)]);
        const [claimed] = await Promise.all([
          f.runs.applyDecisions(claimAll(pageA), NOW),
          f.second.applyDecisions(
            [...pageB].reverse().map((contact) => ({ contact, decision: { kind: 'park', until: NOW + DAY } as const })),
            NOW,
          ),
        ]);
        const claimedIds = new Set(claimed.map((c) => c.id));
        for (const id of ids) {
          const row = await f.contactRow(id);
          if (claimedIds.has(id)) {
            // Claimed before the parking (which then changed nothing) or after it (the count read still held).
            expect(row).toMatchObject({ status: 'dialing', attempts: 0 });
            expect([NOW - 1, NOW + DAY]).toContain(row!.nextAttemptAt);
          } else {
            expect(row).toEqual({ status: 'pending', attempts: 0, nextAttemptAt: NOW + DAY });
          }
        }
      };
      await Promise.all(Array.from({ length: ROUNDS }, race));
    });

    it('keeps a contact whose attempt is being begun while the claims left unstarted are given back, or gives it back and refuses the attempt', async () => {
      const f = await start();
      const race = async () => {
        const { listId } = await f.list();
        await Promise.all(Array.from({ length: 12 }, (_, i) => f.contact(listId, { phone: `+485000004${String(i).padStart(2, '0')}`, attempts: 1, nextAttemptAt: NOW })));
        const claimed = await f.runs.applyDecisions(claimAll(await f.runs.due(listId, NOW, 100)), NOW);
        // A successor gives back what it finds claimed without a live call while the stale dialer begins its attempts.
        const [begins] = await Promise.all([
          Promise.allSettled(claimed.map((contact) => f.runs.beginAttempt(contact, 2, `ref-${contact.id}`, NOW))),
          f.second.releaseUnstarted(listId, NOW + 1),
        ]);
        const live = new Set((await f.runs.leftInFlight(listId)).map((c) => c.contactId));
        for (const [i, contact] of claimed.entries()) {
          const begun = begins[i]!.status === 'fulfilled';
          expect(live.has(contact.id)).toBe(begun);
          expect(await f.contactRow(contact.id)).toMatchObject(begun ? { status: 'dialing', attempts: 2 } : { status: 'pending', attempts: 1 });
        }
      };
      await Promise.all(Array.from({ length: ROUNDS }, race));
    });

    it('undoes a create never sent once when two reconcilers find it at the same time', async () => {
      const f = await start();
      const { listId } = await f.list();
      const race = async (i: number) => {
        const id = await f.contact(listId, { phone: `+485000005${String(i).padStart(2, '0')}`, status: 'dialing', attempts: 2, nextAttemptAt: null });
        const callId = await f.call(id, { attempt: 2, state: 'creating', createdAt: NOW });
        const left = (await f.runs.leftCall(callId))!;
        const undone = await Promise.all([f.runs.undoUnsentAttempt(left, NOW), f.second.undoUnsentAttempt(left, NOW)]);
        expect(undone.filter(Boolean)).toHaveLength(1);
        expect(await f.callRow(callId)).toBeUndefined();
        expect(await f.contactRow(id)).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: NOW });
      };
      await Promise.all(Array.from({ length: 2 * ROUNDS }, (_, i) => race(i)));
    });

    it('gives a listed uuid to one create only when two reconcilers adopt it for different rows at once', async () => {
      const f = await start();
      const { listId } = await f.list();
      const race = async (i: number) => {
        const create = async (n: number) =>
          f.call(await f.contact(listId, { phone: `+48500000${600 + 2 * i + n}`, status: 'dialing', attempts: 1 }), { state: 'creating', createdAt: NOW });
        const [x, y] = [await create(0), await create(1)];
        const uuid = `uuid-listed-${i}`;
        const adopted = await Promise.all([f.runs.adoptListedUuid(x, uuid), f.second.adoptListedUuid(y, uuid)]);
        expect(adopted.filter((got) => got === uuid)).toHaveLength(1);
        expect(adopted).toContain(null);
        expect([(await f.callRow(x))!.state, (await f.callRow(y))!.state].sort()).toEqual(['creating', 'started']);
      };
      await Promise.all(Array.from({ length: 2 * ROUNDS }, (_, i) => race(i)));
    });
  });
}
