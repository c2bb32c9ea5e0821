import { describe, expect, it } from '@jest/globals';
import { judgeComment, sqliteCommentStores } from '../../src/comments/index.js';
import { openMemoryDatabase } from '../../src/db/index.js';
import { seedList } from '../support/reports.js';

function responseIdOf(database: ReturnType<typeof openMemoryDatabase>, listId: number): number {
  return (database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ?').get(listId) as { id: number }).id;
}

describe('judgeComment', () => {
  it('stores the themes and sentiment of the text with the default taxonomy', async () => {
    const database = openMemoryDatabase();
    const stores = sqliteCommentStores(database);
    const { listId } = seedList(database, { contacts: [{ score: 2, text: { text: 'Far too expensive and the staff were rude', themes: [] } }] });
    const id = responseIdOf(database, listId);
    const judgement = await judgeComment(stores, id);
    expect(judgement?.themes).toEqual(expect.arrayContaining(['price']));
    expect(judgement?.themesSource).toBe('engine');
    expect(judgement?.sentiment).toBe('negative');
    expect(await stores.comments.themesOf(id)).toEqual(judgement?.themes.slice().sort());
  });

  it('never overwrites a manual correction, but still judges the sentiment', async () => {
    const database = openMemoryDatabase();
    const stores = sqliteCommentStores(database);
    const { listId } = seedList(database, { contacts: [{ score: 2, text: { text: 'Far too expensive', themes: ['staff'], themesSource: 'manual' } }] });
    const id = responseIdOf(database, listId);
    const judgement = await judgeComment(stores, id);
    expect(judgement?.themes).toEqual(['staff']);
    expect(judgement?.themesSource).toBe('manual');
    expect(await stores.comments.themesOf(id)).toEqual(['staff']);
  });

  it('uses the client taxonomy of the list and gives null without text', async () => {
    const database = openMemoryDatabase();
    const stores = sqliteCommentStores(database);
    const taxonomy = { themes: [{ id: 'parking', label: { 'en-US': 'Parking' }, phrases: { 'en-US': ['parking'] } }] };
    const clientId = (database.sqlite.prepare("INSERT INTO clients (name, taxonomy, created_at) VALUES ('c', ?, 0) RETURNING id").get(JSON.stringify(taxonomy)) as { id: number }).id;
    const { listId } = seedList(database, { clientId, contacts: [{ score: 5, text: { text: 'No parking anywhere' } }, { score: 9 }] });
    const ids = (database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ? ORDER BY id').all(listId) as { id: number }[]).map((r) => r.id);
    expect((await judgeComment(stores, ids[0]!))?.themes).toEqual(['parking']);
    expect(await judgeComment(stores, ids[1]!)).toBeNull();
  });
});
