import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { categoryCodeSql, categoryOf, detractorSql, NPS_CATEGORIES, promoterSql, scoreRangeOf } from '../../src/ivr/index.js';

describe('the NPS bands, one definition for code and SQL', () => {
  const scores = Array.from({ length: 11 }, (_, i) => i);

  it('puts 0–6 with detractors, 7–8 with passives, 9–10 with promoters', () => {
    expect(scores.map(categoryOf)).toEqual([...Array(7).fill('detractor'), 'passive', 'passive', 'promoter', 'promoter']);
    expect(NPS_CATEGORIES.map(scoreRangeOf)).toEqual([
      [0, 6],
      [7, 8],
      [9, 10],
    ]);
  });

  it('generates SQL that agrees with categoryOf on every score', () => {
    const sqlite = new Database(':memory:');
    sqlite.exec('CREATE TABLE r (score INTEGER)');
    const insert = sqlite.prepare('INSERT INTO r (score) VALUES (?)');
    for (const score of scores) insert.run(score);
    const rows = sqlite
      .prepare(`SELECT score, ${promoterSql('score')} AS promoter, ${detractorSql('score')} AS detractor, ${categoryCodeSql('score')} AS code FROM r ORDER BY score`)
      .all() as { score: number; promoter: number; detractor: number; code: number }[];
    for (const row of rows) {
      const category = categoryOf(row.score);
      expect([row.score, row.promoter === 1, row.detractor === 1, NPS_CATEGORIES[row.code]]).toEqual([row.score, category === 'promoter', category === 'detractor', category]);
    }
    sqlite.close();
  });
});
