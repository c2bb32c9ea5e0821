import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { tokenGenerate } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import { ManualClock } from '../../src/clock/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import {
  APPLICATION_ID,
  bodyOf,
  startIvr,
  startTestSandbox,
  statusOf,
  surveyCall,
  testKeys,
  vonageFor,
  type Receiver,
} from './support.js';

const REST_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

async function sandboxWith(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await startTestSandbox(options);
  sandboxes.push(sandbox);
  return sandbox;
}

beforeAll(async () => {
  receiver = await startIvr();
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await receiver.close();
});

/** A raw request with a valid application JWT, for what the SDK hides (status codes, headers). */
function rawRequest(sandbox: Sandbox, path: string, init: RequestInit = {}, token = tokenGenerate(APPLICATION_ID, testKeys().privateKey)) {
  return fetch(`${sandbox.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

describe('POST /v1/calls', () => {
  test('creates a call through the SDK: 201 with uuid, status started, direction and conversation uuid', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48501000001': { attempts: [{ outcome: 'rejected' }] } } } });
    const result = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48501000001'));
    expect(result).toMatchObject({ status: 'started', direction: 'outbound' });
    expect(result.uuid).toEqual(expect.any(String));
    expect(result.conversationUUID).toMatch(/^CON-/);

    const raw = await rawRequest(sandbox, '/v1/calls', {
      method: 'POST',
      body: JSON.stringify({
        to: [{ type: 'phone', number: '48501000001' }],
        from: { type: 'phone', number: '447700900000' },
        answer_url: [`${receiver.url}/answer`],
        event_url: [`${receiver.url}/event`],
      }),
    });
    expect(raw.status).toBe(201);
    expect(raw.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
    expect(Object.keys((await raw.json()) as object).sort()).toEqual(['conversation_uuid', 'direction', 'status', 'uuid']);
    await sandbox.onIdle();
    expect(sandbox.stats().callsCreated).toBe(2);
  });

  test.each([
    ['event_url given as a string', { eventUrl: 'http://127.0.0.1:1/event' }, 'event_url', 'Invalid type parameter provided'],
    ['ringing_timer out of range', { ringingTimer: 500 }, 'ringing_timer', 'must be 1 to 120'],
    ['length_timer above the maximum', { lengthTimer: 7201 }, 'length_timer', 'must be 1 to 7200'],
    ['a number that is not E.164', { to: [{ type: 'phone', number: '12ab' }] }, 'to[0].number', 'E.164'],
    ['answer_url together with an ncco', { ncco: [{ action: 'talk', text: 'hi' }] }, 'answer_url', 'not both'],
    ['unknown machine_detection', { machineDetection: 'maybe' }, 'machine_detection', 'continue or hangup'],
  ])('rejects %s with 400 invalid_parameters naming the field', async (_name, extra, field, reason) => {
    const sandbox = await sandboxWith();
    const error = await vonageFor(sandbox)
      .voice.createOutboundCall(surveyCall(receiver, '48501000002', extra))
      .catch((e: unknown) => e);
    expect(statusOf(error)).toBe(400);
    const body = (await bodyOf(error)) as { type: string; invalid_parameters: { name: string; reason: string }[] };
    expect(body.type).toBe('BAD_REQUEST');
    expect(body.invalid_parameters).toEqual(expect.arrayContaining([{ name: field, reason: expect.stringContaining(reason) }]));
    expect(sandbox.stats().callsCreated).toBe(0);
  });

  test('rejects a body that is not JSON with 400', async () => {
    const sandbox = await sandboxWith();
    const response = await rawRequest(sandbox, '/v1/calls', { method: 'POST', body: '{"to": [' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ type: 'BAD_REQUEST', error_title: 'Bad Request' });
  });

  test('answers 429 past the calls-per-second limit, with the TOO_MANY_REQUESTS body, and measures the burst', async () => {
    const sandbox = await sandboxWith({ cps: 3, scenario: { population: { outcomes: { rejected: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => voice.createOutboundCall(surveyCall(receiver, `4850100010${i}`))));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(rejected).toHaveLength(3);
    for (const r of rejected) {
      expect(statusOf(r.reason)).toBe(429);
      expect(await bodyOf(r.reason)).toEqual({ type: 'TOO_MANY_REQUESTS', error_title: 'Too Many Requests' });
    }
    const stats = sandbox.stats();
    expect(stats.rateLimited).toBe(3);
    expect(stats.otherRequestsRateLimited).toBe(0);
    expect(stats.maxCreatesInAnyRollingSecond).toBe(6);
    expect(stats.callsCreated).toBe(3);
  });

  test('answers 429 when maxLiveCalls calls are already live', async () => {
    const sandbox = await sandboxWith({ timeScale: 1, maxLiveCalls: 1, scenario: { population: { outcomes: { timeout: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    await voice.createOutboundCall(surveyCall(receiver, '48501000201', { ringingTimer: 120 }));
    const error = await voice.createOutboundCall(surveyCall(receiver, '48501000202')).catch((e: unknown) => e);
    expect(statusOf(error)).toBe(429);
    expect(sandbox.stats()).toMatchObject({ liveCallLimitRejected: 1, activeCalls: 1, maxLiveCalls: 1 });
  });
});

describe('authentication', () => {
  test('a JWT signed with another key gets 401 with the exact Vonage body and a JSON content type', async () => {
    const sandbox = await sandboxWith();
    const error = await vonageFor(sandbox, testKeys().otherPrivateKey)
      .voice.createOutboundCall(surveyCall(receiver, '48501000301'))
      .catch((e: unknown) => e);
    expect(statusOf(error)).toBe(401);
    const response = (error as { response: Response }).response;
    expect(response.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
    expect(await response.text()).toBe('{"type":"UNAUTHORIZED","error_title":"Unauthorized"}');
    expect(sandbox.stats()).toMatchObject({ unauthorized: 1, callsCreated: 0 });
  });

  test('a JWT for another application id gets 401', async () => {
    const sandbox = await sandboxWith();
    const error = await vonageFor(sandbox, testKeys().privateKey, 'ffffffff-0000-0000-0000-000000000000')
      .voice.getCallsPage({})
      .catch((e: unknown) => e);
    expect(statusOf(error)).toBe(401);
  });

  test('an expired JWT, a token without jti and a missing token get 401; a fresh one passes', async () => {
    const sandbox = await sandboxWith();
    const nowSeconds = Math.floor(new Date().getTime() / 1000);
    const expired = jwt.sign(
      { application_id: APPLICATION_ID, jti: 'x', iat: nowSeconds - 1000, exp: nowSeconds - 100 },
      testKeys().privateKey,
      { algorithm: 'RS256' },
    );
    const noJti = jwt.sign({ application_id: APPLICATION_ID, iat: nowSeconds, exp: nowSeconds + 60 }, testKeys().privateKey, { algorithm: 'RS256' });
    expect((await rawRequest(sandbox, '/v1/calls', {}, expired)).status).toBe(401);
    expect((await rawRequest(sandbox, '/v1/calls', {}, noJti)).status).toBe(401);
    expect((await fetch(`${sandbox.url}/v1/calls`)).status).toBe(401);
    expect((await rawRequest(sandbox, '/v1/calls')).status).toBe(200);
  });
});

describe('GET, list and hangup', () => {
  test('GET leaves out billing fields while the call rings; hangup answers 204 with no body and cancels it', async () => {
    const sandbox = await sandboxWith({ timeScale: 1, scenario: { population: { outcomes: { timeout: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    const { uuid } = await voice.createOutboundCall(surveyCall(receiver, '48501000401', { ringingTimer: 120 }));

    const live = (await (await rawRequest(sandbox, `/v1/calls/${uuid}`)).json()) as Record<string, unknown>;
    expect(live).toMatchObject({ uuid, direction: 'outbound', to: { type: 'phone', number: '48501000401' } });
    expect(['started', 'ringing']).toContain(live.status);
    expect(live.start_time).toMatch(REST_TIME);
    for (const field of ['price', 'rate', 'duration', 'end_time']) expect(live).not.toHaveProperty(field);

    const raw = await rawRequest(sandbox, `/v1/calls/${uuid}`, { method: 'PUT', body: JSON.stringify({ action: 'hangup' }) });
    expect(raw.status).toBe(204);
    expect(await raw.text()).toBe('');
    await sandbox.onIdle();
    expect((await voice.getCall(uuid)).status).toBe('cancelled');
    expect(receiver.statuses(uuid).at(-1)).toBe('cancelled');
    // A second hangup of a call that is over is refused, as Vonage refuses changes to inactive calls.
    expect(statusOf(await voice.hangupCall(uuid).catch((e: unknown) => e))).toBe(400);
  });

  test('hanging up an answered call through the SDK completes it with a price', async () => {
    const sandbox = await sandboxWith({ timeScale: 50, scenario: { population: { outcomes: { answered: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    const endless = surveyCall(receiver, '48501000402', { answerUrl: [`${receiver.url}/answer-endless`] });
    receiver.on('/answer-endless', () => ({ body: [{ action: 'talk', text: 'Please hold.', loop: 0 }] }));
    const { uuid } = await voice.createOutboundCall(endless);
    await receiver.waitFor((r) => r.path === '/answer-endless' && r.payload.uuid === uuid);

    await expect(voice.hangupCall(uuid)).resolves.toBeUndefined();
    await sandbox.onIdle();
    const call = await voice.getCall(uuid);
    expect(call.status).toBe('completed');
    expect(call).toMatchObject({ rate: '0.01400000', duration: expect.stringMatching(/^\d+$/), price: expect.stringMatching(/^\d+\.\d{8}$/) });
    expect((call as unknown as Record<string, string>).end_time).toMatch(REST_TIME);
    const completed = receiver.events(uuid).find((e) => e.payload.status === 'completed')!;
    expect(completed.payload.disconnected_by).toBe('platform');
  });

  test('an unknown uuid is 404 for GET and PUT', async () => {
    const sandbox = await sandboxWith();
    const voice = vonageFor(sandbox).voice;
    expect(statusOf(await voice.getCall('no-such-call').catch((e: unknown) => e))).toBe(404);
    expect(statusOf(await voice.hangupCall('no-such-call').catch((e: unknown) => e))).toBe(404);
  });

  test('lists calls in pages with absolute next links, so getAllCalls walks every page, and filters by status', async () => {
    const sandbox = await sandboxWith({
      cps: 50,
      scenario: {
        callees: {
          '48501000501': { attempts: [{ outcome: 'busy' }] },
          '48501000502': { attempts: [{ outcome: 'busy' }] },
        },
        population: { outcomes: { rejected: 1 } },
      },
    });
    const voice = vonageFor(sandbox).voice;
    const numbers = ['48501000501', '48501000502', '48501000503', '48501000504', '48501000505'];
    const created = await Promise.all(numbers.map((n) => voice.createOutboundCall(surveyCall(receiver, n))));
    await sandbox.onIdle();

    const page = await voice.getCallsPage({ pageSize: 2 });
    expect(page).toMatchObject({ count: 5, page_size: 2, record_index: 0 });
    expect(page._embedded.calls).toHaveLength(2);
    expect(page._links!.next!.href.startsWith(`${sandbox.url}/v1/calls?`)).toBe(true);

    const all: string[] = [];
    for await (const call of voice.getAllCalls({ pageSize: 2 })) all.push(call.uuid);
    expect(all.sort()).toEqual(created.map((c) => c.uuid).sort());

    const busy = await voice.getCallsPage({ status: 'busy' } as never);
    expect(busy.count).toBe(2);
    expect(busy._links!.next).toBeUndefined();
    expect(busy._embedded.calls.map((c) => (c.to as { number: string }).number).sort()).toEqual(['48501000501', '48501000502']);

    const desc = await voice.getCallsPage({ order: 'desc', pageSize: 1 } as never);
    expect(desc._embedded.calls[0]!.uuid).toBe(created.at(-1)!.uuid);

    const badPage = await rawRequest(sandbox, '/v1/calls?page_size=500');
    expect(badPage.status).toBe(400);
    expect(((await badPage.json()) as { invalid_parameters: { name: string }[] }).invalid_parameters[0]!.name).toBe('page_size');
  });

  test('search and getAllCalls filter by date_start, date_end and conversation_uuid, paging within the filter', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const sandbox = await sandboxWith({ clock, cps: 50, scenario: { population: { outcomes: { busy: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    await voice.createOutboundCall(surveyCall(receiver, '48501000801'));
    clock.advance(60_000);
    const inWindow = await Promise.all(['48501000802', '48501000803', '48501000804'].map((n) => voice.createOutboundCall(surveyCall(receiver, n))));
    clock.advance(60_000);
    await voice.createOutboundCall(surveyCall(receiver, '48501000805'));
    await sandbox.onIdle();

    const window = { dateStart: '2026-01-05T10:00:30Z', dateEnd: '2026-01-05T10:01:30Z' };
    const found = await voice.search({ ...window, pageSize: 2 });
    expect(found).toMatchObject({ count: 3, page_size: 2, record_index: 0 });
    expect(found._links!.next!.href).toContain('date_start=2026-01-05T10%3A00%3A30Z');
    const all: string[] = [];
    for await (const call of voice.getAllCalls({ ...window, pageSize: 2 })) all.push(call.uuid);
    expect(all.sort()).toEqual(inWindow.map((c) => c.uuid).sort());

    const byConversation = await voice.search({ conversationUuid: inWindow[1]!.conversationUUID } as never);
    expect(byConversation._embedded.calls.map((c) => c.uuid)).toEqual([inWindow[1]!.uuid]);

    const badDate = await rawRequest(sandbox, '/v1/calls?date_start=yesterday');
    expect(badDate.status).toBe(400);
    expect(((await badDate.json()) as { invalid_parameters: { name: string }[] }).invalid_parameters[0]!.name).toBe('date_start');
  });

  test('GET answers 404 once a call is older than the retention period (two days by default)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const sandbox = await sandboxWith({ clock, scenario: { population: { outcomes: { busy: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    const { uuid } = await voice.createOutboundCall(surveyCall(receiver, '48501000601'));
    await sandbox.onIdle();
    clock.advance(2 * 24 * 3600 * 1000);
    expect((await voice.getCall(uuid)).status).toBe('busy');
    clock.advance(1000);
    expect(statusOf(await voice.getCall(uuid).catch((e: unknown) => e))).toBe(404);
    expect((await voice.getCallsPage({})).count).toBe(0);
  });

  test('other verbs are limited per rolling second too', async () => {
    const sandbox = await sandboxWith({ otherRequestsPerSecond: 2 });
    const voice = vonageFor(sandbox).voice;
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => voice.getCallsPage({})));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected').map((r) => statusOf((r as PromiseRejectedResult).reason))).toEqual([429, 429]);
    // Told apart from the creates' 429s: a dialer's pace is judged on those alone.
    expect(sandbox.stats()).toMatchObject({ rateLimited: 2, otherRequestsRateLimited: 2 });
  });

  test('stats are served without authentication', async () => {
    const sandbox = await sandboxWith();
    const response = await fetch(`${sandbox.url}/__sandbox/stats`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ callsCreated: 0, rateLimited: 0, webhooks: { sent: 0 } });
  });
});
