import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Sandbox } from '../../src/sandbox/index.js';
import { bodyOf, checkSignature, PAYLOAD_SHAPES, startIvr, startTestSandbox, statusOf, surveyCall, vonageFor, type Receiver } from './support.js';

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

async function sandboxWith(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await startTestSandbox({ cps: 50, ...options });
  sandboxes.push(sandbox);
  return sandbox;
}

const ANSWERED = { outcome: 'answered' as const, keys: ['8#'], comment: { seconds: 4, end: 'key' as const } };

beforeAll(async () => {
  receiver = await startIvr();
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await receiver.close();
});

describe('delivery order', () => {
  test('startedBeforeCreateResponse: the app has answered `started` before the 201 reaches it', async () => {
    const sandbox = await sandboxWith({
      scenario: {
        callees: {
          '48505000001': { attempts: [{ outcome: 'busy' }], faults: { startedBeforeCreateResponse: true } },
          '48505000002': { attempts: [{ outcome: 'busy' }] },
        },
      },
    });
    // The app holds its answer to `started` until its own create has resolved or the control's
    // (no fault) has, then notes whether its own had. The control's 201 does not wait for the app,
    // so its create resolves while its `started` is held (the note is true); with the fault the
    // 201 cannot come before the app's answer, so even after the control's create came back the
    // faulted one has not (the note is false). Events order this, not a time limit.
    const createResolvedAtStarted = new Map<string, boolean>();
    const resolvers = new Map<string, () => void>();
    const resolvedPromises = new Map<string, Promise<void>>();
    const numbers = ['48505000001', '48505000002'];
    const control = '48505000002';
    for (const number of numbers) resolvedPromises.set(number, new Promise<void>((resolve) => resolvers.set(number, resolve)));
    const resolved = new Set<string>();
    receiver.on('/slow-event', async (request) => {
      if (request.payload.status !== 'started') return undefined;
      const number = String(request.payload.to);
      await Promise.race([resolvedPromises.get(number), resolvedPromises.get(control)]);
      createResolvedAtStarted.set(number, resolved.has(number));
      return undefined;
    });
    const voice = vonageFor(sandbox).voice;
    await Promise.all(
      numbers.map(async (number) => {
        await voice.createOutboundCall(surveyCall(receiver, number, { eventUrl: [`${receiver.url}/slow-event`] }));
        resolved.add(number);
        resolvers.get(number)!();
      }),
    );
    await sandbox.onIdle();
    expect(createResolvedAtStarted.get('48505000001')).toBe(false);
    // Without the fault the 201 does not wait for the app (the control case).
    expect(createResolvedAtStarted.get('48505000002')).toBe(true);
  });

  test('duplicateRate 1 delivers every status webhook twice with the same body and a fresh signature', async () => {
    const sandbox = await sandboxWith({ faults: { duplicateRate: 1 }, scenario: { callees: { '48505000101': { attempts: [{ outcome: 'busy' }] } } } });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000101'));
    await sandbox.onIdle();
    const events = receiver.events(uuid);
    expect(events.map((e) => e.payload.status)).toEqual(['started', 'started', 'ringing', 'ringing', 'busy', 'busy']);
    expect(events[0]!.rawBody).toBe(events[1]!.rawBody);
    expect(checkSignature(events[0]!).claims.jti).not.toBe(checkSignature(events[1]!).claims.jti);
    expect(sandbox.stats().webhooks.duplicated).toBe(3);
  });

  test('redeliveryToken same: a duplicate and a retry carry the first delivery\'s token', async () => {
    const sandbox = await sandboxWith({ redeliveryToken: 'same', faults: { duplicateRate: 1 }, scenario: { callees: { '48505000111': { attempts: [{ outcome: 'busy' }] } } } });
    let failures = 0;
    receiver.on('/flaky-same', (request) => (request.payload.status === 'busy' && failures++ === 0 ? { status: 500, body: { error: 'boom' } } : undefined));
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000111', { eventUrl: [`${receiver.url}/flaky-same`] }));
    await sandbox.onIdle();
    const events = receiver.at('/flaky-same').filter((r) => r.payload.uuid === uuid);
    expect(events.map((e) => e.payload.status)).toEqual(['started', 'started', 'ringing', 'ringing', 'busy', 'busy', 'busy']);
    const tokens = events.map((e) => e.headers.authorization);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).toBe(tokens[3]);
    // The 500 was retried, and then duplicated, all under one token.
    expect(new Set(tokens.slice(4)).size).toBe(1);
    expect(new Set(tokens).size).toBe(3);
  });

  test('outOfOrderRate 1 delivers status webhooks out of order, while their timestamps keep the true order', async () => {
    const sandbox = await sandboxWith({ faults: { outOfOrderRate: 1 }, scenario: { callees: { '48505000201': { attempts: [ANSWERED] } } } });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000201'));
    await sandbox.onIdle();
    const events = receiver.events(uuid);
    const arrival = events.map((e) => e.payload.status);
    const byTimestamp = [...events].sort((a, b) => String(a.payload.timestamp).localeCompare(String(b.payload.timestamp))).map((e) => e.payload.status);
    expect(byTimestamp).toEqual(['started', 'ringing', 'answered', 'completed']);
    expect(arrival).not.toEqual(byTimestamp);
    expect([...arrival].sort()).toEqual([...byTimestamp].sort());
  });

  test('dropStatusRate 1 loses every status webhook; GET /v1/calls/:uuid still tells the outcome', async () => {
    const sandbox = await sandboxWith({ faults: { dropStatusRate: 1 }, scenario: { callees: { '48505000301': { attempts: [ANSWERED] } } } });
    const voice = vonageFor(sandbox).voice;
    const { uuid } = await voice.createOutboundCall(surveyCall(receiver, '48505000301'));
    await sandbox.onIdle();
    expect(receiver.events(uuid)).toEqual([]);
    expect(sandbox.stats().webhooks.dropped).toBe(4);
    const call = await voice.getCall(uuid);
    expect(call).toMatchObject({ status: 'completed', duration: expect.stringMatching(/^\d+$/) });
    // Input and recording webhooks are not status webhooks and still arrive.
    expect(receiver.at('/input').some((r) => r.payload.uuid === uuid)).toBe(true);
  });

  test('recordingAfterCompleted holds the recording webhook until after completed', async () => {
    const sandbox = await sandboxWith({ faults: { recordingAfterCompleted: true }, scenario: { callees: { '48505000401': { attempts: [ANSWERED] } } } });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000401'));
    await sandbox.onIdle();
    const conversation = sandbox.calls()[0]!.conversationUuid;
    const completed = receiver.events(uuid).find((e) => e.payload.status === 'completed')!;
    const record = receiver.at('/recording').find((r) => r.payload.conversation_uuid === conversation)!;
    expect(record.sequence).toBeGreaterThan(completed.sequence);
  });

  test('webhookDelayMs delays deliveries but not the simulated timestamps', async () => {
    const sandbox = await sandboxWith({ faults: { webhookDelayMs: [20, 20] }, scenario: { callees: { '48505000501': { attempts: [{ outcome: 'busy', ringSeconds: 3 }] } } } });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000501'));
    await sandbox.onIdle();
    const [, ringing, busy] = receiver.events(uuid);
    expect(Date.parse(String(busy!.payload.timestamp)) - Date.parse(String(ringing!.payload.timestamp))).toBe(3000);
  });
});

