import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import winston from 'winston';
import type { TrustProxy } from '../../src/config/index.js';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { webhookHarness } from '../support/dialer.js';
import { REPORT_TARIFF, scored, seedClient, seedList, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

interface Limits {
  failedAuthLimit?: number;
  keyRateLimitPerMinute?: number;
  rateLimitPerMinute?: number;
  trustProxy?: TrustProxy;
}

/** The app with the API over a fresh database, two clients, and the API's log lines as objects. */
async function setup(limits: Limits) {
  const h = webhookHarness();
  const acme = await seedClient(h.database, h.clock, 'Acme');
  const globex = await seedClient(h.database, h.clock, 'Globex');
  seedList(h.database, { clientId: acme.clientId, name: 'Acme Q1', contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
  const logs: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)));
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  const { trustProxy, ...api } = limits;
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    trustProxy,
    extra: mountApi({ ...clientStores(h.database), triggers: sqliteTriggerUnits(h.database), cases: new SqliteCaseStore(h.database), commentStores: sqliteCommentStores(h.database), clock: h.clock, logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir: h.recordingsDir }, linkSecret: undefined, ...api }),
  });
  return { app, acme, globex, logs };
}

const wrongKey = (i: number) => `npsk_wrongkey${'x'.repeat(20)}${i}`;
const lists = (app: Awaited<ReturnType<typeof setup>>['app'], key: string, from?: string) => {
  const req = request(app).get('/api/v1/lists').set('Authorization', `Bearer ${key}`);
  return from ? req.set('X-Forwarded-For', from) : req;
};

