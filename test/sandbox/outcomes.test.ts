import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Sandbox, Scenario } from '../../src/sandbox/index.js';
import { checkSignature, PAYLOAD_SHAPES, shapeForEvent, startIvr, startTestSandbox, surveyCall, vonageFor, type Receiver } from './support.js';

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

async function sandboxWith(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await startTestSandbox({ cps: 50, ...options });
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

/** Dials one number with the given scripted attempt and waits for everything to settle. */
async function dial(number: string, attempt: NonNullable<Scenario['callees']>[string]['attempts'][number], extra: Record<string, unknown> = {}) {
  const sandbox = await sandboxWith({ scenario: { callees: { [number]: { attempts: [attempt] } } } });
  const created = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, number, extra));
  await sandbox.onIdle();
  return { sandbox, uuid: created.uuid, events: receiver.events(created.uuid), call: sandbox.calls()[0]! };
}

describe('calls that are never answered', () => {
  test.each([
    ['busy', { outcome: 'busy' as const }, ['started', 'ringing', 'busy'], { detail: 'busy', sip_code: 486 }],
    ['unanswered', { outcome: 'unanswered' as const, ringSeconds: 20 }, ['started', 'ringing', 'unanswered'], { detail: 'timeout', sip_code: 480 }],
    ['rejected', { outcome: 'rejected' as const, detail: 'invalid_number' }, ['started', 'rejected'], { detail: 'invalid_number', sip_code: 603 }],
    ['failed', { outcome: 'failed' as const }, ['started', 'failed'], { detail: 'cannot_route', sip_code: 404 }],
  ])('%s: status events in order, detail and sip_code, no answer request and no price', async (_name, attempt, statuses, failure) => {
    const { sandbox, uuid, events, call } = await dial(`4850400${statuses.length}${_name.length}00`, attempt);
    expect(events.map((e) => e.payload.status)).toEqual(statuses);
    const last = events.at(-1)!;
    expect(PAYLOAD_SHAPES.failure.parse(last.payload)).toMatchObject(failure);
    for (const event of events) {
      expect(shapeForEvent(event.payload).safeParse(event.payload).error).toBeUndefined();
      expect(checkSignature(event).verifies).toBe(true);
    }
    expect(receiver.at('/answer').filter((r) => r.payload.uuid === uuid)).toEqual([]);
    expect(call).toMatchObject({ answered: false, price: null, durationSeconds: null, status: statuses.at(-1) });
    const rest = (await vonageFor(sandbox).voice.getCall(uuid)) as unknown as Record<string, unknown>;
    expect(rest).not.toHaveProperty('price');
    expect(sandbox.stats().completedByOutcome[statuses.at(-1) as 'busy']).toBe(1);
  });

  test('a callee who rings past ringing_timer ends as timeout after exactly that many simulated seconds', async () => {
    const { events } = await dial('48504000101', { outcome: 'timeout' }, { ringingTimer: 30 });
    expect(events.map((e) => e.payload.status)).toEqual(['started', 'ringing', 'timeout']);
    expect(PAYLOAD_SHAPES.timeoutOrCancelled.parse(events[2]!.payload).status).toBe('timeout');
    const ringing = Date.parse(String(events[1]!.payload.timestamp));
    expect(Date.parse(String(events[2]!.payload.timestamp)) - ringing).toBe(30_000);
  });

  test('a callee who would ring longer than ringing_timer before giving up is reported as timeout, not unanswered', async () => {
    const { events } = await dial('48504000102', { outcome: 'unanswered', ringSeconds: 45 }, { ringingTimer: 30 });
    expect(events.at(-1)!.payload.status).toBe('timeout');
  });

  test('a person who would answer after ringing_timer is too late', async () => {
    const { events, call } = await dial('48504000103', { outcome: 'answered', ringSeconds: 31, keys: ['9#'] }, { ringingTimer: 30 });
    expect(events.at(-1)!.payload.status).toBe('timeout');
    expect(call.answered).toBe(false);
  });
});

