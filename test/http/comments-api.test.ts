import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { webhookHarness } from '../support/dialer.js';
import { openCases, REPORT_TARIFF, seedClient, seedList, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

async function setup() {
  const h = webhookHarness();
  const { database, clock, recordingsDir } = h;
  const acme = await seedClient(database, clock, 'Acme');
  const globex = await seedClient(database, clock, 'Globex');
  const list = seedList(database, {
    clientId: acme.clientId,
    contacts: [
      { score: 2, text: { text: 'Far too expensive', themes: ['price'] }, reason: 'price' },
      { score: 9, text: { text: 'Quick delivery', themes: ['speed'] } },
    ],
  });
  const ids = (database.sqlite.prepare('SELECT id, contact_id AS contactId, call_id AS callId, score, created_at AS at FROM responses WHERE list_id = ? ORDER BY id').all(list.listId) as {
    id: number;
    contactId: number;
    callId: number;
    score: number;
    at: number;
  }[]);
  await openCases(database, list.listId);
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    extra: mountApi({ ...clientStores(database), triggers: sqliteTriggerUnits(database), cases: new SqliteCaseStore(database), commentStores: sqliteCommentStores(database), clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir }, linkSecret: 'comments-api-link-secret-0123456789abcdef' }),
  });
  return { app, database, acme, globex, listId: list.listId, ids: ids.map((r) => r.id) };
}

const bearer = (key: string) => `Bearer ${key}`;

describe('GET /api/v1/lists/:id/comments', () => {
  it("lists the client's comments with themes and sentiment, filtered by theme and category, without phone numbers", async () => {
    const { app, acme, listId, ids } = await setup();
    const all = await request(app).get(`/api/v1/lists/${listId}/comments`).set('Authorization', bearer(acme.apiKey));
    expect(all.status).toBe(200);
    expect(all.body.comments).toHaveLength(2);
    expect(all.body.comments[0]).toEqual({
      responseId: ids[0],
      score: 2,
      category: 'detractor',
      text: 'Far too expensive',
      language: 'en-US',
      themes: ['price'],
      themesSource: 'engine',
      sentiment: 'neutral',
      sentimentSource: 'engine',
      reason: 'price',
      respondedAt: expect.any(String),
    });
    expect(all.text).not.toContain('+48');
    const promoters = await request(app).get(`/api/v1/lists/${listId}/comments?category=promoter&theme=speed`).set('Authorization', bearer(acme.apiKey));
    expect(promoters.body.comments.map((c: { responseId: number }) => c.responseId)).toEqual([ids[1]]);
  });

  it('answers 400 naming a bad category, 401 without a key and 404 for another client', async () => {
    const { app, acme, globex, listId } = await setup();
    const bad = await request(app).get(`/api/v1/lists/${listId}/comments?category=angry`).set('Authorization', bearer(acme.apiKey));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("category: must be one of detractor, passive, promoter, got 'angry'");
    expect((await request(app).get(`/api/v1/lists/${listId}/comments`)).status).toBe(401);
    expect((await request(app).get(`/api/v1/lists/${listId}/comments`).set('Authorization', bearer(globex.apiKey))).status).toBe(404);
  });
});

describe('PUT /api/v1/lists/:id/comments/:responseId/themes', () => {
  it("stores the client's correction as manual, audited as client:<id>; its cases then filter by the theme", async () => {
    const { app, database, acme, listId, ids } = await setup();
    const res = await request(app).put(`/api/v1/lists/${listId}/comments/${ids[0]}/themes`).set('Authorization', bearer(acme.apiKey)).send({ themes: ['quality'], sentiment: 'negative' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ responseId: ids[0], listId, themes: ['quality'], themesSource: 'manual', sentiment: 'negative', sentimentSource: 'manual', correctionId: expect.any(Number) });
    expect(database.sqlite.prepare('SELECT actor, before, after FROM theme_corrections WHERE response_id = ?').all(ids[0])).toEqual([{ actor: `client:${acme.clientId}`, before: '["price"]', after: '["quality"]' }]);
    const cases = await request(app).get('/api/v1/cases?theme=quality').set('Authorization', bearer(acme.apiKey));
    expect(cases.body.cases.map((c: { responseId: number }) => c.responseId)).toEqual([ids[0]]);
    expect(cases.body.cases[0].comment).toEqual({ text: 'Far too expensive', themes: ['quality'], sentiment: 'negative' });
    expect(cases.body.cases[0].reason).toBe('price');
    const none = await request(app).get('/api/v1/cases?theme=price').set('Authorization', bearer(acme.apiKey));
    expect(none.body.cases).toEqual([]);
  });

  it("answers 400 naming an id outside the client's taxonomy and the accepted ones, 404 for another client, 401 without a key", async () => {
    const { app, acme, globex, listId, ids } = await setup();
    const bad = await request(app).put(`/api/v1/lists/${listId}/comments/${ids[0]}/themes`).set('Authorization', bearer(acme.apiKey)).send({ themes: ['parking'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("themes: 'parking' is not a theme of this client's taxonomy; accepted: price, quality, service, speed, billing, other");
    const notJson = await request(app).put(`/api/v1/lists/${listId}/comments/${ids[0]}/themes`).set('Authorization', bearer(acme.apiKey)).send(['price']);
    expect(notJson.status).toBe(400);
    const foreign = await request(app).put(`/api/v1/lists/${listId}/comments/${ids[0]}/themes`).set('Authorization', bearer(globex.apiKey)).send({ themes: ['price'] });
    expect(foreign.status).toBe(404);
    expect((await request(app).put(`/api/v1/lists/${listId}/comments/${ids[0]}/themes`).send({ themes: ['price'] })).status).toBe(401);
  });
});
