import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { addClient, SqliteClientStore } from '../../src/contacts/index.js';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { campaignNumber, runSandboxCampaign, testPrivateKey, type CampaignRun } from '../support/campaign.js';
import { signCallback } from '../support/dialer.js';
import { sqliteCommentStores } from '../../src/comments/index.js';
import { clientStores } from '../support/reports.js';

/**
 * Logs never contain a full phone number, an API key, a JWT or a secret: a whole sandbox campaign
 * (app and sandbox) plus client-API and forged-webhook traffic, logged at debug level, then every
 * line is scanned.
 */
describe('what the logs never contain', () => {
  const lines: string[] = [];
  let run: CampaignRun;
  let apiKey: string;

  afterAll(async () => {
    await run?.close();
  });

  it('runs a whole logged campaign and API session', async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    run = await runSandboxCampaign({ contacts: 25, seed: 5, logStream: stream, faults: { duplicateRate: 0.2, dropStatusRate: 0.05 } });
    expect(run.result.kind).toBe('completed');

    const { ctx, runtime } = run;
    apiKey = (await addClient({ clients: new SqliteClientStore(ctx.database), clock: ctx.clock, name: 'Logged Client' })).apiKey;
    const app = createHttpApp({
      logger: ctx.logger,
      webhooks: runtime.deps,
      extra: mountApi({ ...clientStores(ctx.database), triggers: sqliteTriggerUnits(ctx.database), cases: new SqliteCaseStore(ctx.database), commentStores: sqliteCommentStores(ctx.database), clock: ctx.clock, logger: ctx.logger, config: ctx.config, linkSecret: undefined }),
    });
    await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${apiKey}`);
    await request(app).get('/api/v1/lists').set('Authorization', `Bearer ${apiKey.slice(0, -2)}xx`);
    const forged = JSON.stringify({ status: 'completed', to: campaignNumber(0).slice(1), duration: '60' });
    await request(app).post('/webhooks/event/whatever').set('Content-Type', 'application/json').set('Authorization', signCallback(forged, { secret: 'not-the-real-secret-at-all' })).send(forged);
    // Something must have been logged at all, or the scan below proves nothing.
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some((l) => l.includes('contact settled'))).toBe(true);
    expect(lines.some((l) => l.includes('webhook refused'))).toBe(true);
    // The wrong key's refusal is logged, with no more of the key than its public prefix (below).
    expect(lines.some((l) => l.includes('API authentication refused') && l.includes(apiKey.slice(0, 12)))).toBe(true);
  });

  it('contains no full phone number, in any format', () => {
    const numbers = Array.from({ length: 25 }, (_, i) => campaignNumber(i));
    for (const line of lines) {
      for (const n of numbers) {
        expect(line).not.toContain(n);
        expect(line).not.toContain(n.slice(1));
        // Also not as the national significant number.
        expect(line).not.toContain(n.slice(3));
      }
    }
    expect(lines.some((l) => /\*{5,}\d{3}/.test(l))).toBe(true);
  });

  it('contains no API key, JWT, signature secret or private key', () => {
    const secret = run.ctx.config.vonage!.signatureSecret;
    const keyBody = testPrivateKey().split('\n')[1]!;
    for (const line of lines) {
      expect(line).not.toContain(apiKey);
      expect(line).not.toContain(apiKey.slice(12));
      expect(line).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      expect(line).not.toContain(secret);
      expect(line).not.toContain(keyBody);
      expect(line).not.toContain('BEGIN PRIVATE KEY');
    }
  });
});
