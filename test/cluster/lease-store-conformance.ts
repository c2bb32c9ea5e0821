import { describe, expect, it } from '@jest/globals';
import type { LeaseStore } from '../../src/cluster/index.js';
import { freshFixture } from '../support/conformance.js';

export interface LeaseFixture {
  /** Two stores on two connections to one database, as two nodes have. */
  nodes: [LeaseStore, LeaseStore];
  close(): Promise<void>;
}

const TTL = 15_000;

/** The election's store: one suite, every backend. */
export function leaseStoreConformance(name: string, open: () => Promise<LeaseFixture>): void {
  describe(`LeaseStore on ${name}`, () => {
    const fixture = freshFixture(open);
    const ask = (holder: string, now: number) => ({ name: 'dialer', holder, address: `http://${holder}`, now, ttlMs: TTL });

    it('gives a free lease to the first node, fence 1, and refuses it to another until it expires', async () => {
      const { nodes: [a, b] } = await fixture();
      expect(await a.acquire(ask('a', 1000))).toEqual({ name: 'dialer', holder: 'a', fence: 1, address: 'http://a', acquiredAt: 1000, renewedAt: 1000, expiresAt: 16_000 });
      expect(await b.acquire(ask('b', 15_999))).toBeNull();
      const taken = await b.acquire(ask('b', 16_000));
      expect(taken).toMatchObject({ holder: 'b', fence: 2, acquiredAt: 16_000, expiresAt: 31_000 });
      expect(await a.current('dialer')).toEqual(taken);
    });

    it('lets the holder extend its running lease without a new fence, and renew only under its own fence', async () => {
      const { nodes: [a, b] } = await fixture();
      const first = (await a.acquire(ask('a', 0)))!;
      expect(await a.acquire(ask('a', 5000))).toMatchObject({ fence: first.fence, acquiredAt: 0, expiresAt: 20_000 });
      expect(await a.renew('dialer', 'a', first.fence, 10_000, TTL)).toBe(true);
      expect(await a.current('dialer')).toMatchObject({ renewedAt: 10_000, expiresAt: 25_000 });
      // The lease ran out and another node took it: the old holder's renewal fails, its fence is stale.
      expect(await b.acquire(ask('b', 25_000))).toMatchObject({ fence: first.fence + 1 });
      expect(await a.renew('dialer', 'a', first.fence, 25_001, TTL)).toBe(false);
      expect(await a.acquire(ask('a', 25_002))).toBeNull();
    });

    it('counts a holder coming back after its lease expired as a new holder (a new fence)', async () => {
      const { nodes: [a] } = await fixture();
      const first = (await a.acquire(ask('a', 0)))!;
      expect(await a.acquire(ask('a', TTL))).toMatchObject({ fence: first.fence + 1, acquiredAt: TTL });
    });

    it('frees a released lease at once, and ignores a release under a stale fence', async () => {
      const { nodes: [a, b] } = await fixture();
      const first = (await a.acquire(ask('a', 0)))!;
      await a.release('dialer', 'a', first.fence + 7, 100);
      expect(await b.acquire(ask('b', 200))).toBeNull();
      await a.release('dialer', 'a', first.fence, 300);
      expect(await b.acquire(ask('b', 300))).toMatchObject({ holder: 'b', fence: first.fence + 1 });
      await a.release('dialer', 'a', first.fence, 400);
      expect(await b.current('dialer')).toMatchObject({ holder: 'b', expiresAt: 300 + TTL });
    });

    it('elects exactly one of many nodes racing for a free or an expired lease', async () => {
      const { nodes } = await fixture();
      for (const [round, now] of [
        [0, 1000],
        [1, 1000 + TTL],
      ] as const) {
        const won = await Promise.all(Array.from({ length: 8 }, (_, i) => nodes[i % 2]!.acquire(ask(`n${round}-${i}`, now))));
        const winners = won.filter((l) => l !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.fence).toBe(round + 1);
        expect((await nodes[0].current('dialer'))!.holder).toBe(winners[0]!.holder);
      }
    });
  });
}
