import { describe, expect, it } from '@jest/globals';
import { judgeComment, themesOf } from '../../src/comments/index.js';
import { openMemoryDatabase } from '../../src/db/index.js';
import { seedList } from '../support/reports.js';

function responseIdOf(database: ReturnType<typeof openMemoryDatabase>, listId: number): number {
  return (database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ?').get(listId) as { id: number }).id;
}

describe('judgeComment', () => {
  it('stores the themes and sentiment of the text with the default taxonomy', () => {
    const database = openMemoryDatabase();
    const { listId } = seedList(database, { contacts: [{ score: 2, text: { text: 'Far too expensive and the staff were rude', themes: [] } }] });
    const id = responseIdOf(database, listId);
    const judgement = judgeComment(database, id);
    expect(judgement?.themes).toEqual(expect.arrayContaining(['price']));
    expect(judgement?.themesSource).toBe('engine');
    expect(judgement?.sentiment).toBe('negative');
    expect(themesOf(database, id)).toEqual(judgement?.themes.slice().sort());
  });

  it('never overwrites a manual correction, but still judges the sentiment', () => {
    const database = openMemoryDatabase();
    const { listId } = seedList(database, { contacts: [{ score: 2, text: { text: 'Far too expensive', themes: ['staff'], themesSource: 'manual' } }] });
    const id = responseIdOf(database, listId);
    const judgement = judgeComment(database, id);
    expect(judgement?.themes).toEqual(['staff']);
    expect(judgement?.themesSource).toBe('manual');
    expect(themesOf(database, id)).toEqual(['staff']);
  });

  it('uses the client taxonomy of the list and gives null without text', () => {
    const database = openMemoryDatabase();
    const taxonomy = { themes: [{ id: 'parking', label: { 'en-US': 'Parking' }, phrases: { 'en-US': ['parking'] } }] };
    const clientId = (database.sqlite.prepare("INSERT INTO clients (name, taxonomy, created_at) VALUES ('c', ?, 0) RETURNING id").get(JSON.stringify(taxonomy)) as { id: number }).id;
    const { listId } = seedList(database, { clientId, contacts: [{ score: 5, text: { text: 'No parking anywhere' } }, { score: 9 }] });
    const ids = (database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ? ORDER BY id').all(listId) as { id: number }[]).map((r) => r.id);
    expect(judgeComment(database, ids[0]!)?.themes).toEqual(['parking']);
    expect(judgeComment(database, ids[1]!)).toBeNull();
  });
});
