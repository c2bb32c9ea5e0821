import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createList, SqliteListStore } from '../../src/contacts/index.js';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { signRecordingLink, signReportLink } from '../../src/reports/index.js';
import { webhookHarness } from '../support/dialer.js';
import { openCases, REPORT_TARIFF, scored, seedClient, seedList, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

const LINK_SECRET = 'followup-api-link-secret-0123456789abcdef';

/** The real app with the client API over one database: Acme with a trigger list and cases, Globex with its own. */
async function setup() {
  const h = webhookHarness();
  const { database, clock, recordingsDir } = h;
  const acme = await seedClient(database, clock, 'Acme');
  const globex = await seedClient(database, clock, 'Globex');
  const triggers = await createList({ lists: new SqliteListStore(database), clock, input: { name: 'Support', clientId: acme.clientId, acceptsTriggers: true } });
  const globexTriggers = await createList({ lists: new SqliteListStore(database), clock, input: { name: 'Support', clientId: globex.clientId, acceptsTriggers: true } });
  const acmeList = seedList(database, { clientId: acme.clientId, contacts: scored({ promoters: 1, passives: 0, detractors: 2 }, { attributes: { agent: 'Ann' } }) });
  const globexList = seedList(database, { clientId: globex.clientId, contacts: scored({ promoters: 0, passives: 0, detractors: 1 }) });
  const acmeCases = await openCases(database, acmeList.listId);
  const globexCases = await openCases(database, globexList.listId);
  mkdirSync(path.join(recordingsDir, 'list-1'), { recursive: true });
  writeFileSync(path.join(recordingsDir, 'list-1', 'call-2.mp3'), Buffer.from('ID3 detractor comment'));
  database.sqlite.prepare(`UPDATE responses SET comment_status = 'downloaded', comment_file = 'list-1/call-2.mp3' WHERE call_id = ?`).run(acmeList.responseCallIds[1]);
  const queued: number[] = [];
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    extra: mountApi({ ...clientStores(database), triggers: sqliteTriggerUnits(database), cases: new SqliteCaseStore(database), commentStores: sqliteCommentStores(database), clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir }, linkSecret: LINK_SECRET, onSurveyQueued: (listId) => queued.push(listId) }),
  });
  return { app, clock, acme, globex, triggers, globexTriggers, acmeList, acmeCases, globexCases, queued, database };
}

const bearer = (key: string) => `Bearer ${key}`;

