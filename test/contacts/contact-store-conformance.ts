import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { addSuppressions, listSuppressions, removeSuppression, type ContactStore } from '../../src/contacts/index.js';
import type { ContactStatus } from '../../src/db/schema/index.js';
import { freshFixture } from '../support/conformance.js';

/** A contact to put in place; what is not given is null (attempts: 0). */
export interface ContactSeed {
  phone: string;
  status: ContactStatus;
  attempts?: number;
  nextAttemptAt?: number;
  country?: string;
  timezone?: string;
  language?: string;
  name?: string;
}

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface ContactStoreFixture {
  store: ContactStore;
  /** A ready list; returns its id. */
  list(name: string): Promise<number>;
  /** A contact of a list; returns its id. */
  contact(listId: number, contact: ContactSeed): Promise<number>;
  /** What settling and suppressing change in a contact. */
  inspect(contactId: number): Promise<{ status: ContactStatus; nextAttemptAt: number | null; updatedAt: number }>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);

/**
 * The contract of the contacts' store (src/contacts/contact-store.ts: a contact's settlement and
 * the do-not-call list) and of the suppression use cases over it (src/contacts/suppression.ts),
 * which every adapter passes: SQLite today, PostgreSQL with issue 17.
 */
export function contactStoreConformance(name: string, open: () => Promise<ContactStoreFixture>): void {
  describe(`contact store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('reads a contact by id, and nothing for an unknown id', async () => {
      const { store, list, contact } = await start();
      const listId = await list('shop');
      const id = await contact(listId, { phone: '+48501000001', status: 'pending', attempts: 2, country: 'PL', timezone: 'Europe/Warsaw', language: 'pl-PL', name: 'Anna' });
      const bare = await contact(listId, { phone: '+48501000002', status: 'responded' });
      await expect(store.byId(id)).resolves.toEqual({ id, listId, phoneE164: '+48501000001', country: 'PL', timezone: 'Europe/Warsaw', language: 'pl-PL', name: 'Anna', status: 'pending', attempts: 2 });
      await expect(store.byId(bare)).resolves.toEqual({ id: bare, listId, phoneE164: '+48501000002', country: null, timezone: null, language: null, name: null, status: 'responded', attempts: 0 });
      await expect(store.byId(bare + 1000)).resolves.toBeUndefined();
    });

    it('settles a contact only while it is what the guard says, its attempt included', async () => {
      const { store, list, contact, inspect } = await start();
      const id = await contact(await list('shop'), { phone: '+48501000001', status: 'dialing', attempts: 2 });
      // A stale event of the first attempt does not move it.
      await expect(store.settle({ id, status: 'dialing', attempts: 1 }, 'busy', NOW + 600_000, NOW)).resolves.toBe(false);
      await expect(store.settle({ id, status: 'pending', attempts: 2 }, 'busy', NOW + 600_000, NOW)).resolves.toBe(false);
      await expect(inspect(id)).resolves.toMatchObject({ status: 'dialing' });
      await expect(store.settle({ id, status: 'dialing', attempts: 2 }, 'pending', NOW + 600_000, NOW)).resolves.toBe(true);
      await expect(inspect(id)).resolves.toEqual({ status: 'pending', nextAttemptAt: NOW + 600_000, updatedAt: NOW });
      // Without an attempt, any attempt may be settled again.
      await expect(store.settle({ id, status: 'pending' }, 'responded', null, NOW + 1)).resolves.toBe(true);
      await expect(inspect(id)).resolves.toEqual({ status: 'responded', nextAttemptAt: null, updatedAt: NOW + 1 });
    });

    it('suppresses an opted-out number: its waiting contacts in every list, the first reason kept', async () => {
      const { store, list, contact, inspect } = await start();
      const a = await list('a');
      const b = await list('b');
      const c = await list('c');
      const waiting = await contact(a, { phone: '+48501000001', status: 'pending', nextAttemptAt: NOW });
      const elsewhere = await contact(b, { phone: '+48501000001', status: 'pending', nextAttemptAt: NOW + 1000 });
      const answered = await contact(c, { phone: '+48501000001', status: 'responded' });
      const other = await contact(a, { phone: '+48501000002', status: 'pending', nextAttemptAt: NOW });
      await expect(store.isSuppressed('+48501000001')).resolves.toBe(false);
      await store.suppressOptOut('+48501000001', 'pressed * at the score', NOW);
      await store.suppressOptOut('+48501000001', 'pressed * again', NOW + 5);
      await expect(store.isSuppressed('+48501000001')).resolves.toBe(true);
      await expect(store.isSuppressed('+48501000002')).resolves.toBe(false);
      await expect(store.suppressions()).resolves.toEqual([{ phoneE164: '+48501000001', source: 'opt_out', reason: 'pressed * at the score', createdAt: NOW }]);
      await expect(inspect(waiting)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW });
      await expect(inspect(elsewhere)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW });
      await expect(inspect(answered)).resolves.toMatchObject({ status: 'responded' });
      await expect(inspect(other)).resolves.toEqual({ status: 'pending', nextAttemptAt: NOW, updatedAt: 0 });
    });

    it('adds numbers as the operator writes them, counting the added, the already listed and the invalid ones, and suppresses their waiting contacts', async () => {
      const { store, list, contact, inspect } = await start();
      const clock = new ManualClock(NOW);
      const listId = await list('shop');
      const waiting = await contact(listId, { phone: '+48601234567', status: 'pending', nextAttemptAt: NOW });
      const dialing = await contact(listId, { phone: '+48701234567', status: 'dialing' });
      const first = await addSuppressions({ contacts: store, clock, numbers: ['+48501234567'], source: 'operator' });
      expect(first).toEqual({ added: 1, already: 0, invalid: [], contactsSuppressed: 0 });
      clock.advance(60_000);
      const summary = await addSuppressions({
        contacts: store,
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
        contactsSuppressed: 1,
      });
      await expect(inspect(waiting)).resolves.toEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: NOW + 60_000 });
      // A call under way is not taken back; the dialer checks the list before the next one.
      await expect(inspect(dialing)).resolves.toMatchObject({ status: 'dialing' });
      await expect(listSuppressions({ contacts: store })).resolves.toEqual([
        { phoneE164: '+48501234567', source: 'operator', reason: null, createdAt: NOW },
        { phoneE164: '+48601234567', source: 'import', reason: 'asked on the phone', createdAt: NOW + 60_000 },
        { phoneE164: '+48701234567', source: 'import', reason: 'asked on the phone', createdAt: NOW + 60_000 },
      ]);
      await expect(addSuppressions({ contacts: store, clock, numbers: ['501 234 567'], source: 'operator' })).resolves.toMatchObject({
        added: 0,
        invalid: [{ value: '501 234 567', outcome: 'invalid', reason: expect.stringContaining('--country') }],
      });
      // The port answers for each number given, in order.
      await expect(store.suppress(['+48801234567', '+48501234567', '+48801234567'], { source: 'operator', reason: null }, NOW)).resolves.toEqual({
        added: [true, false, false],
        contactsSuppressed: 0,
      });
    });

    it('lists the do-not-call list oldest first, then by number', async () => {
      const { store } = await start();
      await store.suppress(['+48701000000', '+48501000000'], { source: 'operator', reason: null }, NOW + 10);
      await store.suppressOptOut('+48601000000', 'pressed *', NOW);
      expect((await listSuppressions({ contacts: store })).map((e) => [e.phoneE164, e.createdAt])).toEqual([
        ['+48601000000', NOW],
        ['+48501000000', NOW + 10],
        ['+48701000000', NOW + 10],
      ]);
    });

    it('takes a number off the list however it is written, leaving its suppressed contacts so, and refuses one not on it', async () => {
      const { store, list, contact, inspect } = await start();
      const clock = new ManualClock(NOW);
      const id = await contact(await list('shop'), { phone: '+48501234567', status: 'pending', nextAttemptAt: NOW });
      await addSuppressions({ contacts: store, clock, numbers: ['+48501234567', '+48601234567'], source: 'operator' });
      await expect(removeSuppression({ contacts: store, number: '501 234 567', country: 'PL' })).resolves.toEqual({ e164: '+48501234567' });
      await expect(store.isSuppressed('+48501234567')).resolves.toBe(false);
      await expect(inspect(id)).resolves.toMatchObject({ status: 'suppressed' });
      expect((await listSuppressions({ contacts: store })).map((e) => e.phoneE164)).toEqual(['+48601234567']);
      await expect(removeSuppression({ contacts: store, number: '+48501234567' })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: '+48501234567 is not on the do-not-call list' }),
      );
      await expect(removeSuppression({ contacts: store, number: '12345', country: 'PL' })).rejects.toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message: "'12345' is too short for PL" }));
      await expect(store.unsuppress('+48501234567')).resolves.toBe(false);
      await expect(store.unsuppress('+48601234567')).resolves.toBe(true);
      await expect(store.suppressions()).resolves.toEqual([]);
    });
  });
}
