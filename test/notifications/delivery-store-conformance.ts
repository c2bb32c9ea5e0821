import { describe, expect, it } from '@jest/globals';
import type { DeliveryStore, EnqueueDelivery } from '../../src/notifications/index.js';
import { freshFixture } from '../support/conformance.js';

/** What a response's alert waits for: its comment's audio and text, and when its call ended. */
export interface ResponseState {
  commentStatus: 'none' | 'pending' | 'downloaded' | 'failed' | 'deleted';
  textStatus: 'none' | 'pending' | 'ready' | 'empty' | 'failed';
  callEndedAt: number | null;
}

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface DeliveryStoreFixture {
  store: DeliveryStore;
  /** The store as a second worker sees it (a pool of its own where the engine has pools); `store` again where it has one connection. */
  otherNode: DeliveryStore;
  client(receiver: { alertUrl: string | null; secret: string | null; reportUrl: string | null }): Promise<number>;
  list(clientId: number | null): Promise<number>;
  response(listId: number, state: ResponseState): Promise<number>;
  enqueue(input: { listId: number; clientId: number | null; responseId?: number; dueAt: number; payload?: string; dedupeKey?: string }): Promise<number>;
  inspect(deliveryId: number): Promise<{ status: string; attempts: number; nextAttemptAt: number; lastError: string | null; lastStatusCode: number | null; deliveredAt: number | null; payload: string | null; attemptRows: number }>;
  close(): Promise<void>;
}

const NOW = 1_000_000;
const GRACE = 30_000;

/**
 * The contract of the delivery worker's store (src/notifications/delivery-store.ts), which every
 * adapter passes: SQLite and PostgreSQL (delivery-store.sqlite.test.ts, delivery-store.pg.test.ts).
 */
