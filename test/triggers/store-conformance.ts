import { describe, expect, it } from '@jest/globals';
import type { CallOutcome, ContactStatus } from '../../src/db/schema/index.js';
import type { TriggerUnits } from '../../src/triggers/index.js';
import type { NewTrigger, TriggeredContact } from '../../src/triggers/store.js';
import { freshFixture, refusal } from '../support/conformance.js';

/** A list to set the scene with; ready, without a client or country, not accepting triggers unless said. */
export interface TriggerListScene {
  /** `true`: a new client's list; a number: that client's; none when absent. */
  client?: true | number;
  acceptsTriggers?: boolean;
  defaultCountry?: string | null;
  /** Still importing (not ready). */
  importing?: boolean;
}

/** A contact as stored; `attributes` parsed back. */
export interface StoredTriggeredContact {
  listId: number;
  row: number;
  phone: string;
  country: string | null;
  language: string | null;
  timezone: string | null;
  attributes: unknown;
  status: ContactStatus;
  attempts: number;
  nextAttemptAt: number | null;
  notBefore: number | null;
  updatedAt: number;
}

/** What recording a trigger writes beside its answer (erasure finds refused ones by number). */
export interface StoredTriggerFacts {
  clientId: number | null;
  contactId: number | null;
  phone: string;
  agent: string;
  scope: number;
  key: string | null;
  createdAt: number;
}

