import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { clientTaxonomy, correctionsOf, correctThemes, listComments, reclassifyList, setClientTaxonomy, sqliteCommentStores } from '../../src/comments/index.js';
import { ManualClock } from '../../src/clock/index.js';
import { openMemoryDatabase, type AppDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/logging/index.js';
import { rejectedAppError } from '../support/factories.js';
import { seedClient, seedList, START } from '../support/reports.js';

const PARKING = { themes: [{ id: 'parking', label: { 'en-US': 'Parking' }, phrases: { 'en-US': ['parking'] } }] };

function responseIds(database: AppDatabase, listId: number): number[] {
  return (database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ? ORDER BY id').all(listId) as { id: number }[]).map((r) => r.id);
}

async function setup() {
  const database = openMemoryDatabase();
  const clock = new ManualClock(START);
  const acme = await seedClient(database, clock, 'Acme');
  const globex = await seedClient(database, clock, 'Globex');
  const { listId } = seedList(database, {
    clientId: acme.clientId,
    contacts: [
      { score: 2, text: { text: 'Far too expensive for what it is', themes: ['price'], sentiment: 'negative' }, reason: 'price' },
      { score: 3, text: { text: 'No parking near the shop', themes: ['other'] } },
      { score: 10, text: { text: 'Lovely staff, thank you', themes: ['service'], sentiment: 'positive' } },
      { score: 8 },
    ],
  });
  const stores = sqliteCommentStores(database);
  const deps = { ...stores, clock };
  const themesOf = (responseId: number) => stores.comments.themesOf(responseId);
  return { database, clock, stores, deps, themesOf, acme, globex, listId, ids: responseIds(database, listId) };
}

describe('correctThemes', () => {
  it('stores the themes as manual, audits before and after, and a re-classification keeps them', async () => {
    const { database, stores, deps, themesOf, listId, ids } = await setup();
    const result = await correctThemes(deps, { responseId: ids[0]!, actor: { kind: 'operator' }, correction: { themes: ['service', 'price'], sentiment: 'neutral' } });
    expect(result).toEqual({ responseId: ids[0], listId, themes: ['price', 'service'], themesSource: 'manual', sentiment: 'neutral', sentimentSource: 'manual', correctionId: expect.any(Number) });
    expect(await correctionsOf(stores.comments, ids[0]!)).toEqual([{ id: result.correctionId, actor: 'operator', before: ['price'], after: ['price', 'service'], correctedAt: new Date(START).toISOString() }]);
    const summary = await reclassifyList(deps, listId);
    expect(summary.keptManual).toBe(1);
    expect(await themesOf(ids[0]!)).toEqual(['price', 'service']);
    expect(database.sqlite.prepare('SELECT sentiment, sentiment_source AS source FROM responses WHERE id = ?').get(ids[0])).toEqual({ sentiment: 'neutral', source: 'manual' });
  });

  it('writes no audit row for a repeat that changes nothing', async () => {
    const { stores, deps, ids } = await setup();
    const correction = { themes: ['service'] };
    expect((await correctThemes(deps, { responseId: ids[1]!, actor: { kind: 'operator' }, correction })).correctionId).not.toBeNull();
    expect((await correctThemes(deps, { responseId: ids[1]!, actor: { kind: 'operator' }, correction })).correctionId).toBeNull();
    expect(await correctionsOf(stores.comments, ids[1]!)).toHaveLength(1);
  });

  it("refuses a theme outside the client's taxonomy, naming it and the accepted ids, and changes nothing", async () => {
    const { stores, deps, themesOf, ids } = await setup();
    const error = await rejectedAppError(correctThemes(deps, { responseId: ids[0]!, actor: { kind: 'operator' }, correction: { themes: ['price', 'parking'] } }));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toBe("themes: 'parking' is not a theme of this client's taxonomy; accepted: price, quality, service, speed, billing, other");
    expect(await themesOf(ids[0]!)).toEqual(['price']);
    expect(await correctionsOf(stores.comments, ids[0]!)).toEqual([]);
  });

  it("lets a client correct only its own lists' comments, audited as client:<id>", async () => {
    const { stores, deps, acme, globex, listId, ids } = await setup();
    const foreign = await rejectedAppError(correctThemes(deps, { responseId: ids[0]!, listId, actor: { kind: 'client', clientId: globex.clientId }, correction: { themes: ['price'] } }));
    expect(foreign.code).toBe('NOT_FOUND');
    const wrongList = await rejectedAppError(correctThemes(deps, { responseId: ids[0]!, listId: listId + 1, actor: { kind: 'client', clientId: acme.clientId }, correction: { themes: ['price'] } }));
    expect(wrongList.code).toBe('NOT_FOUND');
    await correctThemes(deps, { responseId: ids[0]!, listId, actor: { kind: 'client', clientId: acme.clientId }, correction: { themes: ['quality'] } });
    expect((await correctionsOf(stores.comments, ids[0]!)).map((c) => c.actor)).toEqual([`client:${acme.clientId}`]);
  });

  it('refuses a response without words (409) and a malformed body (400)', async () => {
    const { deps, ids } = await setup();
    expect((await rejectedAppError(correctThemes(deps, { responseId: ids[3]!, actor: { kind: 'operator' }, correction: { themes: ['price'] } }))).code).toBe('CONFLICT');
    const bad = await rejectedAppError(correctThemes(deps, { responseId: ids[0]!, actor: { kind: 'operator' }, correction: { themes: [], sentiment: 'angry' } }));
    expect(bad.code).toBe('INPUT_INVALID');
    expect(bad.message).toContain("themes: give at least one theme ('other' when the comment is about none)");
    expect(bad.message).toContain('sentiment: must be one of positive, neutral, negative, got "angry"');
  });
});

describe('listComments', () => {
  it('filters by theme and category, detractors first; the client view has no phone number', async () => {
    const { stores, acme, globex, listId, ids } = await setup();
    const all = await listComments(stores.comments, { listId, query: {} });
    expect(all.map((c) => [c.responseId, c.category, c.themes])).toEqual([
      [ids[0], 'detractor', ['price']],
      [ids[1], 'detractor', ['other']],
      [ids[2], 'promoter', ['service']],
    ]);
    expect(all[0]).toMatchObject({ text: 'Far too expensive for what it is', reason: 'price', sentiment: 'negative', themesSource: 'engine', phone: expect.stringMatching(/\d{3}$/) });
    expect((await listComments(stores.comments, { listId, query: { theme: 'service' } })).map((c) => c.responseId)).toEqual([ids[2]]);
    expect((await listComments(stores.comments, { listId, query: { category: 'detractor' } })).map((c) => c.responseId)).toEqual([ids[0], ids[1]]);
    const client = await listComments(stores.comments, { listId, clientId: acme.clientId, query: {} });
    expect(client.every((c) => !('phone' in c))).toBe(true);
    expect(JSON.stringify(client)).not.toMatch(/\+48|600\d{3}/);
    expect((await rejectedAppError(listComments(stores.comments, { listId, clientId: globex.clientId, query: {} }))).code).toBe('NOT_FOUND');
  });
});

describe('client taxonomies and reclassifyList', () => {
  it('re-classifies a list with the new taxonomy in one call: classified, kept manual and changed counted', async () => {
    const { stores, deps, themesOf, acme, listId, ids } = await setup();
    await correctThemes(deps, { responseId: ids[2]!, actor: { kind: 'operator' }, correction: { themes: ['service'] } });
    expect((await clientTaxonomy(stores.taxonomies, acme.clientId)).kind).toBe('default');
    expect(await setClientTaxonomy(stores.taxonomies, { clientId: acme.clientId, taxonomy: PARKING, source: 'parking.json' })).toEqual({ clientId: acme.clientId, kind: 'custom', themes: ['parking'] });
    expect(await reclassifyList(deps, listId)).toEqual({ listId, classified: 2, keptManual: 1, changed: 2 });
    expect(await themesOf(ids[1]!)).toEqual(['parking']);
    expect(await themesOf(ids[0]!)).toEqual(['other']);
    expect(await themesOf(ids[2]!)).toEqual(['service']);
    // A second run finds nothing to change.
    expect(await reclassifyList(deps, listId)).toEqual({ listId, classified: 2, keptManual: 1, changed: 0 });
  });

  it('keeps the provider sentiment of a comment through a re-classification', async () => {
    const { database, deps, listId, ids } = await setup();
    database.sqlite.prepare(`UPDATE responses SET sentiment = 'positive', sentiment_source = 'provider' WHERE id = ?`).run(ids[0]);
    await reclassifyList(deps, listId);
    expect(database.sqlite.prepare('SELECT sentiment, sentiment_source AS source FROM responses WHERE id = ?').get(ids[0])).toEqual({ sentiment: 'positive', source: 'provider' });
  });

  it('refuses a bad taxonomy naming its source and keeps the old one', async () => {
    const { stores, acme } = await setup();
    const error = await rejectedAppError(setClientTaxonomy(stores.taxonomies, { clientId: acme.clientId, taxonomy: { themes: [{ id: 'x', label: {}, phrases: { 'en-US': ['c*ena'] } }] }, source: '--taxonomy bad.json' }));
    expect(error.message).toMatch(/^--taxonomy bad\.json is not a valid taxonomy: /);
    expect((await clientTaxonomy(stores.taxonomies, acme.clientId)).kind).toBe('default');
  });
});

describe('logging', () => {
  it('never writes the words of a comment to the log, at debug level', async () => {
    const { deps, listId, ids } = await setup();
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const logger = createLogger({ level: 'debug', format: 'json', stream });
    await correctThemes({ ...deps, logger }, { responseId: ids[0]!, actor: { kind: 'operator' }, correction: { themes: ['quality'] } });
    await reclassifyList({ ...deps, logger }, listId);
    expect(logged).toContain('comment themes corrected');
    expect(logged).toContain('list re-classified');
    for (const words of ['expensive', 'parking', 'Lovely']) expect(logged).not.toContain(words);
  });
});
