import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { changeListSettings, createList, listLists, removeAbandonedImports, showList, type ListStore } from '../../src/contacts/index.js';
import type { ContactStatus } from '../../src/db/schema/index.js';
import { freshFixture } from '../support/conformance.js';

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface ListStoreFixture {
  store: ListStore;
  /** The same lists as another node sees them: another connection (on SQLite, one process, the same database). */
  otherNode: ListStore;
  /** A client; returns its id. */
  client(name: string): Promise<number>;
  /** Contacts of a list, each with its status, its earliest next attempt and its file's other columns. */
  contacts(listId: number, contacts: { phone: string; status: ContactStatus; nextAttemptAt?: number; attributes?: Record<string, string> }[]): Promise<void>;
  /** A list whose import has not committed, started by process `pid`; returns its id. */
  importing(name: string, pid: number | null): Promise<number>;
  /** An active (or done) schedule of a list. */
  schedule(listId: number, status: 'active' | 'done'): Promise<void>;
  /** The ids of every list, in any state, ascending. */
  listIds(): Promise<number[]>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
/** No process has this id (Linux's pid_max is at most 2^22). */
const DEAD_PID = 2_147_483_646;

const newList = (name: string, extra: { clientId?: number | null; createdAt?: number } = {}) => ({
  name,
  clientId: extra.clientId ?? null,
  defaultCountry: null,
  defaultTimezone: null,
  script: {},
  acceptsTriggers: false,
  createdAt: extra.createdAt ?? NOW,
});

async function created(store: ListStore, list: ReturnType<typeof newList>): Promise<number> {
  const outcome = await store.create(list);
  if (outcome.kind !== 'created') throw new Error(`expected a new list, got ${outcome.kind}`);
  return outcome.listId;
}

/**
 * The contract of the lists' store (src/contacts/list-store.ts) and of the use cases over it
 * (src/contacts/lists.ts), which every adapter passes: SQLite today, PostgreSQL with issue 17.
 */
export function listStoreConformance(name: string, open: () => Promise<ListStoreFixture>): void {
  describe(`list store conformance: ${name}`, () => {
    const start = freshFixture(open);
    const clock = new ManualClock(NOW);

    it('creates an empty ready list with its settings, and reads it back with its client', async () => {
      const { store, client } = await start();
      const acme = await client('Acme');
      const list = await createList({
        lists: store,
        clock,
        input: { name: '  Support  ', clientId: acme, country: 'PL', timezone: 'europe/moscow', script: { company: 'Acme', language: 'pl-PL' }, acceptsTriggers: true },
      });
      const zeros = { pending: 0, dialing: 0, responded: 0, suppressed: 0 };
      expect(list).toMatchObject({
        name: 'Support',
        clientId: acme,
        clientName: 'Acme',
        previousListId: null,
        createdAt: NOW,
        contacts: 0,
        byStatus: zeros,
        final: false,
        sourceFile: null,
        defaultCountry: 'PL',
        defaultTimezone: 'Europe/Moscow',
        script: { company: 'Acme', language: 'pl-PL' },
        policy: {},
        acceptsTriggers: true,
        followUp: {},
        attributes: [],
        nextAttemptAt: null,
      });
      await expect(store.get(list.id)).resolves.toEqual(list);
      await expect(showList({ lists: store, listId: list.id })).resolves.toEqual(list);
      const plain = await createList({ lists: store, clock, input: { name: 'Batch' } });
      expect(plain).toMatchObject({ clientId: null, clientName: null, defaultCountry: null, defaultTimezone: null, script: {}, acceptsTriggers: false });
      expect(plain.id).toBeGreaterThan(list.id);
    });

    it('refuses a taken name for the same client (or among lists without one), an unknown client, and bad input, creating nothing', async () => {
      const { store, client, listIds } = await start();
      const acme = await client('Acme');
      const globex = await client('Globex');
      const first = await createList({ lists: store, clock, input: { name: 'Support', clientId: acme } });
      const loose = await createList({ lists: store, clock, input: { name: 'Support' } });
      // Another client may use the same name.
      await createList({ lists: store, clock, input: { name: 'Support', clientId: globex } });
      const before = await listIds();
      await expect(createList({ lists: store, clock, input: { name: 'Support', clientId: acme } })).rejects.toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: `a list named "Support" already exists for client ${acme} (list ${first.id}); choose another --name` }),
      );
      await expect(createList({ lists: store, clock, input: { name: 'Support' } })).rejects.toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: `a list named "Support" already exists (list ${loose.id}); choose another --name` }),
      );
      await expect(createList({ lists: store, clock, input: { name: 'Other', clientId: 9999 } })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: 'client 9999 does not exist; see `nps-dialer clients list`' }),
      );
      await expect(createList({ lists: store, clock, input: { name: '   ' } })).rejects.toThrow(expect.objectContaining({ code: 'USAGE', message: '--name must be 1 to 200 characters, got 0' }));
      await expect(createList({ lists: store, clock, input: { name: 'Other', timezone: 'Mars/Olympus' } })).rejects.toThrow(
        expect.objectContaining({ code: 'USAGE', message: "--timezone 'Mars/Olympus' is not an IANA time zone; use a name such as Europe/Moscow" }),
      );
      await expect(store.create(newList('Support', { clientId: acme }))).resolves.toEqual({ kind: 'name-taken', listId: first.id });
      await expect(store.create(newList('Other', { clientId: 9999 }))).resolves.toEqual({ kind: 'unknown-client' });
      await expect(listIds()).resolves.toEqual(before);
    });

    it('creates one list when two nodes create the same name at once, and tells the other the name is taken', async () => {
      const { store, otherNode, client, listIds } = await start();
      const acme = await client('Acme');
      // Both nodes connected before the race, so that neither starts late.
      await Promise.all([store.all(), otherNode.all()]);
      for (const clientId of [acme, null]) {
        const outcomes = await Promise.all([store.create(newList('Support', { clientId })), otherNode.create(newList('Support', { clientId }))]);
        const made = outcomes.filter((o) => o.kind === 'created');
        expect(made).toHaveLength(1);
        expect(outcomes).toContainEqual({ kind: 'name-taken', listId: made[0]!.listId });
      }
      await expect(listIds()).resolves.toHaveLength(2);
    });

    it('counts contacts by status, says when every one is final, and reads the attributes and the next attempt', async () => {
      const { store, contacts } = await start();
      const open = await created(store, newList('open'));
      const done = await created(store, newList('done'));
      await contacts(open, [
        { phone: '+48501000001', status: 'pending', nextAttemptAt: NOW + 5000, attributes: { region: 'North', agent: 'Ann' } },
        { phone: '+48501000002', status: 'pending', nextAttemptAt: NOW + 1000 },
        { phone: '+48501000003', status: 'responded', attributes: { region: 'South', 'Customer Since': '2020' } },
        { phone: '+48501000004', status: 'suppressed' },
        // The next attempt of a contact no longer waiting does not count.
        { phone: '+48501000005', status: 'unanswered', nextAttemptAt: NOW - 1000 },
      ]);
      await contacts(done, [
        { phone: '+48501000001', status: 'responded' },
        { phone: '+48501000006', status: 'busy' },
      ]);
      await expect(store.get(open)).resolves.toMatchObject({
        contacts: 5,
        byStatus: { pending: 2, dialing: 0, responded: 1, suppressed: 1, unanswered: 1 },
        final: false,
        attributes: ['Customer Since', 'agent', 'region'],
        nextAttemptAt: NOW + 1000,
      });
      await expect(store.get(done)).resolves.toMatchObject({ contacts: 2, byStatus: { pending: 0, responded: 1, busy: 1 }, final: true, attributes: [], nextAttemptAt: null });
      const [latest, earlier] = await store.all();
      expect([latest!.id, earlier!.id]).toEqual([done, open]);
      expect(earlier).toMatchObject({ contacts: 5, byStatus: { pending: 2, responded: 1 }, final: false });
    });

    it('lists the ready lists newest first, of one client when asked, and hides a list still importing everywhere', async () => {
      const { store, client, importing } = await start();
      const acme = await client('Acme');
      const globex = await client('Globex');
      const a1 = await created(store, newList('a1', { clientId: acme }));
      const g1 = await created(store, newList('g1', { clientId: globex }));
      const a2 = await created(store, newList('a2', { clientId: acme }));
      const half = await importing('half', process.pid);
      expect((await listLists({ lists: store })).map((l) => l.id)).toEqual([a2, g1, a1]);
      expect((await listLists({ lists: store, clientId: acme })).map((l) => [l.id, l.clientName])).toEqual([
        [a2, 'Acme'],
        [a1, 'Acme'],
      ]);
      expect((await store.all({ clientId: globex })).map((l) => l.id)).toEqual([g1]);
      expect(await store.all({ clientId: 9999 })).toEqual([]);
      await expect(store.get(half)).resolves.toBeUndefined();
      await expect(showList({ lists: store, listId: half })).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
      await expect(showList({ lists: store, listId: 9999 })).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'list 9999 does not exist; see `nps-dialer lists`' }));
    });

    it('changes only the settings a patch names, merging the reason question into the stored one', async () => {
      const { store } = await start();
      const { id } = await createList({ lists: store, clock, input: { name: 'shop', script: { company: 'Acme', language: 'pl-PL' } } });
      await changeListSettings({ lists: store, listId: id, patch: { policy: { cps: 5, maxAttempts: 3 }, followUp: { alertThreshold: 4 } } });
      await changeListSettings({ lists: store, listId: id, patch: { script: { question: 'How likely?', reasons: { enabled: true } }, policy: { cps: 2, maxAttempts: undefined } } });
      const changed = await changeListSettings({ lists: store, listId: id, patch: { script: { reasons: { enabled: false } }, acceptsTriggers: true } });
      expect(changed).toMatchObject({
        script: { company: 'Acme', language: 'pl-PL', question: 'How likely?', reasons: { enabled: false } },
        policy: { cps: 2, maxAttempts: 3 },
        followUp: { alertThreshold: 4 },
        acceptsTriggers: true,
      });
      await expect(store.get(id)).resolves.toEqual(changed);
      await expect(changeListSettings({ lists: store, listId: id, patch: { policy: { cps: -1 } } })).rejects.toThrow();
      await expect(store.get(id)).resolves.toMatchObject({ policy: { cps: 2 } });
      await expect(changeListSettings({ lists: store, listId: 9999, patch: { policy: { cps: 1 } } })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: 'list 9999 does not exist; see `nps-dialer lists`' }),
      );
      const settings = { script: {}, policy: {}, followUp: {}, acceptsTriggers: false };
      await expect(store.saveSettings(9999, settings, { refuseIfScheduled: false })).resolves.toBe('missing');
    });

    it('refuses to let a list with an active schedule take triggers, and saves nothing then', async () => {
      const { store, schedule } = await start();
      const scheduled = await created(store, newList('scheduled'));
      const finished = await created(store, newList('finished'));
      await schedule(scheduled, 'active');
      await schedule(finished, 'done');
      await expect(changeListSettings({ lists: store, listId: scheduled, patch: { acceptsTriggers: true, policy: { cps: 9 } } })).rejects.toThrow(
        expect.objectContaining({
          code: 'CONFLICT',
          message: `list ${scheduled} has active schedules; a list that accepts triggers is dialled continuously by serve. Remove them first (\`nps-dialer schedule list\`)`,
        }),
      );
      await expect(store.get(scheduled)).resolves.toMatchObject({ acceptsTriggers: false, policy: {} });
      // Other settings of a scheduled list may change; a list whose schedules are done may take triggers.
      await expect(changeListSettings({ lists: store, listId: scheduled, patch: { policy: { cps: 9 } } })).resolves.toMatchObject({ policy: { cps: 9 } });
      await expect(changeListSettings({ lists: store, listId: finished, patch: { acceptsTriggers: true } })).resolves.toMatchObject({ acceptsTriggers: true });
      const settings = { script: {}, policy: {}, followUp: {}, acceptsTriggers: true };
      await expect(store.saveSettings(scheduled, settings, { refuseIfScheduled: true })).resolves.toBe('scheduled');
      await expect(store.saveSettings(scheduled, settings, { refuseIfScheduled: false })).resolves.toBe('saved');
      await expect(store.get(scheduled)).resolves.toMatchObject({ acceptsTriggers: true, policy: {} });
    });

    it('pauses a ready list once (keeping the first time), resumes it once, and knows no list still importing', async () => {
      const { store, importing } = await start();
      const ready = await created(store, newList('paused'));
      await expect(store.setPaused(ready, NOW)).resolves.toEqual({ changed: true, pausedAt: NOW });
      await expect(store.setPaused(ready, NOW + 60_000)).resolves.toEqual({ changed: false, pausedAt: NOW });
      await expect(store.setPaused(ready, null)).resolves.toEqual({ changed: true, pausedAt: null });
      await expect(store.setPaused(ready, null)).resolves.toEqual({ changed: false, pausedAt: null });
      await expect(store.setPaused(await importing('half', null), NOW)).resolves.toBeUndefined();
      await expect(store.setPaused(999_999, NOW)).resolves.toBeUndefined();
    });

    it('pauses a list once when two nodes pause it at once: both answer with the time of the one that changed it', async () => {
      const { store, otherNode } = await start();
      const listId = await created(store, newList('paused'));
      const outcomes = await Promise.all([store.setPaused(listId, NOW), otherNode.setPaused(listId, NOW + 1)]);
      expect(outcomes.filter((o) => o?.changed)).toHaveLength(1);
      const first = outcomes.find((o) => o?.changed)!.pausedAt;
      expect(outcomes.map((o) => o?.pausedAt)).toEqual([first, first]);
      const resumed = await Promise.all([store.setPaused(listId, null), otherNode.setPaused(listId, null)]);
      expect(resumed.filter((o) => o?.changed)).toHaveLength(1);
      await expect(store.get(listId)).resolves.toBeDefined();
    });

    it('discards an importing list once, never a ready one, and gives back the id of the newest', async () => {
      const { store, importing, listIds } = await start();
      const ready = await created(store, newList('ready'));
      const older = await importing('older', null);
      const newest = await importing('newest', null);
      await expect(store.importing()).resolves.toEqual([
        { listId: older, pid: null },
        { listId: newest, pid: null },
      ]);
      await expect(store.discardImporting(ready)).resolves.toBe(false);
      await expect(store.discardImporting(newest)).resolves.toBe(true);
      await expect(store.discardImporting(newest)).resolves.toBe(false);
      // No later list took an id: the next list gets the discarded one.
      const next = await created(store, newList('next'));
      expect(next).toBe(newest);
      // A later list exists: the older one's id stays used.
      await expect(store.discardImporting(older)).resolves.toBe(true);
      expect(await created(store, newList('after'))).toBe(newest + 1);
      await expect(listIds()).resolves.toEqual([ready, newest, newest + 1]);
      await expect(store.importing()).resolves.toEqual([]);
    });

    it('discards an importing list once when two nodes discard it at once, and never gives back an id a list created meanwhile took', async () => {
      const { store, otherNode, importing, listIds } = await start();
      const ready = await created(store, newList('ready'));
      const newest = await importing('newest', null);
      const [one, two, racer] = await Promise.all([store.discardImporting(newest), otherNode.discardImporting(newest), otherNode.create(newList('racer'))]);
      expect([one, two].sort()).toEqual([false, true]);
      if (racer.kind !== 'created') throw new Error(`expected a new list, got ${racer.kind}`);
      // Whichever came first, the lists created next take ids no list holds (a rewind past the racer's would collide).
      const later = [await created(store, newList('later')), await created(otherNode, newList('latest'))];
      expect((await listIds()).sort((a, b) => a - b)).toEqual([ready, racer.listId, ...later].sort((a, b) => a - b));
      await expect(store.importing()).resolves.toEqual([]);
    });

    it('removes the imports a dead process left, and keeps one a live process is still writing', async () => {
      const { store, importing, listIds } = await start();
      const ready = await created(store, newList('ready'));
      const live = await importing('live', process.pid);
      await importing('killed', DEAD_PID);
      await importing('no pid', null);
      await expect(removeAbandonedImports(store)).resolves.toBe(2);
      await expect(listIds()).resolves.toEqual([ready, live]);
      await expect(removeAbandonedImports(store)).resolves.toBe(0);
      await expect(store.importing()).resolves.toEqual([{ listId: live, pid: process.pid }]);
    });
  });
}