describe('POST /api/v1/surveys', () => {
  it('answers 202 with the survey, queues the contact and wakes the dialer', async () => {
    const { app, acme, triggers, queued, database } = await setup();
    const res = await request(app)
      .post('/api/v1/surveys')
      .set('Authorization', bearer(acme.apiKey))
      .send({ phone: '+48501234567', listId: triggers.id, agent: 'Ann', attributes: { ticket: 'T-1' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ surveyId: expect.any(Number), listId: triggers.id, status: 'queued', reason: null, message: expect.any(String), callAt: '2026-01-05T10:00:00.000Z' });
    expect(queued).toEqual([triggers.id]);
    expect(database.sqlite.prepare('SELECT attributes, status FROM contacts WHERE list_id = ?').all(triggers.id)).toEqual([{ attributes: '{"ticket":"T-1","agent":"Ann"}', status: 'pending' }]);
  });

  it('is idempotent with an Idempotency-Key: the same body gets the same survey, another body 409', async () => {
    const { app, acme, triggers, queued } = await setup();
    const body = { phone: '+48501234567', listId: triggers.id, agent: 'Ann' };
    const first = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).set('Idempotency-Key', 'conv-1').send(body);
    const again = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).set('Idempotency-Key', 'conv-1').send(body);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(queued).toHaveLength(1);
    const conflict = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).set('Idempotency-Key', 'conv-1').send({ ...body, agent: 'Bob' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('CONFLICT');
  });

  it('answers a refused trigger with 202 and the reason', async () => {
    const { app, acme, triggers } = await setup();
    await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ phone: '+48501234567', listId: triggers.id, agent: 'Ann' });
    const res = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ phone: '+48501234567', listId: triggers.id, agent: 'Bob' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'refused', reason: 'already_in_list', callAt: null });
  });

  it('answers 400 for an invalid number or body, 401 without a key, 404 for another client\'s list', async () => {
    const { app, acme, globexTriggers, triggers } = await setup();
    const invalid = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ phone: '+48 12', listId: triggers.id, agent: 'Ann' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toEqual({ code: 'INPUT_INVALID', message: "phone: '+48 12' is too short for PL" });
    const missing = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ listId: triggers.id });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe('phone: required: the number to call, in E.164 like +48501234567; agent: required: the agent whose conversation the survey rates');
    const malformed = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).set('Content-Type', 'application/json').send('{"phone":');
    expect(malformed.status).toBe(400);
    expect((await request(app).post('/api/v1/surveys').send({ phone: '+48501234567', listId: triggers.id, agent: 'Ann' })).status).toBe(401);
    const other = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ phone: '+48501234567', listId: globexTriggers.id, agent: 'Ann' });
    expect(other.status).toBe(404);
    expect(other.body.error.message).toBe(`list ${globexTriggers.id} does not exist`);
  });

  it('says what is wrong with a body that is not JSON, not an object, or has a field of another type', async () => {
    const { app, acme, triggers, database } = await setup();
    const body = JSON.stringify({ phone: '+48501234567', listId: triggers.id, agent: 'Ann' });
    const plain = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).set('Content-Type', 'text/plain').send(body);
    expect(plain.status).toBe(400);
    expect(plain.body.error).toEqual({ code: 'INPUT_INVALID', message: 'send the body as JSON, with `Content-Type: application/json`' });
    const array = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send([body]);
    expect(array.body.error.message).toBe('the body must be a JSON object: {phone, listId, agent, attributes?, notBefore?, language?, timezone?}');
    const typed = await request(app).post('/api/v1/surveys').set('Authorization', bearer(acme.apiKey)).send({ phone: 48501234567, listId: String(triggers.id), agent: 'Ann' });
    expect(typed.status).toBe(400);
    expect(typed.body.error.message).toBe(`phone: must be a string, got 48501234567; listId: must be a number, got "${triggers.id}"`);
    expect(database.sqlite.prepare('SELECT count(*) AS n FROM survey_triggers').get()).toEqual({ n: 0 });
  });
});

describe('GET /api/v1/cases', () => {
  it("lists the caller's own cases, filtered by status", async () => {
    const { app, acme, acmeCases } = await setup();
    const res = await request(app).get('/api/v1/cases?status=open').set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(200);
    expect(res.body.cases.map((c: { id: number }) => c.id).sort()).toEqual([...acmeCases].sort());
    expect(res.body.cases[0]).toMatchObject({ status: 'open', score: 3, agent: 'Ann', overdue: false, contact: { phone: expect.stringMatching(/^\+48\*+\d{3}$/) } });
    expect((await request(app).get('/api/v1/cases?status=resolved').set('Authorization', bearer(acme.apiKey))).body).toEqual({ cases: [], next: null });
  });

  it('pages: a full page links to the older cases with the same filters, the last page links nowhere', async () => {
    const { app, acme, acmeCases } = await setup();
    const newestFirst = [...acmeCases].sort((a, b) => b - a);
    const first = await request(app).get('/api/v1/cases?status=open&limit=1').set('Authorization', bearer(acme.apiKey));
    expect(first.body.cases.map((c: { id: number }) => c.id)).toEqual([newestFirst[0]]);
    expect(first.body.next).toBe(`/api/v1/cases?status=open&limit=1&before=${newestFirst[0]}`);
    const second = await request(app).get(first.body.next as string).set('Authorization', bearer(acme.apiKey));
    expect(second.body.cases.map((c: { id: number }) => c.id)).toEqual([newestFirst[1]]);
    const third = await request(app).get(second.body.next as string).set('Authorization', bearer(acme.apiKey));
    expect(third.body).toEqual({ cases: [], next: null });
    expect((await request(app).get('/api/v1/cases?before=x').set('Authorization', bearer(acme.apiKey))).body.error.message).toBe('before: must be a case id (a positive whole number)');
  });

  it('answers 400 for a bad filter and 401 without a key', async () => {
    const { app, acme } = await setup();
    const bad = await request(app).get('/api/v1/cases?status=closed').set('Authorization', bearer(acme.apiKey));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("status: must be one of open, contacted, resolved, got 'closed'");
    expect((await request(app).get('/api/v1/cases?limit=0').set('Authorization', bearer(acme.apiKey))).status).toBe(400);
    expect((await request(app).get('/api/v1/cases')).status).toBe(401);
  });
});