describe('answered calls that end early', () => {
  test('a hang-up during the greeting ends the call by the user before any input', async () => {
    const { events, call } = await dial('48504000201', { outcome: 'answered', keys: ['9#'], hangup: { during: 'greeting', afterSeconds: 2 } });
    const completed = PAYLOAD_SHAPES.completed.parse(events.at(-1)!.payload);
    expect(completed).toMatchObject({ disconnected_by: 'user', duration: '2' });
    expect(call.inputs).toEqual([]);
  });

  test('a hang-up during the question sends no input webhook', async () => {
    const { uuid, events } = await dial('48504000202', { outcome: 'answered', keys: ['9#'], hangup: { during: 'question' } });
    expect(events.at(-1)!.payload).toMatchObject({ status: 'completed', disconnected_by: 'user' });
    expect(receiver.at('/input').filter((r) => r.payload.uuid === uuid)).toEqual([]);
  });

  test('a hang-up while recording the comment still delivers the partial recording before completed', async () => {
    const { uuid, call } = await dial('48504000203', { outcome: 'answered', keys: ['6#'], comment: { seconds: 8, end: 'hangup' } });
    expect(call.recordings).toHaveLength(1);
    expect(call.recordings[0]!.durationSeconds).toBe(8);
    const record = receiver.at('/recording').find((r) => r.payload.conversation_uuid === call.conversationUuid)!;
    const completed = receiver.events(uuid).find((e) => e.payload.status === 'completed')!;
    expect(record.sequence).toBeLessThan(completed.sequence);
    expect(completed.payload.disconnected_by).toBe('user');
  });

  test('length_timer cuts a call that would run longer, billing exactly length_timer seconds', async () => {
    receiver.on('/answer-long', () => ({ body: [{ action: 'talk', text: 'x'.repeat(1400) }] }));
    const { events, call } = await dial('48504000204', { outcome: 'answered' }, { answerUrl: [`${receiver.url}/answer-long`], lengthTimer: 60 });
    expect(PAYLOAD_SHAPES.completed.parse(events.at(-1)!.payload)).toMatchObject({ duration: '60', price: '0.01400000', disconnected_by: 'platform' });
    expect(call.durationSeconds).toBe(60);
  });
});

describe('NCCO problems', () => {
  test('an answer NCCO with eventUrl as a string ends the call with an error event and is reported', async () => {
    receiver.on('/answer-bad', () => ({
      body: [{ action: 'talk', text: 'Hi', bargeIn: true }, { action: 'input', type: ['dtmf'], eventUrl: `${receiver.url}/input` }],
    }));
    const { sandbox, uuid, call } = await dial('48504000301', { outcome: 'answered', keys: ['9#'] }, { answerUrl: [`${receiver.url}/answer-bad`] });
    const error = receiver.at('/event').find((r) => r.payload.conversation_uuid === call.conversationUuid && r.payload.reason !== undefined)!;
    expect(PAYLOAD_SHAPES.error.parse(error.payload).reason).toMatch(/NCCO/);
    expect(receiver.statuses(uuid).at(-1)).toBe('completed');
    expect(call.inputs).toEqual([]);
    expect(sandbox.stats().nccoProblems).toEqual([expect.stringMatching(/ncco\[1\]\.eventUrl: got ".*"; expected an array/)]);
  });

  test('bargeIn talk not followed by an input is rejected as Vonage does', async () => {
    receiver.on('/answer-barge', () => ({ body: [{ action: 'talk', text: 'Hi', bargeIn: true }, { action: 'record' }] }));
    const { call } = await dial('48504000302', { outcome: 'answered' }, { answerUrl: [`${receiver.url}/answer-barge`] });
    expect(call.nccoProblems).toEqual([expect.stringContaining('bargeIn true but the next non-talk action is record')]);
  });

  test('records an input the app never accepted as not delivered, after the provider\'s two tries', async () => {
    receiver.on('/refused-input', () => ({ status: 503 }));
    const { uuid, call } = await dial('48504000304', { outcome: 'answered', keys: ['8#'] }, {
      answerUrl: undefined,
      ncco: [
        { action: 'talk', text: 'Score?' },
        { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 2, submitOnHash: true }, eventUrl: [`${receiver.url}/refused-input`] },
      ],
    });
    expect(receiver.at('/refused-input').filter((r) => r.payload.uuid === uuid)).toHaveLength(2);
    expect(call.inputs).toEqual([{ prompt: 0, digits: '8', timedOut: false, delivered: false }]);
  });

  test('an inline ncco runs without an answer request', async () => {
    const { uuid, call } = await dial('48504000303', { outcome: 'answered', keys: ['5#'] }, {
      answerUrl: undefined,
      ncco: [
        { action: 'talk', text: 'Score?' },
        { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 2, submitOnHash: true }, eventUrl: [`${receiver.url}/inline-input`] },
      ],
    });
    expect(receiver.at('/answer').filter((r) => r.payload.uuid === uuid)).toEqual([]);
    expect(call.inputs).toEqual([{ prompt: 0, digits: '5', timedOut: false, delivered: true }]);
    expect(receiver.statuses(uuid).at(-1)).toBe('completed');
  });
});
