import { describe, expect, it } from '@jest/globals';
import type { ScheduleStore } from '../../src/schedules/store.js';
import { freshFixture } from '../support/conformance.js';

/** One adapter under test, with the engine-specific way to put the lists a schedule needs in place. */
export interface ScheduleStoreFixture {
  store: ScheduleStore;
  /** A ready list (or one still importing) with `open` contacts pending and `final` responded ones; returns its id. */
  seedList(list: { name: string; open: number; final: number; acceptsTriggers?: boolean; importing?: boolean; nextAt?: number[] }): Promise<number>;
  close(): Promise<void>;
}

const timing = { cron: '0 20 * * 1-5', timezone: 'Europe/Warsaw', untilMinute: 360, durationMs: null };

/**
 * The contract of the schedules' store (src/schedules/store.ts), which every adapter passes:
 * SQLite and PostgreSQL (the bullmq way: one suite, every adapter).
 */
export function scheduleStoreConformance(name: string, open: () => Promise<ScheduleStoreFixture>): void {
  describe(`schedule store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('knows what adding a schedule needs of a ready list, and nothing of a list that is not ready', async () => {
      const { store, seedList } = await start();
      const shop = await seedList({ name: 'shop', open: 2, final: 1 });
      const triggered = await seedList({ name: 'web', open: 0, final: 0, acceptsTriggers: true });
      const importing = await seedList({ name: 'half', open: 3, final: 0, importing: true });
      await expect(store.listFacts(shop)).resolves.toEqual({ name: 'shop', acceptsTriggers: false, open: 2, contacts: 3 });
      await expect(store.listFacts(triggered)).resolves.toEqual({ name: 'web', acceptsTriggers: true, open: 0, contacts: 0 });
      await expect(store.listFacts(importing)).resolves.toBeUndefined();
      await expect(store.listFacts(999_999)).resolves.toBeUndefined();
    });

    it('stores a schedule as active, reads it back with its list name, and lists every schedule oldest first', async () => {
      const { store, seedList } = await start();
      const listId = await seedList({ name: 'shop', open: 1, final: 0 });
      const first = await store.insert({ listId, ...timing, createdAt: 1000 });
      const second = await store.insert({ listId, cron: '30 8 * * *', timezone: 'UTC', untilMinute: null, durationMs: 3_600_000, createdAt: 2000 });
      expect(second).toBeGreaterThan(first);
      const stored = { id: first, listId, listName: 'shop', ...timing, status: 'active', lastStartedAt: null, lastEndedAt: null, lastResult: null, createdAt: 1000 };
      await expect(store.get(first)).resolves.toEqual(stored);
      await expect(store.get(second)).resolves.toMatchObject({ untilMinute: null, durationMs: 3_600_000 });
      await expect(store.get(first + second + 1)).resolves.toBeUndefined();
      expect((await store.all()).map((s) => s.id)).toEqual([first, second]);
      expect((await store.active()).map((s) => s.id)).toEqual([first, second]);
    });

    it('removes a schedule once, and says so', async () => {
      const { store, seedList } = await start();
      const id = await store.insert({ listId: await seedList({ name: 'shop', open: 1, final: 0 }), ...timing, createdAt: 1000 });
      await expect(store.remove(id)).resolves.toBe(true);
      await expect(store.remove(id)).resolves.toBe(false);
      await expect(store.get(id)).resolves.toBeUndefined();
      await expect(store.all()).resolves.toEqual([]);
    });

    it('records a run starting (clearing the last result) and ending, for every schedule given', async () => {
      const { store, seedList } = await start();
      const listId = await seedList({ name: 'shop', open: 1, final: 0 });
      const a = await store.insert({ listId, ...timing, createdAt: 1000 });
      const b = await store.insert({ listId, ...timing, createdAt: 1000 });
      const untouched = await store.insert({ listId, ...timing, createdAt: 1000 });
      await store.recordRunStarted([a, b], 5000);
      await store.recordRunEnded([a, b], 6000, 'paused: 1 contact(s) wait');
      await store.recordRunStarted([a], 7000);
      await expect(store.get(a)).resolves.toMatchObject({ lastStartedAt: 7000, lastEndedAt: null, lastResult: null });
      await expect(store.get(b)).resolves.toMatchObject({ lastStartedAt: 5000, lastEndedAt: 6000, lastResult: 'paused: 1 contact(s) wait' });
      await expect(store.get(untouched)).resolves.toMatchObject({ lastStartedAt: null, lastEndedAt: null, lastResult: null });
    });

    it("marks only the final list's schedules done, and done ones no longer fire", async () => {
      const { store, seedList } = await start();
      const finalList = await seedList({ name: 'done', open: 0, final: 2 });
      const other = await seedList({ name: 'other', open: 1, final: 0 });
      const doneId = await store.insert({ listId: finalList, ...timing, createdAt: 1000 });
      const otherId = await store.insert({ listId: other, ...timing, createdAt: 1000 });
      await store.markListDone(finalList);
      await store.markListDone(finalList);
      await expect(store.get(doneId)).resolves.toMatchObject({ status: 'done' });
      await expect(store.get(otherId)).resolves.toMatchObject({ status: 'active' });
      expect((await store.active()).map((s) => s.id)).toEqual([otherId]);
      expect((await store.all()).map((s) => s.id)).toEqual([doneId, otherId]);
    });

    it('lists the ready lists that take triggered surveys with when their next pending contact is due', async () => {
      const f = await start();
      const due = await f.seedList({ name: 'Support', open: 2, final: 1, acceptsTriggers: true, nextAt: [5_000, 3_000] });
      const idle = await f.seedList({ name: 'Support idle', open: 0, final: 2, acceptsTriggers: true });
      await f.seedList({ name: 'Q1', open: 3, final: 0, nextAt: [1, 1, 1] });
      await f.seedList({ name: 'Support import', open: 1, final: 0, acceptsTriggers: true, importing: true, nextAt: [1] });
      expect(await f.store.triggeredLists()).toEqual([
        { id: due, nextAt: 3_000 },
        { id: idle, nextAt: null },
      ]);
    });
  });
}
