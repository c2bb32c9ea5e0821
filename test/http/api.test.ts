import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { signReportLink } from '../../src/reports/index.js';
import { webhookHarness } from '../support/dialer.js';
import { others, REPORT_TARIFF, scored, seedClient, seedList, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

const LINK_SECRET = 'api-test-link-secret-0123456789abcdef';

/** The real HTTP app (webhooks and API) over a fresh database, with two clients and their lists. */
async function setup(options: { linkSecret?: string | null } = {}) {
  const h = webhookHarness();
  const { database, clock, recordingsDir } = h;
  const acme = await seedClient(database, clock, 'Acme');
  const globex = await seedClient(database, clock, 'Globex');
  mkdirSync(path.join(recordingsDir, 'list-1'), { recursive: true });
  writeFileSync(path.join(recordingsDir, 'list-1', 'call-1.mp3'), Buffer.from('ID3 recording bytes'));
  const acmeList = seedList(database, {
    clientId: acme.clientId,
    name: 'Acme Q1',
    contacts: [
      { phone: '+48501234567', score: 2, comment: { status: 'downloaded', file: 'list-1/call-1.mp3', seconds: 4 } },
      { phone: '+48501234568', score: 9, comment: { status: 'downloaded', file: '../../../etc/passwd', seconds: 4 } },
      ...scored({ promoters: 3, passives: 1, detractors: 0 }),
      ...others(2, 'pending', { attempts: 0 }),
    ],
  });
  const globexList = seedList(database, { clientId: globex.clientId, name: 'Globex Q1', contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
  const linkSecret = options.linkSecret === null ? undefined : (options.linkSecret ?? LINK_SECRET);
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    extra: mountApi({ ...clientStores(database), triggers: sqliteTriggerUnits(database), cases: new SqliteCaseStore(database), commentStores: sqliteCommentStores(database), clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir }, linkSecret }),
  });
  return { app, clock, acme, globex, acmeList, globexList };
}

const bearer = (key: string) => `Bearer ${key}`;

describe('GET /api/v1/lists', () => {
  it("lists only the caller's own lists, with progress", async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get('/api/v1/lists').set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.body).toEqual({
      lists: [expect.objectContaining({ id: acmeList.listId, name: 'Acme Q1', contacts: 8, finalContacts: 6, progress: 0.75, responded: 6, final: false })],
    });
  });

  it('answers 401 without a key, with a malformed header and with an unknown key', async () => {
    const { app, acme } = await setup();
    const none = await request(app).get('/api/v1/lists');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'send your API key as `Authorization: Bearer <key>`' });
    expect((await request(app).get('/api/v1/lists').set('Authorization', acme.apiKey)).status).toBe(401);
    const wrong = await request(app).get('/api/v1/lists').set('Authorization', bearer(`${acme.apiKey.slice(0, -4)}AAAA`));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('the API key is not valid');
  });
});