describe('client API brute-force protection', () => {
  it('refuses an address after too many failed authentications, and says so', async () => {
    const { app } = await setup({ failedAuthLimit: 5 });
    for (let i = 0; i < 5; i++) expect((await lists(app, wrongKey(i))).status).toBe(401);
    const blocked = await lists(app, wrongKey(99));
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toEqual({ code: 'RATE_LIMITED', message: 'too many failed authentications from this address; try again in 15 minutes' });
    expect(blocked.headers.ratelimit).toBeDefined();
  });

  it('never refuses a valid key, however many failed authentications came from its address', async () => {
    const { app, acme } = await setup({ failedAuthLimit: 5 });
    for (let i = 0; i < 8; i++) await lists(app, wrongKey(i));
    expect((await lists(app, wrongKey(100))).status).toBe(429);
    // Everyone behind the same proxy shares the address: the key still works.
    expect((await lists(app, acme.apiKey)).status).toBe(200);
    expect((await lists(app, wrongKey(101))).status).toBe(429);
  });

  it('does not count successful requests against the failed-authentication limit', async () => {
    const { app, acme } = await setup({ failedAuthLimit: 3 });
    for (let i = 0; i < 10; i++) expect((await lists(app, acme.apiKey)).status).toBe(200);
    expect((await lists(app, wrongKey(1))).status).toBe(401);
  });

  it("counts failures per client address behind a trusted proxy (TRUST_PROXY): one address's failures do not hold back another's", async () => {
    // supertest connects from 127.0.0.1: the proxy, as TRUST_PROXY=loopback says.
    const { app } = await setup({ failedAuthLimit: 3, trustProxy: ['loopback'] });
    for (let i = 0; i < 3; i++) expect((await lists(app, wrongKey(i), '203.0.113.7')).status).toBe(401);
    expect((await lists(app, wrongKey(3), '203.0.113.7')).status).toBe(429);
    expect((await lists(app, wrongKey(4), '198.51.100.9')).status).toBe(401);
    // A hop count works the same way.
    const hops = await setup({ failedAuthLimit: 1, trustProxy: 1 });
    expect((await lists(hops.app, wrongKey(5), '203.0.113.7')).status).toBe(401);
    expect((await lists(hops.app, wrongKey(6), '198.51.100.9')).status).toBe(401);
    expect((await lists(hops.app, wrongKey(7), '203.0.113.7')).status).toBe(429);
  });

  it('believes no X-Forwarded-For without TRUST_PROXY: a guesser cannot escape the limit by inventing addresses, and the operator is told once', async () => {
    const { app, logs } = await setup({ failedAuthLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await lists(app, wrongKey(i), `203.0.113.${i}`)).status).toBe(401);
    expect((await lists(app, wrongKey(3), '203.0.113.200')).status).toBe(429);
    const warnings = logs.filter((l) => String(l.message).includes('TRUST_PROXY is not set'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', address: '::ffff:127.0.0.1' });
  });

  it('logs every refused authentication with the address and the public prefix of the key, never the key nor a link token in the path', async () => {
    const { app, acme, logs } = await setup({ failedAuthLimit: 2, trustProxy: ['loopback'] });
    const typo = `${acme.apiKey.slice(0, -3)}xyz`;
    await lists(app, typo, '203.0.113.7');
    await request(app).get(`/api/v1/recording-links/${'t'.repeat(40)}.${'s'.repeat(43)}/extra`).set('X-Forwarded-For', '203.0.113.7');
    await lists(app, 'eyJhbGciOiJIUzI1NiJ9.not-ours.sig', '203.0.113.7');
    await lists(app, typo, '203.0.113.7');
    await lists(app, acme.apiKey, '203.0.113.7');
    const refused = logs.filter((l) => l.message === 'API authentication refused');
    expect(refused.map(({ reason, address, keyPrefix, path }) => ({ reason, address, keyPrefix, path }))).toEqual([
      { reason: 'unknown API key', address: '203.0.113.7', keyPrefix: `${acme.apiKey.slice(0, 12)}…`, path: '/api/v1/lists' },
      { reason: 'no API key', address: '203.0.113.7', keyPrefix: null, path: '/api/v1/recording-links/…/extra' },
      { reason: 'too many failed authentications from this address', address: '203.0.113.7', keyPrefix: '(not an npsk_ key)', path: '/api/v1/lists' },
      { reason: 'too many failed authentications from this address', address: '203.0.113.7', keyPrefix: `${acme.apiKey.slice(0, 12)}…`, path: '/api/v1/lists' },
    ]);
    expect(refused.every((l) => l.level === 'warn')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(typo.slice(12));
  });
});

describe('client API request limits', () => {
  it('limits each API key, so one client cannot starve the others', async () => {
    const { app, acme, globex } = await setup({ keyRateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await lists(app, acme.apiKey)).status).toBe(200);
    const limited = await lists(app, acme.apiKey);
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toBe('too many requests for this API key; try again in a minute');
    expect((await lists(app, globex.apiKey)).status).toBe(200);
  });

  it('does not share a per-address limit among the clients behind one proxy: authenticated traffic is limited per key only', async () => {
    const { app, acme, globex } = await setup({ rateLimitPerMinute: 2, keyRateLimitPerMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await lists(app, acme.apiKey)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await lists(app, globex.apiKey)).status).toBe(200);
  });

  it('limits the signed-link routes, which carry no key, per address', async () => {
    const { app } = await setup({ rateLimitPerMinute: 2, trustProxy: ['loopback'] });
    // Links are off here (no REPORT_LINK_SECRET): refused, but counted.
    for (let i = 0; i < 2; i++) expect((await request(app).get('/api/v1/links/abc.def').set('X-Forwarded-For', '203.0.113.7')).status).not.toBe(429);
    expect((await request(app).get('/api/v1/recording-links/abc.def').set('X-Forwarded-For', '203.0.113.7')).status).toBe(429);
    expect((await request(app).get('/api/v1/links/abc.def').set('X-Forwarded-For', '198.51.100.9')).status).not.toBe(429);
  });

  it('sends security headers on every API response', async () => {
    const { app, acme } = await setup({});
    const res = await lists(app, acme.apiKey);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