describe('PATCH /api/v1/cases/:id', () => {
  it('updates owner, status and note', async () => {
    const { app, acme, acmeCases } = await setup();
    const res = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).send({ status: 'contacted', owner: 'Eve', note: 'left a voicemail' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: acmeCases[0], status: 'contacted', owner: 'Eve', note: 'left a voicemail', contactedAt: '2026-01-05T10:00:00.000Z' });
  });

  it('answers 400 for an invalid patch or id, naming the problem', async () => {
    const { app, acme, acmeCases } = await setup();
    const bad = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).send({ status: 'done' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'INPUT_INVALID', message: 'status: must be one of open, contacted, resolved, got "done"' });
    const empty = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).send({});
    expect(empty.body.error.message).toBe('give at least one of owner, status, note');
    const unknown = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).send({ priority: 'high' });
    expect(unknown.status).toBe(400);
    expect((await request(app).patch('/api/v1/cases/abc').set('Authorization', bearer(acme.apiKey)).send({ status: 'open' })).status).toBe(400);
    const form = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).type('form').send({ status: 'resolved' });
    expect(form.status).toBe(400);
    expect(form.body.error.message).toBe('send the body as JSON, with `Content-Type: application/json`');
    const array = await request(app).patch(`/api/v1/cases/${acmeCases[0]}`).set('Authorization', bearer(acme.apiKey)).send(['resolved']);
    expect(array.status).toBe(400);
    expect(array.body.error.message).toBe('the body must be a JSON object with at least one of owner, status, note');
  });

  it("answers 401 without a key and 404 for another client's case, exactly as for a missing one", async () => {
    const { app, acme, globexCases, database } = await setup();
    expect((await request(app).patch(`/api/v1/cases/${globexCases[0]}`).send({ status: 'resolved' })).status).toBe(401);
    const other = await request(app).patch(`/api/v1/cases/${globexCases[0]}`).set('Authorization', bearer(acme.apiKey)).send({ status: 'resolved' });
    const missing = await request(app).patch('/api/v1/cases/9999').set('Authorization', bearer(acme.apiKey)).send({ status: 'resolved' });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.error.message).toBe(`case ${globexCases[0]} does not exist`);
    expect(database.sqlite.prepare('SELECT status FROM cases WHERE id = ?').get(globexCases[0])).toEqual({ status: 'open' });
  });
});

describe('GET /api/v1/recording-links/:token', () => {
  it('serves the one recording it was signed for, and refuses a report link, an expired link or another secret', async () => {
    const { app, clock, acmeList } = await setup();
    const callId = acmeList.responseCallIds[1]!;
    const token = signRecordingLink(LINK_SECRET, { listId: acmeList.listId, callId, expiresAt: clock.now() + 60_000 });
    const res = await request(app).get(`/api/v1/recording-links/${token}`).buffer(true);
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body as Buffer).toString()).toBe('ID3 detractor comment');
    const reportToken = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'html', expiresAt: clock.now() + 60_000 });
    expect((await request(app).get(`/api/v1/recording-links/${reportToken}`)).status).toBe(401);
    expect((await request(app).get(`/api/v1/links/${token}`)).status).toBe(401);
    const forged = signRecordingLink('not-the-server-secret-0123456789abcdef', { listId: acmeList.listId, callId, expiresAt: clock.now() + 60_000 });
    expect((await request(app).get(`/api/v1/recording-links/${forged}`)).status).toBe(401);
    clock.advance(60_000);
    expect((await request(app).get(`/api/v1/recording-links/${token}`)).status).toBe(401);
  });
});