describe('retries and timeouts', () => {
  test('a status webhook answered with 500 is retried once and then counts as delivered', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48505000601': { attempts: [{ outcome: 'busy' }] } } } });
    let failures = 0;
    receiver.on('/flaky-event', (request) => (request.payload.status === 'ringing' && failures++ === 0 ? { status: 500, body: { error: 'boom' } } : undefined));
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000601', { eventUrl: [`${receiver.url}/flaky-event`] }));
    await sandbox.onIdle();
    const statuses = receiver.at('/flaky-event').filter((r) => r.payload.uuid === uuid).map((r) => r.payload.status);
    expect(statuses).toEqual(['started', 'ringing', 'ringing', 'busy']);
    expect(sandbox.stats().webhooks).toMatchObject({ retried: 1, failed: 0 });
  });

  test('an answer_url that never responds is tried twice, then the call ends with an error event, billed for the second in between', async () => {
    const sandbox = await sandboxWith({ answerWebhookTimeoutMs: 100, scenario: { callees: { '48505000701': { attempts: [ANSWERED] } } } });
    receiver.on('/answer-hangs', () => ({ hang: true }));
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000701', { answerUrl: [`${receiver.url}/answer-hangs`] }));
    await sandbox.onIdle();
    expect(receiver.at('/answer-hangs').filter((r) => r.payload.uuid === uuid)).toHaveLength(2);
    const conversation = sandbox.calls()[0]!.conversationUuid;
    const error = receiver.at('/event').find((r) => r.payload.conversation_uuid === conversation && r.payload.reason !== undefined)!;
    expect(PAYLOAD_SHAPES.error.parse(error.payload).reason).toMatch(/answer_url.*no response within 100 ms/);
    expect(receiver.statuses(uuid)).toEqual(['started', 'ringing', 'answered', 'completed']);
    expect(sandbox.calls()[0]).toMatchObject({ answered: true, durationSeconds: 1 });
    expect(sandbox.stats().webhooks).toMatchObject({ failed: 1, retried: 1 });
  });
});