export function deliveryStoreConformance(name: string, open: () => Promise<DeliveryStoreFixture>): void {
  describe(`delivery store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('queues a delivery once per event: a new id, nothing for the same dedupe key again, and the first body kept', async () => {
      const f = await start();
      const listId = await f.list(null);
      const before = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'before' });
      const report: EnqueueDelivery = {
        event: 'report.interim',
        dedupeKey: `report:${listId}:1`,
        clientId: null,
        listId,
        payload: { kind: 'interim', totals: { responses: 3, nps: 33.3 }, note: 'zażółć' },
        dueAt: NOW + 5,
        now: NOW,
      };
      const id = await f.store.enqueue(report);
      expect(id).toEqual(expect.any(Number));
      expect(id).not.toBe(before);
      await expect(f.store.enqueue({ ...report, payload: { kind: 'later' }, dueAt: NOW })).resolves.toBeUndefined();
      const stored = await f.inspect(id!);
      expect(stored).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: NOW + 5, lastError: null, lastStatusCode: null, deliveredAt: null, attemptRows: 0 });
      expect(JSON.parse(stored.payload!)).toEqual(report.payload);
      expect((await f.store.neverTried(listId)).map((d) => [d.id, d.event, d.dedupeKey, d.responseId])).toEqual([
        [before, 'report.interim', 'before', null],
        [id, 'report.interim', report.dedupeKey, null],
      ]);
      // The body queued is the one sent: a body built at the first attempt does not replace it.
      expect(JSON.parse(await f.store.freezePayload(id!, '{"kind":"built"}'))).toEqual(report.payload);
    });

    it("queues a response's alert without a body, to wait for its comment", async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: 'https://crm.example/hook', secret: 's', reportUrl: null });
      const listId = await f.list(clientId);
      const settled = await f.response(listId, { commentStatus: 'downloaded', textStatus: 'ready', callEndedAt: NOW - 1000 });
      const awaited = await f.response(listId, { commentStatus: 'pending', textStatus: 'none', callEndedAt: NOW - 1000 });
      const alert = (responseId: number) => ({ event: 'detractor.alert' as const, dedupeKey: `alert:${responseId}`, clientId, listId, responseId, dueAt: NOW + 60_000, now: NOW });
      const ready = await f.store.enqueue(alert(settled));
      const waiting = await f.store.enqueue(alert(awaited));
      await expect(f.store.enqueue(alert(settled))).resolves.toBeUndefined();
      await expect(f.inspect(ready!)).resolves.toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: NOW + 60_000, payload: null });
      const due = await f.store.due(NOW, GRACE, 10);
      expect(due.map((d) => d.id)).toEqual([ready]);
      expect(due[0]).toMatchObject({ event: 'detractor.alert', clientId, listId, responseId: settled, payload: null });
      expect(waiting).toEqual(expect.any(Number));
    });

    it('finds what is due: retries whose time came, and first alerts whose comment settled or whose call ended a grace ago', async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: 'https://crm.example/hook', secret: 's', reportUrl: null });
      const listId = await f.list(clientId);
      const later = NOW + 60_000;
      const id = async (label: string, state: ResponseState | undefined, dueAt: number) =>
        [label, await f.enqueue({ listId, clientId, dueAt, dedupeKey: label, ...(state ? { responseId: await f.response(listId, state) } : {}) })] as const;
      const cases = [
        await id('report due', undefined, NOW - 5),
        await id('report later', undefined, later),
        await id('comment downloaded, text ready', { commentStatus: 'downloaded', textStatus: 'ready', callEndedAt: NOW - 1000 }, later),
        await id('comment downloaded, text pending', { commentStatus: 'downloaded', textStatus: 'pending', callEndedAt: NOW - 1000 }, later),
        await id('comment failed', { commentStatus: 'failed', textStatus: 'none', callEndedAt: NOW - 1000 }, later),
        await id('silence deleted', { commentStatus: 'deleted', textStatus: 'empty', callEndedAt: NOW - 1000 }, later),
        await id('recording awaited', { commentStatus: 'pending', textStatus: 'none', callEndedAt: NOW - 1000 }, later),
        await id('no comment, ended long ago', { commentStatus: 'none', textStatus: 'none', callEndedAt: NOW - GRACE - 1 }, later),
        await id('no comment, ended just now', { commentStatus: 'none', textStatus: 'none', callEndedAt: NOW - 10 }, later),
        await id('no comment, call live', { commentStatus: 'none', textStatus: 'none', callEndedAt: null }, later),
        await id('spoken words, no audio', { commentStatus: 'none', textStatus: 'ready', callEndedAt: NOW - GRACE - 1 }, later),
        await id('waited its longest', { commentStatus: 'pending', textStatus: 'pending', callEndedAt: null }, NOW),
      ];
      const due = await f.store.due(NOW, GRACE, 100);
      const label = (deliveryId: number) => cases.find(([, caseId]) => caseId === deliveryId)![0];
      expect(due.map((d) => label(d.id)).sort()).toEqual(
        ['report due', 'comment downloaded, text ready', 'comment failed', 'silence deleted', 'no comment, ended long ago', 'spoken words, no audio', 'waited its longest'].sort(),
      );
      // Oldest due first, then by id; at most `limit`.
      expect((await f.store.due(NOW, GRACE, 2)).map((d) => label(d.id))).toEqual(['report due', 'waited its longest']);
      expect(due[0]).toMatchObject({ listId, clientId, status: 'pending', attempts: 0, event: 'report.interim' });
    });

    it('never offers a delivery that was delivered or skipped, and knows when the next pending one is due', async () => {
      const f = await start();
      await expect(f.store.nextDueAt()).resolves.toBeNull();
      const listId = await f.list(null);
      const a = await f.enqueue({ listId, clientId: null, dueAt: NOW - 1, dedupeKey: 'a' });
      const b = await f.enqueue({ listId, clientId: null, dueAt: NOW + 500, dedupeKey: 'b' });
      await expect(f.store.nextDueAt()).resolves.toBe(NOW - 1);
      await expect(f.store.skip({ id: a, attempts: 0 }, 'the list has no client to send it to')).resolves.toBe(true);
      await expect(f.store.nextDueAt()).resolves.toBe(NOW + 500);
      await f.store.recordAttempt({ id: b, attempts: 0 }, { attempt: 1, attemptedAt: NOW, target: 'https://x.example/h', statusCode: 204, error: null, durationMs: 3, status: 'delivered', nextAttemptAt: NOW, deliveredAt: NOW });
      await expect(f.store.due(NOW + 10_000, GRACE, 100)).resolves.toEqual([]);
      await expect(f.store.nextDueAt()).resolves.toBeNull();
    });

    it("lists a list's deliveries never tried, oldest first", async () => {
      const f = await start();
      const listId = await f.list(null);
      const other = await f.list(null);
      const first = await f.enqueue({ listId, clientId: null, dueAt: NOW + 9, dedupeKey: 'first' });
      const tried = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'tried' });
      const second = await f.enqueue({ listId, clientId: null, dueAt: NOW + 1, dedupeKey: 'second' });
      await f.enqueue({ listId: other, clientId: null, dueAt: NOW, dedupeKey: 'other' });
      await f.store.recordAttempt({ id: tried, attempts: 0 }, { attempt: 1, attemptedAt: NOW, target: 't', statusCode: 500, error: 'HTTP 500', durationMs: 1, status: 'pending', nextAttemptAt: NOW + 30_000, deliveredAt: null });
      expect((await f.store.neverTried(listId)).map((d) => d.id)).toEqual([first, second]);
    });

    it("reads a client's receiver, and nothing for an unknown client", async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: 'https://crm.example/alerts', secret: 'k', reportUrl: 'https://crm.example/reports' });
      await expect(f.store.receiver(clientId)).resolves.toEqual({ alertUrl: 'https://crm.example/alerts', secret: 'k', reportUrl: 'https://crm.example/reports' });
      await expect(f.store.receiver(clientId + 1000)).resolves.toBeUndefined();
    });

    it('skips only a delivery that has not changed since it was read', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'x' });
      await expect(f.store.skip({ id, attempts: 1 }, 'stale')).resolves.toBe(false);
      await expect(f.store.skip({ id, attempts: 0 }, 'no alert URL')).resolves.toBe(true);
      await expect(f.store.skip({ id, attempts: 0 }, 'again')).resolves.toBe(false);
      await expect(f.inspect(id)).resolves.toMatchObject({ status: 'skipped', lastError: 'no alert URL', attempts: 0 });
    });

    it('freezes the first body built, so that every retry sends the same bytes', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'p' });
      await expect(f.store.freezePayload(id, '{"score":3}')).resolves.toBe('{"score":3}');
      await expect(f.store.freezePayload(id, '{"score":3,"text":"later"}')).resolves.toBe('{"score":3}');
      const given = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'given', payload: '{"kind":"report"}' });
      await expect(f.store.freezePayload(given, '{}')).resolves.toBe('{"kind":"report"}');
    });

    it('records each attempt once and moves the delivery on: a retry, then delivered', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'r' });
      const failed = { attempt: 1, attemptedAt: NOW, target: 'https://crm.example/hook', statusCode: 503, error: 'the receiver answered HTTP 503', durationMs: 12, status: 'pending' as const, nextAttemptAt: NOW + 30_000, deliveredAt: null };
      await expect(f.store.recordAttempt({ id, attempts: 0 }, failed)).resolves.toBe(true);
      await expect(f.store.recordAttempt({ id, attempts: 0 }, failed)).resolves.toBe(false);
      await expect(f.inspect(id)).resolves.toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOW + 30_000, lastStatusCode: 503, lastError: 'the receiver answered HTTP 503', deliveredAt: null, attemptRows: 1 });
      await expect(f.store.due(NOW + 29_999, GRACE, 10)).resolves.toEqual([]);
      expect((await f.store.due(NOW + 30_000, GRACE, 10)).map((d) => d.attempts)).toEqual([1]);
      await f.store.recordAttempt({ id, attempts: 1 }, { ...failed, attempt: 2, attemptedAt: NOW + 30_000, statusCode: 204, error: null, status: 'delivered', nextAttemptAt: NOW + 30_000, deliveredAt: NOW + 30_000 });
      await expect(f.inspect(id)).resolves.toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null, deliveredAt: NOW + 30_000, attemptRows: 2 });
    });

    it('records the attempt of one of two workers that read the same due delivery and record at once; the delivery moves once, as the winner says', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'raced' });
      const [mine, theirs] = [await f.store.due(NOW, GRACE, 10), await f.otherNode.due(NOW, GRACE, 10)];
      expect([mine.map((d) => d.id), theirs.map((d) => d.id)]).toEqual([[id], [id]]);
      const delivered = { attempt: 1, attemptedAt: NOW, target: 'https://crm.example/hook', statusCode: 204, error: null, durationMs: 5, status: 'delivered' as const, nextAttemptAt: NOW, deliveredAt: NOW };
      const failed = { ...delivered, statusCode: 503, error: 'the receiver answered HTTP 503', status: 'pending' as const, nextAttemptAt: NOW + 30_000, deliveredAt: null };
      const recorded = await Promise.all([f.store.recordAttempt(mine[0]!, delivered), f.otherNode.recordAttempt(theirs[0]!, failed)]);
      expect(recorded.filter(Boolean)).toHaveLength(1);
      const winner = recorded[0] ? delivered : failed;
      await expect(f.inspect(id)).resolves.toMatchObject({ status: winner.status, attempts: 1, lastStatusCode: winner.statusCode, nextAttemptAt: winner.nextAttemptAt, attemptRows: 1 });
      // What the loser read is stale now: it cannot skip the delivery either.
      await expect(f.otherNode.skip(theirs[0]!, 'late')).resolves.toBe(false);
    });

    it('freezes one body of two workers that build it at once, and gives both that body', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'frozen' });
      const bodies = await Promise.all([f.store.freezePayload(id, '{"built":"here"}'), f.otherNode.freezePayload(id, '{"built":"there"}')]);
      expect(bodies[0]).toBe(bodies[1]);
      expect(['{"built":"here"}', '{"built":"there"}']).toContain(bodies[0]);
      await expect(f.inspect(id)).resolves.toMatchObject({ payload: bodies[0] });
    });

    it('skips a delivery once of two workers that skip it at once', async () => {
      const f = await start();
      const listId = await f.list(null);
      const id = await f.enqueue({ listId, clientId: null, dueAt: NOW, dedupeKey: 'skipped' });
      const skipped = await Promise.all([f.store.skip({ id, attempts: 0 }, 'no alert URL'), f.otherNode.skip({ id, attempts: 0 }, 'no alert URL either')]);
      expect(skipped.filter(Boolean)).toHaveLength(1);
      await expect(f.inspect(id)).resolves.toMatchObject({ status: 'skipped', lastError: skipped[0] ? 'no alert URL' : 'no alert URL either' });
    });
  });
}
