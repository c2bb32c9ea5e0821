import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, systemClock } from '../../src/clock/index.js';
import { RollingWindowLimiter } from '../../src/dialer/index.js';
import { createLogger, createSilentLogger, type Logger } from '../../src/logging/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { ReusingAuth, VONAGE_OTHER_REQUESTS_PER_SECOND, VonageTelephony } from '../../src/telephony/index.js';
import { APPLICATION_ID, startIvr, startTestSandbox, surveyCall, testKeys, vonageFor, type Receiver } from '../sandbox/support.js';

// The production telephony adapter against the sandbox: the call list, and the pace and retries of
// look-ups (the provider allows 15 requests a second besides creates, reference §9).

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  receiver = await startIvr();
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await receiver.close();
});

async function sandboxWith(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await startTestSandbox({ scenario: { population: { outcomes: { busy: 1 } } }, ...options });
  sandboxes.push(sandbox);
  return sandbox;
}

function telephonyFor(sandbox: Sandbox, options: { paced?: boolean; logger?: Logger } = {}): VonageTelephony {
  return new VonageTelephony({
    auth: new ReusingAuth({ applicationId: APPLICATION_ID, privateKey: testKeys().privateKey, reuseMs: 60_000, clock: systemClock }),
    apiHost: sandbox.url,
    ...(options.paced === false ? {} : { pacer: new RollingWindowLimiter({ limit: VONAGE_OTHER_REQUESTS_PER_SECOND, windowMs: 1000, clock: systemClock }) }),
    logger: options.logger ?? createSilentLogger(),
  });
}

function capturedLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
  return { logger: createLogger({ level: 'info', format: 'json', stream }), lines };
}

describe('VonageTelephony against the sandbox', () => {
  it('lists the calls the provider dates within a window, page by page, with the number called', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const sandbox = await sandboxWith({ clock, cps: 50 });
    const voice = vonageFor(sandbox).voice;
    await voice.createOutboundCall(surveyCall(receiver, '48501000701'));
    clock.advance(60_000);
    const inWindow = clock.now();
    const created = [];
    for (const number of ['48501000702', '48501000703', '48501000704']) created.push((await voice.createOutboundCall(surveyCall(receiver, number))).uuid);
    clock.advance(60_000);
    await voice.createOutboundCall(surveyCall(receiver, '48501000705'));

    const telephony = telephonyFor(sandbox);
    const first = await telephony.listCalls({ fromMs: inWindow - 1000, toMs: inWindow + 1000, recordIndex: 0, pageSize: 2 });
    expect(first).toMatchObject({ ok: true, page: { total: 3, nextRecordIndex: 2 } });
    const second = await telephony.listCalls({ fromMs: inWindow - 1000, toMs: inWindow + 1000, recordIndex: 2, pageSize: 2 });
    expect(second).toMatchObject({ ok: true, page: { total: 3, nextRecordIndex: undefined } });
    const listed = [...(first.ok ? first.page.calls : []), ...(second.ok ? second.page.calls : [])];
    expect(listed.map((call) => call.uuid)).toEqual(created);
    expect(listed.map((call) => call.toNumber)).toEqual(['48501000702', '48501000703', '48501000704']);
    expect(listed[0]!.startTimeMs).toBe(Math.floor(inWindow / 1000) * 1000);
  });

  it('paces look-ups at the provider\'s limit: 40 asked at once are all answered, none refused', async () => {
    const sandbox = await sandboxWith();
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48501000711'));
    const telephony = telephonyFor(sandbox);

    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? telephony.getCall(uuid) : telephony.listCalls({ fromMs: 0, toMs: Date.UTC(2100, 0, 1), recordIndex: 0, pageSize: 10 }))));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(sandbox.stats().rateLimited).toBe(0);
  });

  it('retries a look-up the provider refused with 429, and says so in the log', async () => {
    const sandbox = await sandboxWith({ otherRequestsPerSecond: 4 });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48501000721'));
    const { logger, lines } = capturedLogger();
    const telephony = telephonyFor(sandbox, { logger });

    const results = await Promise.all(Array.from({ length: 12 }, () => telephony.getCall(uuid)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(sandbox.stats().rateLimited).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'provider refused a look-up; retrying', kind: 'rate_limited', status: 429 }));
  });

  it('reports a refusal as a failure when no pacer is given (the create worker only creates)', async () => {
    const sandbox = await sandboxWith({ otherRequestsPerSecond: 1 });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48501000731'));
    const telephony = telephonyFor(sandbox, { paced: false });
    const results = await Promise.all([telephony.getCall(uuid), telephony.getCall(uuid)]);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind)).sort()).toEqual(['ok', 'rate_limited']);
  });
});