describe('GET /api/v1/lists/:id/report', () => {
  it('returns the JSON report by default', async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get(`/api/v1/lists/${acmeList.listId}/report`).set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toMatchObject({ schemaVersion: 3, audience: 'client', listId: acmeList.listId, client: { name: 'Acme' }, final: false, responses: 6, promoters: 4, detractors: 1, nps: 50 });
  });

  it("carries what the client is billed and never the provider's cost (the operator's margin), in every format", async () => {
    const { app, acme, acmeList } = await setup();
    const get = (query: string) => request(app).get(`/api/v1/lists/${acmeList.listId}/report${query}`).set('Authorization', bearer(acme.apiKey));
    const json = await get('');
    // Six person-answered calls, each billed 12 minor units; the provider charged 10,500 micro-units for each.
    expect(json.body.billing).toEqual({ billableCalls: 6, billableSeconds: 360, amountMinor: 72, currency: 'EUR' });
    for (const res of [json, await get('?format=html'), await get('?format=csv'), await get('?format=csv&summary=true')]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/providerCost|amountMicros|provider_price|63000|0\.063/i);
    }
  });

  it('returns the per-contact CSV with masked numbers, the full numbers on request, and the summary', async () => {
    const { app, acme, acmeList } = await setup();
    const masked = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=csv`).set('Authorization', bearer(acme.apiKey));
    expect(masked.status).toBe(200);
    expect(masked.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(masked.headers['content-disposition']).toBe(`attachment; filename="nps-report-list-${acmeList.listId}.csv"`);
    const rows = parse(masked.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(8);
    expect(rows[0]!.phone).toBe("'+48******567");
    const full = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=csv&full=true`).set('Authorization', bearer(acme.apiKey));
    expect((parse(full.text, { columns: true }) as Record<string, string>[])[0]!.phone).toBe("'+48501234567");
    const summary = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=csv&summary=1`).set('Authorization', bearer(acme.apiKey));
    expect(summary.text.split('\n')[0]).toBe('dimension,value,contacts,responses,response_rate,promoters,passives,detractors,nps,nps_ci95_low,nps_ci95_high,low_sample,impact,impact_ci95_low,impact_ci95_high,value_at_risk,previous_mentions,share,previous_share,share_change_pp,share_p_value,share_significant');
  });

  it("returns the HTML page inline, with a content security policy that allows no script but the verbatims' filter", async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=html`).set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="nps-report-list-\d+\.html"$/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    // One script may run: the verbatims' filter, by its hash; nothing else.
    expect(res.headers['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline';script|script-src[^;]*unsafe/);
    expect(res.text).toContain('data-testid="nps">+50.0<');
  });

  it('answers 400 for a bad format or flag, naming the accepted values', async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=xml`).set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'INPUT_INVALID', message: "format: must be one of json, csv, html, got 'xml'" });
    const flag = await request(app).get(`/api/v1/lists/${acmeList.listId}/report?format=csv&full=yes`).set('Authorization', bearer(acme.apiKey));
    expect(flag.status).toBe(400);
    expect(flag.body.error.message).toBe('full: must be true or false (or 1 or 0)');
    expect((await request(app).get('/api/v1/lists/abc/report').set('Authorization', bearer(acme.apiKey))).status).toBe(400);
  });

  it("answers 404 for another client's list exactly as for a missing one", async () => {
    const { app, acme, globexList } = await setup();
    const other = await request(app).get(`/api/v1/lists/${globexList.listId}/report`).set('Authorization', bearer(acme.apiKey));
    const missing = await request(app).get('/api/v1/lists/9999/report').set('Authorization', bearer(acme.apiKey));
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.error.code).toBe(missing.body.error.code);
    expect(other.body.error.message).toBe(`list ${globexList.listId} does not exist`);
  });

  it('answers 401 without a key', async () => {
    const { app, acmeList } = await setup();
    expect((await request(app).get(`/api/v1/lists/${acmeList.listId}/report`)).status).toBe(401);
  });
});

describe('GET /api/v1/lists/:id/recordings/:callId', () => {
  it('serves the recording file', async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get(`/api/v1/lists/${acmeList.listId}/recordings/${acmeList.responseCallIds[0]}`).set('Authorization', bearer(acme.apiKey)).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/mpeg');
    expect(Buffer.from(res.body as Buffer).toString()).toBe('ID3 recording bytes');
  });

  it('never serves a file outside RECORDINGS_DIR, whatever the stored path says', async () => {
    const { app, acme, acmeList } = await setup();
    const res = await request(app).get(`/api/v1/lists/${acmeList.listId}/recordings/${acmeList.responseCallIds[1]}`).set('Authorization', bearer(acme.apiKey));
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('root:');
  });

  it("answers 404 for another client's list or a call without a recording, 401 without a key, 400 for a bad id", async () => {
    const { app, acme, globex, acmeList } = await setup();
    const url = `/api/v1/lists/${acmeList.listId}/recordings/${acmeList.responseCallIds[0]}`;
    expect((await request(app).get(url).set('Authorization', bearer(globex.apiKey))).status).toBe(404);
    expect((await request(app).get(`/api/v1/lists/${acmeList.listId}/recordings/${acmeList.responseCallIds[2]}`).set('Authorization', bearer(acme.apiKey))).status).toBe(404);
    expect((await request(app).get(url)).status).toBe(401);
    expect((await request(app).get(`/api/v1/lists/${acmeList.listId}/recordings/..%2F..%2Fetc`).set('Authorization', bearer(acme.apiKey))).status).toBe(400);
  });
});

describe('signed links: GET /api/v1/links/:token', () => {
  it('serves the report in the signed format without an API key, and its recordings', async () => {
    const { app, clock, acmeList } = await setup();
    const token = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'html', expiresAt: clock.now() + 60_000 });
    const res = await request(app).get(`/api/v1/links/${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('data-testid="nps">+50.0<');
    const recording = await request(app).get(`/api/v1/links/${token}/recordings/${acmeList.responseCallIds[0]}`).buffer(true);
    expect(recording.status).toBe(200);
    expect(Buffer.from(recording.body as Buffer).toString()).toBe('ID3 recording bytes');
    const json = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    expect((await request(app).get(`/api/v1/links/${json}`)).body).toMatchObject({ listId: acmeList.listId, nps: 50 });
  });

  it("serves the client's copy, without the provider's cost, whoever the link was forwarded to", async () => {
    const { app, clock, acmeList } = await setup();
    const json = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    const res = await request(app).get(`/api/v1/links/${json}`);
    expect(res.body).toMatchObject({ audience: 'client', billing: { amountMinor: 72 } });
    expect(res.body.billing).not.toHaveProperty('providerCost');
  });

  it('refuses an expired link with 401', async () => {
    const { app, clock, acmeList } = await setup();
    const token = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    clock.advance(60_000);
    const res = await request(app).get(`/api/v1/links/${token}`);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
    expect((await request(app).get(`/api/v1/links/${token}/recordings/${acmeList.responseCallIds[0]}`)).status).toBe(401);
  });

  it('refuses an altered link with 401: another list, or a signature from another secret', async () => {
    const { app, clock, acmeList, globexList } = await setup();
    const token = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    const otherPayload = signReportLink(LINK_SECRET, { listId: globexList.listId, format: 'json', expiresAt: clock.now() + 60_000 }).split('.')[0];
    expect((await request(app).get(`/api/v1/links/${otherPayload}.${token.split('.')[1]}`)).status).toBe(401);
    const forged = signReportLink('not-the-server-secret-0123456789abcdef', { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    expect((await request(app).get(`/api/v1/links/${forged}`)).status).toBe(401);
  });

  it('refuses every link when the server has no signing secret', async () => {
    const { app, clock, acmeList } = await setup({ linkSecret: null });
    const token = signReportLink(LINK_SECRET, { listId: acmeList.listId, format: 'json', expiresAt: clock.now() + 60_000 });
    expect((await request(app).get(`/api/v1/links/${token}`)).status).toBe(401);
  });
});