describe('REST faults', () => {
  test('createServerErrorRate 1 answers 500 with the gateway body and creates nothing', async () => {
    const sandbox = await sandboxWith({ faults: { createServerErrorRate: 1 } });
    const error = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505000801')).catch((e: unknown) => e);
    expect(statusOf(error)).toBe(500);
    expect(await bodyOf(error)).toEqual({ type: 'INTERNAL_SERVER_ERROR', error_title: 'Internal Server Error' });
    expect(sandbox.stats()).toMatchObject({ serverErrors: 1, callsCreated: 0 });
  });

  test('a 429 storm lets the first afterCreates creates through, refuses the next `creates`, then ends', async () => {
    const sandbox = await sandboxWith({ faults: { tooManyRequestsStorms: [{ afterCreates: 1, creates: 2 }] } });
    const voice = vonageFor(sandbox).voice;
    const statuses: number[] = [];
    // One after another, so the request count (not arrival order) places each one.
    for (const number of ['48505000901', '48505000902', '48505000903', '48505000904']) {
      statuses.push(await voice.createOutboundCall(surveyCall(receiver, number)).then(() => 201, (e: unknown) => statusOf(e) ?? 0));
    }
    expect(statuses).toEqual([201, 429, 429, 201]);
    expect(sandbox.stats()).toMatchObject({ rateLimited: 2, callsCreated: 2 });
  });

  test('hangupTooSoonSeconds refuses a hangup right after create with 400 BAD_REQUEST', async () => {
    const sandbox = await sandboxWith({ timeScale: 1, faults: { hangupTooSoonSeconds: 30 }, scenario: { population: { outcomes: { timeout: 1 } } } });
    const voice = vonageFor(sandbox).voice;
    const { uuid } = await voice.createOutboundCall(surveyCall(receiver, '48505001001'));
    const error = await voice.hangupCall(uuid).catch((e: unknown) => e);
    expect(statusOf(error)).toBe(400);
    expect(await bodyOf(error)).toEqual({ type: 'BAD_REQUEST', error_title: 'Bad Request' });
    expect((await voice.getCall(uuid)).status).not.toBe('cancelled');
  });

  test('completedAfterFailure sends completed (with nothing billed) after a failure status', async () => {
    const sandbox = await sandboxWith({ faults: { completedAfterFailure: true }, scenario: { callees: { '48505001101': { attempts: [{ outcome: 'busy' }] } } } });
    const { uuid } = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48505001101'));
    await sandbox.onIdle();
    expect(receiver.statuses(uuid)).toEqual(['started', 'ringing', 'busy', 'completed']);
    expect(receiver.events(uuid).at(-1)!.payload).toMatchObject({ duration: '0', price: '0.00000000' });
    expect(sandbox.calls()[0]!.status).toBe('busy');
  });

  test("a callee's faults override the global ones for that number only", async () => {
    const sandbox = await sandboxWith({
      faults: { duplicateRate: 1 },
      scenario: {
        callees: {
          '48505001201': { attempts: [{ outcome: 'rejected' }], faults: { duplicateRate: 0 } },
          '48505001202': { attempts: [{ outcome: 'rejected' }] },
        },
      },
    });
    const voice = vonageFor(sandbox).voice;
    const [calm, noisy] = await Promise.all([
      voice.createOutboundCall(surveyCall(receiver, '48505001201')),
      voice.createOutboundCall(surveyCall(receiver, '48505001202')),
    ]);
    await sandbox.onIdle();
    expect(receiver.statuses(calm.uuid)).toEqual(['started', 'rejected']);
    expect(receiver.statuses(noisy.uuid)).toEqual(['started', 'started', 'rejected', 'rejected']);
  });
});
