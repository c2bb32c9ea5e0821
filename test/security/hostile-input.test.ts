import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { importList, SqliteImportSink } from '../../src/contacts/index.js';
import { isAppError } from '../../src/errors/index.js';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createList, signCallback, startCall, webhookHarness } from '../support/dialer.js';
import { testEnv, writeTempFile } from '../support/factories.js';
import { REPORT_TARIFF, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

/**
 * Hostile input never crashes the process, never yields a 500 that leaks internals, and always
 * gets a clear error: property-based, with fast-check generating what people and attackers send.
 */

/** The importer either imports or refuses with an AppError (a message for the operator), and never leaves a half list. */
async function importOutcome(content: Buffer | string): Promise<'imported' | 'refused'> {
  const env = testEnv();
  const file = writeTempFile('hostile.csv', content);
  try {
    await importList({ sink: new SqliteImportSink(env.database), clock: env.clock, logger: env.logger, file, name: 'hostile', country: 'PL', parallel: false });
    return 'imported';
  } catch (error) {
    if (!isAppError(error)) throw error;
    expect(error.userMessage.length).toBeGreaterThan(10);
    expect(error.userMessage).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    return 'refused';
  } finally {
    const importing = env.database.sqlite.prepare(`SELECT count(*) AS n FROM lists WHERE state = 'importing'`).get() as { n: number };
    expect(importing.n).toBe(0);
    env.database.close();
  }
}

const csvCell = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('"', '""', '"a,b"', '\n', '\r\n', ';', ',', '=HYPERLINK("http://x")', '+48501234567', '@SUM(A1)', '-1', '\u0000', '\uFEFF', 'ü', '501 234 567'),
);

describe('the CSV importer on hostile files', () => {
  it('never crashes on random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => void (await importOutcome(Buffer.from(bytes)))), { numRuns: 60 });
  });

  it('never crashes on broken quoting, odd delimiters and formula payloads', async () => {
    const file = fc.array(fc.array(csvCell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 30 }).map((rows) => ['phone,name,region', ...rows.map((r) => r.join(','))].join('\n'));
    await fc.assert(fc.asyncProperty(file, async (content) => void (await importOutcome(content))), { numRuns: 80 });
  });

  it('refuses invalid UTF-8, a huge field and thousands of columns with a clear reason', async () => {
    expect(await importOutcome(Buffer.concat([Buffer.from('phone,name\n501234567,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]))).toBe('refused');
    expect(await importOutcome(`phone,name\n501234567,"${'x'.repeat(200_000)}"\n`)).toBe('refused');
    expect(await importOutcome(`${['phone', ...Array.from({ length: 3000 }, (_, i) => `c${i}`)].join(',')}\n501234567\n`)).toBe('refused');
  });
});

describe('webhooks on hostile bodies', () => {
  const routes = (ref: string) => [`/webhooks/event/${ref}`, `/webhooks/input/${ref}?step=question`, `/webhooks/recording/${ref}`, `/webhooks/answer/${ref}`];

  it('answer every signed JSON value with 2xx, 400, 404 or 409 — never 500 — and never leak internals', async () => {
    const h = webhookHarness();
    const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }], policy: { callingHours: '00:00-24:00' } });
    const { ref } = startCall(h.database, contactIds[0]!);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...routes(ref), ...routes('unknown-ref')), async (value, route) => {
        const raw = JSON.stringify(value) ?? 'null';
        const res = await request(h.app).post(route).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
        expect([200, 204, 400, 404, 409]).toContain(res.status);
        expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|SQLITE/);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses malformed JSON with 400 and an oversized body with 413, before any handler runs', async () => {
    const h = webhookHarness();
    const bad = '{"status": "answered",';
    const malformed = await request(h.app).post('/webhooks/event/x').set('Content-Type', 'application/json').set('Authorization', signCallback(bad, { nowMs: h.clock.now() })).send(bad);
    expect(malformed.status).toBe(400);
    const big = JSON.stringify({ status: 'answered', pad: 'x'.repeat(100_000) });
    const oversized = await request(h.app).post('/webhooks/event/x').set('Content-Type', 'application/json').set('Authorization', signCallback(big, { nowMs: h.clock.now() })).send(big);
    expect(oversized.status).toBe(413);
    expect(h.database.sqlite.prepare('SELECT count(*) AS n FROM call_events').get()).toEqual({ n: 0 });
  });
});

describe('the client API on hostile requests', () => {
  it('never answers 500 to random paths, queries and headers', async () => {
    const h = webhookHarness();
    const { mountApi, createHttpApp } = await import('../../src/http/index.js');
    const app = createHttpApp({
      logger: h.deps.logger,
      webhooks: h.deps,
      extra: mountApi({ ...clientStores(h.database), triggers: sqliteTriggerUnits(h.database), cases: new SqliteCaseStore(h.database), commentStores: sqliteCommentStores(h.database), clock: h.clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir: h.recordingsDir }, linkSecret: undefined, rateLimitPerMinute: 100_000, failedAuthLimit: 100_000 }),
    });
    const segment = fc.oneof(fc.string({ maxLength: 12 }).map(encodeURIComponent), fc.constantFrom('..', '%2e%2e', 'lists', '1', '-1', '99999999999999999999', 'report', 'recordings', 'links'));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 5 }), fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 }), async (segments, query, authorization) => {
        const res = await request(app)
          .get(`/api/v1/${segments.join('/')}?${encodeURIComponent(query)}=1&format=${encodeURIComponent(query)}`)
          .set('Authorization', authorization.replace(/[^\x20-\x7e]/g, ''));
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
