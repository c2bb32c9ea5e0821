import { describe, expect, it } from '@jest/globals';
import type { TaxonomyStore } from '../../src/comments/taxonomy-store.js';
import type { Taxonomy } from '../../src/themes/index.js';
import { freshFixture } from '../support/conformance.js';

/** One adapter under test, with the engine-specific ways to put clients and lists in place. */
export interface TaxonomyStoreFixture {
  store: TaxonomyStore;
  client(name: string): Promise<number>;
  list(clientId: number | null): Promise<number>;
  close(): Promise<void>;
}

const PARKING: Taxonomy = { themes: [{ id: 'parking', label: { 'en-US': 'Parking', 'pl-PL': 'Parking' }, phrases: { 'en-US': ['parking', 'car park'], 'pl-PL': ['parking*u'] } }] };
const SERVICE: Taxonomy = { themes: [{ id: 'service', label: { 'en-US': 'Service' } }] };

/**
 * The contract of the clients' taxonomies (src/comments/taxonomy-store.ts), which every adapter
 * passes: SQLite today, PostgreSQL with issue 17.
 */
export function taxonomyStoreConformance(name: string, open: () => Promise<TaxonomyStoreFixture>): void {
  describe(`taxonomy store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it("gives a client's own taxonomy back as it was stored, the default after a reset, and nothing of an unknown client", async () => {
      const f = await start();
      const acme = await f.client('Acme');
      await expect(f.store.ofClient(acme)).resolves.toEqual({ custom: null });
      await expect(f.store.setForClient(acme, PARKING)).resolves.toBe(true);
      await expect(f.store.ofClient(acme)).resolves.toEqual({ custom: PARKING });
      await expect(f.store.setForClient(acme, SERVICE)).resolves.toBe(true);
      await expect(f.store.ofClient(acme)).resolves.toEqual({ custom: SERVICE });
      await expect(f.store.setForClient(acme, null)).resolves.toBe(true);
      await expect(f.store.ofClient(acme)).resolves.toEqual({ custom: null });
      await expect(f.store.ofClient(acme + 1000)).resolves.toBeUndefined();
      await expect(f.store.setForClient(acme + 1000, PARKING)).resolves.toBe(false);
    });

    it("gives a list the taxonomy of the client owning it, and the default to a list without one", async () => {
      const f = await start();
      const acme = await f.client('Acme');
      const globex = await f.client('Globex');
      await f.store.setForClient(acme, PARKING);
      const acmeList = await f.list(acme);
      const globexList = await f.list(globex);
      const orphan = await f.list(null);
      await expect(f.store.ofList(acmeList)).resolves.toEqual(PARKING);
      await expect(f.store.ofList(globexList)).resolves.toBeNull();
      await expect(f.store.ofList(orphan)).resolves.toBeNull();
      await expect(f.store.ofList(acmeList + globexList + orphan + 1000)).resolves.toBeNull();
      // A client's change reaches its lists at once; another client's lists keep theirs.
      await f.store.setForClient(globex, SERVICE);
      await expect(f.store.ofList(globexList)).resolves.toEqual(SERVICE);
      await expect(f.store.ofList(acmeList)).resolves.toEqual(PARKING);
    });

    it('finds clients by their exact name', async () => {
      const f = await start();
      const acme = await f.client('Acme');
      await f.client('Acme Corp');
      await expect(f.store.clientsNamed('Acme')).resolves.toEqual([acme]);
      await expect(f.store.clientsNamed('acme')).resolves.toEqual([]);
      await expect(f.store.clientsNamed('Initech')).resolves.toEqual([]);
    });
  });
}
