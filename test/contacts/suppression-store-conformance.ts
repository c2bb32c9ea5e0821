import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { addSuppressions, listSuppressions, removeSuppression, type SuppressionStore } from '../../src/contacts/index.js';
import type { ContactStatus } from '../../src/db/schema/index.js';
import { freshFixture } from '../support/conformance.js';

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface SuppressionStoreFixture {
  store: SuppressionStore;
  /** The same list as another node sees it: another connection (on SQLite, one process, the same database). */
  otherNode: SuppressionStore;
  /** A ready list; returns its id. */
  list(name: string): Promise<number>;
  /** A contact of a list waiting (or not) for its next attempt; returns its id. */
  contact(listId: number, contact: { phone: string; status: ContactStatus; nextAttemptAt?: number }): Promise<number>;
  /** What putting a number on the list changes in a contact. */
  inspect(contactId: number): Promise<{ status: ContactStatus; nextAttemptAt: number | null; updatedAt: number }>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);

/**
 * The contract of the do-not-call list's store (src/contacts/suppression-store.ts) and of the
 * operator's use cases over it (src/contacts/suppression.ts), which every adapter passes: SQLite
 * today, PostgreSQL with issue 17. A callee's opt-out (ContactStore.suppressOptOut) is in the call
 * stores' suite (test/calls/store-conformance.ts).
 */