/** One adapter under test, with the engine-specific ways to set the scene and look at what was stored. */
export interface TriggerStoreFixture {
  units: TriggerUnits;
  /**
   * The units of two nodes over the same database, for races: two pools on PostgreSQL; on SQLite
   * `units` twice (one connection is its only writer, as in production).
   */
  nodes: readonly [TriggerUnits, TriggerUnits];
  list(scene?: TriggerListScene): Promise<{ listId: number; clientId: number | null }>;
  /** A contact already in the list (imported, say), at this row of its file. */
  contact(listId: number, contact: { phone: string; row: number; status?: ContactStatus }): Promise<number>;
  /** A call attempt of the contact (its list). */
  call(contactId: number, call: { attempt: number; createdAt: number; outcome: CallOutcome | null; endedAt: number | null }): Promise<void>;
  suppress(phone: string): Promise<void>;
  storedContact(contactId: number): Promise<StoredTriggeredContact | undefined>;
  contactsIn(listId: number): Promise<number>;
  storedTrigger(surveyId: number): Promise<StoredTriggerFacts | undefined>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
const DAY = 86_400_000;

const contactOf = (listId: number, phone: string, more: Partial<TriggeredContact> = {}): TriggeredContact => ({
  listId,
  phoneE164: phone,
  country: 'PL',
  language: null,
  timezone: null,
  attributes: { agent: 'Ann' },
  callAt: NOW,
  notBefore: null,
  at: NOW,
  ...more,
});

const triggerOf = (listId: number, clientId: number | null, more: Partial<NewTrigger> = {}): NewTrigger => ({
  clientId,
  listId,
  contactId: null,
  phoneE164: '+48501000001',
  agent: 'Ann',
  scope: clientId ?? 0,
  key: null,
  requestHash: 'hash-1',
  status: 'refused',
  reason: 'suppressed',
  message: 'on the do-not-call list',
  callAt: null,
  at: NOW,
  ...more,
});

/** Racers per race: more than two, so that both nodes' pools run several units at once. */
const RACERS = 6;

/**
 * A trigger's decision as `triggerSurvey` takes it, in one unit on `units`: the earlier answer for
 * the key if any; otherwise the contact (unless the number is in the list already) and the answer.
 */
const decide = (units: TriggerUnits, list: { listId: number; clientId: number | null }, phone: string, key: string) =>
  units.run(async ({ triggers }) => {
    const earlier = await triggers.earlier(list.clientId ?? 0, key);
    if (earlier) return earlier;
    const existing = await triggers.statusInList(list.listId, phone);
    if (existing) return triggers.record(triggerOf(list.listId, list.clientId, { phoneE164: phone, key, reason: 'already_in_list', message: 'in the list' }));
    const contactId = await triggers.addContact(contactOf(list.listId, phone));
    return triggers.record(triggerOf(list.listId, list.clientId, { contactId, phoneE164: phone, key, status: 'queued', reason: null, message: 'queued', callAt: NOW }));
  });

/**
 * Runs `racer(units, i)` RACERS times at once, alternating between the two nodes. A round of empty
 * units opens the pools' connections first: racers still connecting would take turns, not race.
 */
async function race<T>(f: TriggerStoreFixture, racer: (units: TriggerUnits, i: number) => Promise<T>): Promise<T[]> {
  const nodeOf = (i: number) => f.nodes[i % 2]!;
  await Promise.all(Array.from({ length: RACERS }, (_, i) => nodeOf(i).run(({ triggers }) => triggers.listForTrigger(0))));
  return Promise.all(Array.from({ length: RACERS }, (_, i) => racer(nodeOf(i), i)));
}

/**
 * The contract of the triggered surveys' store (src/triggers/store.ts) and of its unit of work,
 * which every adapter passes: SQLite and PostgreSQL (store.sqlite.test.ts, store.pg.test.ts).
 */
export function triggerStoreConformance(name: string, open: () => Promise<TriggerStoreFixture>): void {
  describe(`trigger store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it('reads a ready list as a trigger sees it: the accepts flag, the client, the default country; nothing of a list not ready or unknown', async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const open = await f.list({ client: true, acceptsTriggers: true, defaultCountry: 'PL' });
      const bare = await f.list();
      const importing = await f.list({ client: true, acceptsTriggers: true, importing: true });
      expect(open.clientId).not.toBeNull();
      await expect(store.listForTrigger(open.listId)).resolves.toEqual({ id: open.listId, clientId: open.clientId, defaultCountry: 'PL', acceptsTriggers: true });
      await expect(store.listForTrigger(bare.listId)).resolves.toEqual({ id: bare.listId, clientId: null, defaultCountry: null, acceptsTriggers: false });
      await expect(store.listForTrigger(importing.listId)).resolves.toBeUndefined();
      await expect(store.listForTrigger(bare.listId + importing.listId + open.listId + 1)).resolves.toBeUndefined();
    });

    it('records a trigger and reads it back by scope and key with its hash; scope 0 for lists without a client', async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const client = await f.list({ client: true, acceptsTriggers: true });
      const clientless = await f.list({ acceptsTriggers: true });
      const contactId = await store.addContact(contactOf(client.listId, '+48501000001'));
      const queued = await store.record(
        triggerOf(client.listId, client.clientId, { contactId, key: 'conv-1', requestHash: 'a'.repeat(64), status: 'queued', reason: null, message: 'queued', callAt: NOW }),
      );
      expect(queued).toEqual({ surveyId: expect.any(Number), listId: client.listId, status: 'queued', reason: null, message: 'queued', callAt: NOW, requestHash: 'a'.repeat(64) });
      await expect(store.earlier(client.clientId!, 'conv-1')).resolves.toEqual(queued);
      await expect(f.storedTrigger(queued.surveyId)).resolves.toEqual({
        clientId: client.clientId,
        contactId,
        phone: '+48501000001',
        agent: 'Ann',
        scope: client.clientId,
        key: 'conv-1',
        createdAt: NOW,
      });

      // The same key of a list without a client is another request, in scope 0.
      await expect(store.earlier(0, 'conv-1')).resolves.toBeUndefined();
      const refused = await store.record(triggerOf(clientless.listId, null, { key: 'conv-1', requestHash: 'b'.repeat(64), reason: 'no_window', message: 'never opens' }));
      expect(refused.surveyId).not.toBe(queued.surveyId);
      await expect(store.earlier(0, 'conv-1')).resolves.toEqual({
        surveyId: refused.surveyId,
        listId: clientless.listId,
        status: 'refused',
        reason: 'no_window',
        message: 'never opens',
        callAt: null,
        requestHash: 'b'.repeat(64),
      });
      await expect(f.storedTrigger(refused.surveyId)).resolves.toMatchObject({ clientId: null, contactId: null, scope: 0, key: 'conv-1' });
      await expect(store.earlier(client.clientId!, 'conv-2')).resolves.toBeUndefined();
    });

    it('records a trigger without a key, found by no key; a key is recorded once per scope', async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const { listId, clientId } = await f.list({ client: true, acceptsTriggers: true });
      const unkeyed = await store.record(triggerOf(listId, clientId));
      const again = await store.record(triggerOf(listId, clientId));
      expect(again.surveyId).not.toBe(unkeyed.surveyId);
      await expect(f.storedTrigger(unkeyed.surveyId)).resolves.toMatchObject({ key: null });
      await store.record(triggerOf(listId, clientId, { key: 'k' }));
      await refusal(store.record(triggerOf(listId, clientId, { key: 'k', requestHash: 'other' })));
      await expect(store.earlier(clientId!, 'k')).resolves.toMatchObject({ requestHash: 'hash-1' });
    });

    it('adds a pending contact with the next row number of its list, its attributes, call time and notBefore as given', async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const { listId } = await f.list({ acceptsTriggers: true });
      const other = await f.list({ acceptsTriggers: true });
      const attributes = { agent: 'Ann', ticket: 'T-1', minutes: 12.5, vip: true, note: 'zażółć "quoted"' };
      const first = await store.addContact(
        contactOf(listId, '+48501000001', { attributes, language: 'pl-PL', timezone: 'Europe/Warsaw', callAt: NOW + DAY, notBefore: NOW + DAY, at: NOW - 5 }),
      );
      await expect(f.storedContact(first)).resolves.toEqual({
        listId,
        // Row 1 is a file's header: an empty list's first contact is row 2.
        row: 2,
        phone: '+48501000001',
        country: 'PL',
        language: 'pl-PL',
        timezone: 'Europe/Warsaw',
        attributes,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: NOW + DAY,
        notBefore: NOW + DAY,
        updatedAt: NOW - 5,
      });
      await f.contact(listId, { phone: '+48501000002', row: 7 });
      const next = await store.addContact(contactOf(listId, '+48501000003', { country: null }));
      await expect(f.storedContact(next)).resolves.toMatchObject({ row: 8, country: null, notBefore: null, nextAttemptAt: NOW, attributes: { agent: 'Ann' } });
      // Row numbers are per list.
      const elsewhere = await store.addContact(contactOf(other.listId, '+48501000001'));
      await expect(f.storedContact(elsewhere)).resolves.toMatchObject({ listId: other.listId, row: 2 });
    });

    it("knows a number's contact in a list by its status, and nothing of it in another list", async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const { listId } = await f.list({ acceptsTriggers: true });
      const other = await f.list({ acceptsTriggers: true });
      await f.contact(listId, { phone: '+48501000001', row: 2, status: 'responded' });
      await store.addContact(contactOf(listId, '+48501000002'));
      await expect(store.statusInList(listId, '+48501000001')).resolves.toBe('responded');
      await expect(store.statusInList(listId, '+48501000002')).resolves.toBe('pending');
      await expect(store.statusInList(listId, '+48501000003')).resolves.toBeUndefined();
      await expect(store.statusInList(other.listId, '+48501000001')).resolves.toBeUndefined();
    });

    it('refuses a second contact for the same number and list', async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const { listId } = await f.list({ acceptsTriggers: true });
      const first = await store.addContact(contactOf(listId, '+48501000001'));
      await refusal(store.addContact(contactOf(listId, '+48501000001', { attributes: { agent: 'Bob' } })));
      await expect(f.contactsIn(listId)).resolves.toBe(1);
      await expect(f.storedContact(first)).resolves.toMatchObject({ attributes: { agent: 'Ann' } });
    });

    it("reads what the dialer's screening asks about a number: suppression, a recent survey of the client, attempts in 30 days, a live call elsewhere", async () => {
      const f = await start();
      const store = f.units.stores.triggers;
      const target = await f.list({ client: true, acceptsTriggers: true });
      const caps = { clientId: target.clientId, minDaysBetweenSurveys: 30, maxAttemptsPer30Days: 4 };
      const facts = (phone: string) => store.screeningFacts({ listId: target.listId, phoneE164: phone }, caps, NOW);
      await expect(facts('+48501000009')).resolves.toEqual({ suppressed: false, recentSurvey: null, attemptsLast30Days: 0, liveElsewhere: false });

      await f.suppress('+48501000001');
      await expect(facts('+48501000001')).resolves.toMatchObject({ suppressed: true });

      // Another list of this client, where a person answered 10 days ago; and one 40 days ago, beyond the 30 days.
      const sibling = await f.list({ client: target.clientId! });
      const surveyed = await f.contact(sibling.listId, { phone: '+48501000002', row: 2, status: 'responded' });
      await f.call(surveyed, { attempt: 1, createdAt: NOW - 10 * DAY, outcome: 'human', endedAt: NOW - 10 * DAY + 60_000 });
      await expect(facts('+48501000002')).resolves.toMatchObject({ recentSurvey: { at: NOW - 10 * DAY + 60_000, listId: sibling.listId }, attemptsLast30Days: 1 });
      const longAgo = await f.contact(sibling.listId, { phone: '+48501000006', row: 6, status: 'responded' });
      await f.call(longAgo, { attempt: 1, createdAt: NOW - 40 * DAY, outcome: 'human', endedAt: NOW - 40 * DAY });
      await expect(facts('+48501000006')).resolves.toMatchObject({ recentSurvey: null, attemptsLast30Days: 0 });
      // A list without a client counts as another client; lists without one count as one client.
      const clientless = await f.list();
      const stranger = await f.contact(clientless.listId, { phone: '+48501000007', row: 2, status: 'responded' });
      await f.call(stranger, { attempt: 1, createdAt: NOW - DAY, outcome: 'human', endedAt: NOW - DAY });
      await expect(facts('+48501000007')).resolves.toMatchObject({ recentSurvey: null });
      const noClient = await store.screeningFacts({ listId: target.listId, phoneE164: '+48501000007' }, { ...caps, clientId: null }, NOW);
      expect(noClient.recentSurvey).toEqual({ at: NOW - DAY, listId: clientless.listId });

      // Attempts in the last 30 days over every list, a create the provider never carried out not counted.
      const busy = await f.contact(sibling.listId, { phone: '+48501000003', row: 3, status: 'busy' });
      await f.call(busy, { attempt: 1, createdAt: NOW - 40 * DAY, outcome: 'busy', endedAt: NOW - 40 * DAY });
      await f.call(busy, { attempt: 2, createdAt: NOW - 20 * DAY, outcome: 'busy', endedAt: NOW - 20 * DAY });
      await f.call(busy, { attempt: 3, createdAt: NOW - 10 * DAY, outcome: 'create_failed', endedAt: NOW - 10 * DAY });
      await f.call(busy, { attempt: 4, createdAt: NOW - DAY, outcome: null, endedAt: null });
      await expect(facts('+48501000003')).resolves.toMatchObject({ attemptsLast30Days: 2, liveElsewhere: false });
      // Caps off: not asked.
      await expect(store.screeningFacts({ listId: target.listId, phoneE164: '+48501000003' }, { ...caps, minDaysBetweenSurveys: 0, maxAttemptsPer30Days: 0 }, NOW)).resolves.toMatchObject({
        recentSurvey: null,
        attemptsLast30Days: null,
      });

      await f.contact(sibling.listId, { phone: '+48501000004', row: 4, status: 'dialing' });
      await expect(facts('+48501000004')).resolves.toMatchObject({ liveElsewhere: true });
      await f.contact(target.listId, { phone: '+48501000005', row: 2, status: 'dialing' });
      await expect(facts('+48501000005')).resolves.toMatchObject({ liveElsewhere: false });
    });

    it("answers nodes taking the same idempotency key at once with the first one's answer: one contact, one survey", async () => {
      const f = await start();
      const list = await f.list({ client: true, acceptsTriggers: true });
      const answers = await race(f, (units) => decide(units, list, '+48501000001', 'conv-1'));
      expect(answers[0]).toMatchObject({ listId: list.listId, status: 'queued' });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      await expect(f.contactsIn(list.listId)).resolves.toBe(1);
      await expect(f.units.stores.triggers.earlier(list.clientId!, 'conv-1')).resolves.toEqual(answers[0]);
    });

    it('adds one contact for a number that nodes trigger at once with different keys; the others find it in the list', async () => {
      const f = await start();
      const list = await f.list({ client: true, acceptsTriggers: true });
      const answers = await race(f, (units, i) => decide(units, list, '+48501000001', `conv-${i}`));
      expect(answers.filter((a) => a.status === 'queued')).toHaveLength(1);
      expect(answers.filter((a) => a.reason === 'already_in_list')).toHaveLength(RACERS - 1);
      expect(new Set(answers.map((a) => a.surveyId)).size).toBe(RACERS);
      await expect(f.contactsIn(list.listId)).resolves.toBe(1);
    });

    it('gives contacts that nodes add to one list at once a row number each', async () => {
      const f = await start();
      const list = await f.list({ acceptsTriggers: true });
      const answers = await race(f, (units, i) => decide(units, list, `+4850100000${i}`, `conv-${i}`));
      const rows = await Promise.all(answers.map(async (a) => (await f.storedContact((await f.storedTrigger(a.surveyId))!.contactId!))!.row));
      expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: RACERS }, (_, i) => i + 2));
    });

    it('keeps a unit whole: a unit that fails after adding its contact keeps nothing, one that resolves keeps both', async () => {
      const f = await start();
      const { listId, clientId } = await f.list({ client: true, acceptsTriggers: true });
      const failing = f.units.run(async ({ triggers }) => {
        const contactId = await triggers.addContact(contactOf(listId, '+48501000001'));
        await triggers.record(triggerOf(listId, clientId, { contactId, key: 'k1', status: 'queued', reason: null, callAt: NOW }));
        throw new Error('decided otherwise');
      });
      await expect(failing).rejects.toThrow('decided otherwise');
      await expect(f.contactsIn(listId)).resolves.toBe(0);
      await expect(f.units.stores.triggers.earlier(clientId!, 'k1')).resolves.toBeUndefined();

      const kept = await f.units.run(async ({ triggers }) => {
        const contactId = await triggers.addContact(contactOf(listId, '+48501000001'));
        return triggers.record(triggerOf(listId, clientId, { contactId, key: 'k1', status: 'queued', reason: null, callAt: NOW }));
      });
      await expect(f.units.stores.triggers.earlier(clientId!, 'k1')).resolves.toEqual(kept);
      await expect(f.units.stores.triggers.statusInList(listId, '+48501000001')).resolves.toBe('pending');
    });
  });
}
