import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { webhookHarness } from '../support/dialer.js';
import { REPORT_TARIFF, scored, seedClient, seedList } from '../support/reports.js';

function setup(limits: { failedAuthLimit?: number; keyRateLimitPerMinute?: number; rateLimitPerMinute?: number }) {
  const h = webhookHarness();
  const acme = seedClient(h.database, h.clock, 'Acme');
  const globex = seedClient(h.database, h.clock, 'Globex');
  seedList(h.database, { clientId: acme.clientId, name: 'Acme Q1', contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    extra: mountApi({ database: h.database, clock: h.clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir: h.recordingsDir }, linkSecret: undefined, ...limits }),
  });
  return { app, acme, globex };
}

describe('client API brute-force protection', () => {
  it('refuses an address after too many failed authentications, and says so', async () => {
    const { app, acme } = setup({ failedAuthLimit: 5 });
    for (let i = 0; i < 5; i++) {
      expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer npsk_${'x'.repeat(30)}${i}`)).status).toBe(401);
    }
    const blocked = await request(app).get('/api/v1/lists').set('Authorization', `Bearer npsk_${'y'.repeat(31)}`);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    // Even the right key is refused from that address until the window passes.
    expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${acme.apiKey}`)).status).toBe(429);
  });

  it('does not count successful requests against the failed-authentication limit', async () => {
    const { app, acme } = setup({ failedAuthLimit: 3 });
    for (let i = 0; i < 10; i++) expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${acme.apiKey}`)).status).toBe(200);
  });

  it('limits each API key, so one client cannot starve the others', async () => {
    const { app, acme, globex } = setup({ keyRateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${acme.apiKey}`)).status).toBe(200);
    expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${acme.apiKey}`)).status).toBe(429);
    expect((await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${globex.apiKey}`)).status).toBe(200);
  });

  it('sends security headers on every API response', async () => {
    const { app, acme } = setup({});
    const res = await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${acme.apiKey}`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