export function suppressionStoreConformance(name: string, open: () => Promise<SuppressionStoreFixture>): void {
  describe(`suppression store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('adds numbers as the operator writes them, counting the added, the already listed and the invalid ones', async () => {
      const { store } = await start();
      const clock = new ManualClock(NOW);
      await expect(addSuppressions({ suppressions: store, clock, numbers: ['+48501234567'], source: 'operator' })).resolves.toEqual({ added: 1, already: 0, invalid: [], contactsSuppressed: 0 });
      clock.advance(60_000);
      const summary = await addSuppressions({
        suppressions: store,
        clock,
        numbers: ['0048 501 234 567', '601 234 567', '+48601234567', '12345', 'n/a', '701 234 567'],
        country: 'PL',
        source: 'import',
        reason: 'asked on the phone',
      });
      expect(summary).toEqual({
        added: 2,
        already: 2,
        invalid: [
          { value: '12345', outcome: 'invalid', reason: 'is too short for PL' },
          { value: 'n/a', outcome: 'invalid', reason: 'is not a phone number' },
        ],
        contactsSuppressed: 0,
      });
      // An entry already there keeps its source, reason and time.
      await expect(listSuppressions({ suppressions: store })).resolves.toEqual([
        { phoneE164: '+48501234567', source: 'operator', reason: null, createdAt: NOW },
        { phoneE164: '+48601234567', source: 'import', reason: 'asked on the phone', createdAt: NOW + 60_000 },
        { phoneE164: '+48701234567', source: 'import', reason: 'asked on the phone', createdAt: NOW + 60_000 },
      ]);
      await expect(addSuppressions({ suppressions: store, clock, numbers: ['501 234 567'], source: 'operator' })).resolves.toEqual({
        added: 0,
        already: 0,
        invalid: [{ value: '501 234 567', outcome: 'invalid', reason: expect.stringContaining('--country') }],
        contactsSuppressed: 0,
      });
      // The port answers for each number given, in order.
      await expect(store.add(['+48801234567', '+48501234567', '+48801234567'], { source: 'operator', reason: null }, NOW)).resolves.toEqual({
        added: [true, false, false],
        contactsSuppressed: 0,
      });
      await expect(store.add([], { source: 'operator', reason: null }, NOW)).resolves.toEqual({ added: [], contactsSuppressed: 0 });
    });

    it('suppresses the waiting contacts of the numbers in every list, and no contact called or being called', async () => {
      const { store, list, contact, inspect } = await start();
      const clock = new ManualClock(NOW);
      const a = await list('a');
      const b = await list('b');
      const waiting = await contact(a, { phone: '+48601234567', status: 'pending', nextAttemptAt: NOW });
      const elsewhere = await contact(b, { phone: '+48601234567', status: 'pending', nextAttemptAt: NOW + 5_000 });
      const dialing = await contact(a, { phone: '+48701234567', status: 'dialing' });
      const answered = await contact(b, { phone: '+48701234567', status: 'responded' });
      const other = await contact(a, { phone: '+48801234567', status: 'pending', nextAttemptAt: NOW });
      clock.advance(60_000);
      const summary = await addSuppressions({ suppressions: store, clock, numbers: ['+48601234567', '+48701234567'], source: 'operator' });
      expect(summary).toMatchObject({ added: 2, contactsSuppressed: 2 });
      await expect(inspect(waiting)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW + 60_000 });
      await expect(inspect(elsewhere)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW + 60_000 });
      // A call under way is not taken back (the dialer checks the list before the next one); a final contact stays final.
      await expect(inspect(dialing)).resolves.toMatchObject({ status: 'dialing' });
      await expect(inspect(answered)).resolves.toMatchObject({ status: 'responded' });
      await expect(inspect(other)).resolves.toEqual({ status: 'pending', nextAttemptAt: NOW, updatedAt: 0 });
      // A number already listed still stops a contact of it that waits since (one added without the check).
      await expect(store.add(['+48801234567'], { source: 'operator', reason: null }, NOW + 1)).resolves.toEqual({ added: [true], contactsSuppressed: 1 });
      const late = await contact(b, { phone: '+48801234567', status: 'pending', nextAttemptAt: NOW });
      await expect(store.add(['+48801234567'], { source: 'operator', reason: null }, NOW + 2)).resolves.toEqual({ added: [false], contactsSuppressed: 1 });
      await expect(inspect(late)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW + 2 });
      await expect(inspect(other)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW + 1 });
    });

    it('adds each number once and stops each waiting contact once when two nodes add overlapping numbers at once, in any order', async () => {
      const { store, otherNode, list, contact, inspect } = await start();
      // Enough numbers for the two batches to overlap in time, a few of them waiting in two lists.
      const numbers = Array.from({ length: 500 }, (_, i) => `+48501${String(i).padStart(6, '0')}`);
      const lists = [await list('a'), await list('b')];
      const waiting: number[] = [];
      for (const listId of lists) for (const phone of numbers.filter((_, i) => i % 100 === 7)) waiting.push(await contact(listId, { phone, status: 'pending', nextAttemptAt: NOW }));
      const entry = { source: 'operator', reason: null } as const;
      // Both nodes connected before the race, so that neither starts late.
      await Promise.all([store.all(), otherNode.all()]);
      const [forward, backward] = await Promise.all([store.add(numbers, entry, NOW), otherNode.add([...numbers].reverse(), entry, NOW)]);
      // Each number was put on the list by exactly one of the two.
      const addedBy = numbers.map((_, i) => Number(forward.added[i]) + Number(backward.added[numbers.length - 1 - i]));
      expect(addedBy).toEqual(numbers.map(() => 1));
      expect(forward.contactsSuppressed + backward.contactsSuppressed).toBe(waiting.length);
      for (const contactId of waiting) await expect(inspect(contactId)).resolves.toMatchObject({ status: 'suppressed', nextAttemptAt: null });
      expect((await store.all()).map((e) => e.phoneE164)).toEqual(numbers);
    });

    it('lists the do-not-call list oldest first, then by number', async () => {
      const { store } = await start();
      await store.add(['+48701000000', '+48501000000'], { source: 'operator', reason: null }, NOW + 10);
      await store.add(['+48601000000'], { source: 'import', reason: 'file' }, NOW);
      await expect(store.all()).resolves.toEqual([
        { phoneE164: '+48601000000', source: 'import', reason: 'file', createdAt: NOW },
        { phoneE164: '+48501000000', source: 'operator', reason: null, createdAt: NOW + 10 },
        { phoneE164: '+48701000000', source: 'operator', reason: null, createdAt: NOW + 10 },
      ]);
    });

    it('takes a number off the list however it is written, leaving its suppressed contacts so, and refuses one not on it', async () => {
      const { store, list, contact, inspect } = await start();
      const clock = new ManualClock(NOW);
      const id = await contact(await list('shop'), { phone: '+48501234567', status: 'pending', nextAttemptAt: NOW });
      await addSuppressions({ suppressions: store, clock, numbers: ['+48501234567', '+48601234567'], source: 'operator' });
      await expect(removeSuppression({ suppressions: store, number: '501 234 567', country: 'PL' })).resolves.toEqual({ e164: '+48501234567' });
      await expect(inspect(id)).resolves.toMatchObject({ status: 'suppressed' });
      expect((await listSuppressions({ suppressions: store })).map((e) => e.phoneE164)).toEqual(['+48601234567']);
      await expect(removeSuppression({ suppressions: store, number: '+48501234567' })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: '+48501234567 is not on the do-not-call list' }),
      );
      await expect(removeSuppression({ suppressions: store, number: '12345', country: 'PL' })).rejects.toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message: "'12345' is too short for PL" }));
      await expect(store.remove('+48501234567')).resolves.toBe(false);
      await expect(store.remove('+48601234567')).resolves.toBe(true);
      await expect(store.all()).resolves.toEqual([]);
      // A number taken off may be put back, as new.
      await expect(store.add(['+48601234567'], { source: 'operator', reason: 'again' }, NOW + 5)).resolves.toEqual({ added: [true], contactsSuppressed: 0 });
    });
  });
}
