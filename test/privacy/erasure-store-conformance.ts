import { describe, expect, it } from '@jest/globals';
import type { ErasureStore } from '../../src/privacy/erasure-store.js';
import { freshFixture } from '../support/conformance.js';

/** A person's traces in one list, as the fixture sets them. */
export interface ScenePerson {
  listId: number;
  phone: string;
  status?: string;
  /** Calls made (each ended as a person's answer, billed); the first has the response when `score` is set. */
  calls?: number;
  score?: number;
  comment?: { file: string | null; text: string | null; at: number };
}

/** One adapter of the erasure, with the engine-specific ways to set the scene and count what is left. */
export interface ErasureStoreFixture {
  erasures: ErasureStore;
  /** The same erasure as another node runs it: another connection (on SQLite, one process, the same database). */
  otherNode: ErasureStore;
  list(): Promise<number>;
  person(scene: ScenePerson): Promise<void>;
  suppress(phone: string): Promise<void>;
  trigger(listId: number, phone: string): Promise<void>;
  /** What the database still holds about a number, and the billing lines overall. */
  traces(phone: string): Promise<{ contacts: number; calls: number; events: number; responses: number; cases: number; triggers: number; suppressed: boolean }>;
  billing(): Promise<{ lines: number; detached: number; amountMinor: number }>;
  erasureRows(): Promise<{ contacts: number; recordings: number; suppressionKept: number }[]>;
  close(): Promise<void>;
}

const NOW = 1_700_000_000_000;
const PHONE = '+48501234567';
const OTHER = '+48501234568';

/** The contract of the erasure (src/privacy/erasure-store.ts): SQLite today, PostgreSQL with issue 17. */
export function erasureStoreConformance(name: string, open: () => Promise<ErasureStoreFixture>): void {
  describe(`erasure store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('erases the number from every list with its calls, callbacks, responses, cases and trigger requests; billing lines stay, detached', async () => {
      const f = await start();
      const first = await f.list();
      const second = await f.list();
      await f.person({ listId: first, phone: PHONE, status: 'responded', calls: 2, score: 2, comment: { file: 'list-1/call-1.mp3', text: 'too slow', at: NOW - 1000 } });
      await f.person({ listId: second, phone: PHONE, status: 'answered_no_score', calls: 1 });
      await f.person({ listId: first, phone: OTHER, status: 'responded', calls: 1, score: 9 });
      await f.trigger(second, PHONE);
      await f.suppress(PHONE);
      const billedBefore = await f.billing();

      const outcome = await f.erasures.erase(PHONE, NOW);
      expect(outcome).toEqual({
        kind: 'erased',
        record: {
          erasureId: expect.any(Number),
          contacts: 2,
          lists: 2,
          calls: 3,
          responses: 1,
          files: ['list-1/call-1.mp3'],
          billingLinesKept: 3,
          suppressionKept: true,
          transcripts: 1,
          lastCommentAt: NOW - 1000,
        },
      });
      expect(await f.traces(PHONE)).toEqual({ contacts: 0, calls: 0, events: 0, responses: 0, cases: 0, triggers: 0, suppressed: true });
      // Invoices keep their amounts; only the link to the person's calls goes.
      expect(await f.billing()).toEqual({ lines: billedBefore.lines, detached: 3, amountMinor: billedBefore.amountMinor });
      // Someone else is untouched.
      expect(await f.traces(OTHER)).toMatchObject({ contacts: 1, calls: 1, responses: 1 });
      expect(await f.erasureRows()).toEqual([{ contacts: 2, recordings: 1, suppressionKept: 1 }]);
    });

    it('changes nothing while a call to the number is in progress', async () => {
      const f = await start();
      const listId = await f.list();
      await f.person({ listId, phone: PHONE, status: 'dialing', calls: 1, score: 7 });
      expect(await f.erasures.erase(PHONE, NOW)).toEqual({ kind: 'dialing' });
      expect(await f.traces(PHONE)).toMatchObject({ contacts: 1, calls: 1, responses: 1 });
      expect(await f.erasureRows()).toEqual([]);
    });

    it('erases a number once when two nodes erase it at once: the second finds nothing left and counts nothing twice', async () => {
      const f = await start();
      await f.person({ listId: await f.list(), phone: PHONE, status: 'responded', calls: 2, score: 3, comment: { file: 'list-1/call-1.mp3', text: null, at: NOW - 1000 } });
      await f.person({ listId: await f.list(), phone: PHONE, status: 'unanswered', calls: 1 });
      // Both nodes connected before the race, so that neither starts late.
      await Promise.all([f.erasures.erase(OTHER, NOW), f.otherNode.erase(OTHER, NOW)]);
      const outcomes = await Promise.all([f.erasures.erase(PHONE, NOW), f.otherNode.erase(PHONE, NOW)]);
      const records = outcomes.map((o) => (o.kind === 'erased' ? o.record : undefined));
      const total = (key: 'contacts' | 'calls' | 'responses' | 'billingLinesKept') => records.reduce((sum, r) => sum + (r?.[key] ?? 0), 0);
      expect({ contacts: total('contacts'), calls: total('calls'), responses: total('responses'), billingLinesKept: total('billingLinesKept') }).toEqual({
        contacts: 2,
        calls: 3,
        responses: 1,
        billingLinesKept: 3,
      });
      expect(records.flatMap((r) => r?.files ?? [])).toEqual(['list-1/call-1.mp3']);
      expect(await f.traces(PHONE)).toEqual({ contacts: 0, calls: 0, events: 0, responses: 0, cases: 0, triggers: 0, suppressed: false });
      expect((await f.erasureRows()).slice(2).map((r) => r.contacts).sort()).toEqual([0, 2]);
    });

    it('records an erasure of a number it never had, with nothing kept', async () => {
      const f = await start();
      const outcome = await f.erasures.erase(PHONE, NOW);
      expect(outcome).toEqual({
        kind: 'erased',
        record: { erasureId: expect.any(Number), contacts: 0, lists: 0, calls: 0, responses: 0, files: [], billingLinesKept: 0, suppressionKept: false, transcripts: 0, lastCommentAt: null },
      });
      expect(await f.erasureRows()).toEqual([{ contacts: 0, recordings: 0, suppressionKept: 0 }]);
    });
  });
}
