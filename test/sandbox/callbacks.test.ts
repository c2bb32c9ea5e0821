import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import {
  APPLICATION_ID,
  checkSignature,
  PAYLOAD_SHAPES,
  shapeForEvent,
  startIvr,
  startTestSandbox,
  surveyCall,
  vonageFor,
  type Captured,
  type Receiver,
} from './support.js';

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

async function sandboxWith(options: Parameters<typeof startTestSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await startTestSandbox(options);
  sandboxes.push(sandbox);
  return sandbox;
}

beforeAll(async () => {
  receiver = await startIvr({ transcription: true });
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await receiver.close();
});

function expectSigned(request: Captured): void {
  const signature = checkSignature(request);
  expect({ path: request.path, verifies: signature.verifies, hashMatches: signature.hashMatches }).toEqual({
    path: request.path,
    verifies: true,
    hashMatches: true,
  });
  expect(signature.claims).toMatchObject({ iss: 'Vonage', api_key: 'testkey', application_id: APPLICATION_ID });
  expect(signature.claims.jti).toEqual(expect.any(String));
  expect(signature.claims.iat).toEqual(expect.any(Number));
  expect(signature.claims).not.toHaveProperty('exp');
}

const forCall = (uuid: string, conversationUuid: string) => (r: Captured) =>
  r.payload.uuid === uuid || r.payload.call_uuid === uuid || r.payload.conversation_uuid === conversationUuid;

describe('an answered survey call', () => {
  test('sends every callback in its documented shape, signed, with a payload hash of the exact body', async () => {
    const sandbox = await sandboxWith({
      scenario: {
        callees: {
          '48502000001': { attempts: [{ outcome: 'answered', keys: ['9#'], comment: { seconds: 12, text: 'Great service.', end: 'key' } }] },
        },
      },
    });
    const created = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48502000001'));
    await sandbox.onIdle();
    const requests = receiver.requests.filter(forCall(created.uuid, created.conversationUUID!));

    // started → ringing → answered → answer request → input → recording (+ transcription) → completed
    expect(receiver.statuses(created.uuid)).toEqual(['started', 'ringing', 'answered', 'completed']);
    expect(requests.map((r) => r.path)).toEqual(['/event', '/event', '/event', '/answer', '/input', '/recording', '/recording', '/event']);

    for (const request of requests) {
      expectSigned(request);
      if (request.path === '/event') expect(shapeForEvent(request.payload).safeParse(request.payload).error).toBeUndefined();
    }
    const answer = requests.find((r) => r.path === '/answer')!;
    expect(PAYLOAD_SHAPES.answer.parse(answer.payload)).toMatchObject({ to: '48502000001', from: '447700900000', uuid: created.uuid });

    const input = requests.find((r) => r.path === '/input')!;
    expect(PAYLOAD_SHAPES.input.parse(input.payload).dtmf).toEqual({ digits: '9', timed_out: false });
    expect(input.payload).not.toHaveProperty('status');

    const [record, transcription] = requests.filter((r) => r.path === '/recording');
    const recordPayload = PAYLOAD_SHAPES.record.parse(record!.payload);
    expect(record!.payload).not.toHaveProperty('uuid');
    expect(record!.payload).not.toHaveProperty('status');
    expect(recordPayload.recording_url.startsWith(`${sandbox.url}/v1/files/`)).toBe(true);
    // 12 s of speech and the # key: the recording is 12.4 s long, from start_time to end_time.
    expect(Date.parse(recordPayload.end_time) - Date.parse(recordPayload.start_time)).toBeGreaterThanOrEqual(12_000);
    expect(PAYLOAD_SHAPES.transcription.parse(transcription!.payload).recording_uuid).toBe(recordPayload.recording_uuid);

    const completed = PAYLOAD_SHAPES.completed.parse(requests.at(-1)!.payload);
    const billedSeconds = Number(completed.duration);
    expect(billedSeconds).toBe((Date.parse(completed.end_time) - Date.parse(completed.start_time)) / 1000);
    expect(Number(completed.price)).toBeCloseTo((0.014 * billedSeconds) / 60, 8);
    expect(completed.disconnected_by).toBe('platform');

    const [call] = sandbox.calls();
    expect(call).toMatchObject({
      status: 'completed',
      answered: true,
      inputs: [{ prompt: 0, digits: '9', timedOut: false }],
      durationSeconds: billedSeconds,
      price: completed.price,
      nccoProblems: [],
    });
    expect(call!.recordings[0]).toMatchObject({ format: 'mp3', durationSeconds: 12.4, sizeBytes: recordPayload.size });
    expect(sandbox.stats().webhooks).toEqual({ sent: 8, failed: 0, retried: 0, dropped: 0, duplicated: 0 });
  });

  test('GET webhooks carry fields as query parameters with nested objects JSON-encoded, and still verify', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48502000002': { attempts: [{ outcome: 'answered', keys: ['7'] }] } } } });
    receiver.on('/get-answer', () => ({
      body: [
        { action: 'talk', text: 'Score?' },
        { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 2, timeOut: 5 }, eventUrl: [`${receiver.url}/get-input?ref=abc`], eventMethod: 'GET' },
      ],
    }));
    const created = await vonageFor(sandbox).voice.createOutboundCall(
      surveyCall(receiver, '48502000002', { answerUrl: [`${receiver.url}/get-answer?ref=abc`], answerMethod: 'GET', eventUrl: [`${receiver.url}/get-event`], eventMethod: 'GET' }),
    );
    await sandbox.onIdle();
    const answer = receiver.at('/get-answer').find((r) => r.query.uuid === created.uuid)!;
    expect(answer.method).toBe('GET');
    expect(answer.query).toMatchObject({ ref: 'abc', to: '48502000002', conversation_uuid: created.conversationUUID });
    const input = receiver.at('/get-input').find((r) => r.query.uuid === created.uuid)!;
    expect(JSON.parse(input.query.dtmf!)).toEqual({ digits: '7', timed_out: true });
    expect(input.query.ref).toBe('abc');
    const events = receiver.at('/get-event').filter((r) => r.query.uuid === created.uuid);
    expect(events.map((r) => r.query.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
    // `answered` has null start_time/rate/network; a query string cannot say null, so they are left out.
    expect(events[2]!.query).not.toHaveProperty('start_time');
    for (const request of [answer, input, ...events]) expectSigned(request);
  });
});

describe('callback tokens', () => {
  test('a GET callback carries the hash of the empty body, or none with bodilessPayloadHash omitted', async () => {
    const getCall = (sandbox: Sandbox, number: string) =>
      vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, number, { answerUrl: [`${receiver.url}/get-answer`], answerMethod: 'GET' }));
    receiver.on('/get-answer', () => ({ body: [{ action: 'talk', text: 'Hello' }] }));
    const hashed = await getCall(await sandboxWith({ scenario: { callees: { '48502000011': { attempts: [{ outcome: 'answered' }] } } } }), '48502000011');
    const omitted = await getCall(await sandboxWith({ bodilessPayloadHash: 'omitted', scenario: { callees: { '48502000012': { attempts: [{ outcome: 'answered' }] } } } }), '48502000012');
    await Promise.all(sandboxes.map((s) => s.onIdle()));
    const answerOf = (uuid: string) => receiver.at('/get-answer').find((r) => r.query.uuid === uuid)!;
    expect(checkSignature(answerOf(hashed.uuid)).claims.payload_hash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(checkSignature(answerOf(omitted.uuid)).claims).not.toHaveProperty('payload_hash');
    // A POST still carries the hash of its body.
    expect(receiver.events(omitted.uuid).every((r) => checkSignature(r).hashMatches)).toBe(true);
  });

  test('iat is the system clock whatever time the sandbox simulates, unless a token clock is given', async () => {
    const simulated = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const fast = await sandboxWith({ clock: simulated, scenario: { callees: { '48502000013': { attempts: [{ outcome: 'busy' }] } } } });
    const own = await vonageFor(fast).voice.createOutboundCall(surveyCall(receiver, '48502000013'));
    await fast.onIdle();
    const busy = receiver.events(own.uuid).at(-1)!;
    // The payload's timestamps follow the simulated clock; the token's iat is real time.
    expect(String(busy.payload.timestamp)).toMatch(/^2026-01-05T10:/);
    expect(Math.abs(Number(checkSignature(busy).claims.iat) - Date.now() / 1000)).toBeLessThan(30);

    const tokenClock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const sandbox = await sandboxWith({ tokenClock, scenario: { callees: { '48502000014': { attempts: [{ outcome: 'busy' }] } } } });
    const created = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48502000014'));
    await sandbox.onIdle();
    expect(receiver.events(created.uuid).map((r) => checkSignature(r).claims.iat)).toEqual(receiver.events(created.uuid).map(() => Date.UTC(2026, 0, 5, 10, 0, 0) / 1000));
  });
});

describe('machine detection', () => {
  test('machine_detection hangup: a machine event with call_uuid, then completed by the platform, and no input', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48502000101': { attempts: [{ outcome: 'machine', detectSeconds: 3 }] } } } });
    const created = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48502000101', { machineDetection: 'hangup' }));
    await sandbox.onIdle();
    expect(receiver.statuses(created.uuid)).toEqual(['started', 'ringing', 'answered', 'machine', 'completed']);
    const machine = receiver.events(created.uuid).find((e) => e.payload.status === 'machine')!;
    expect(PAYLOAD_SHAPES.detection.parse(machine.payload).call_uuid).toBe(created.uuid);
    expect(machine.payload).not.toHaveProperty('uuid');
    const completed = receiver.events(created.uuid).find((e) => e.payload.status === 'completed')!;
    expect(completed.payload).toMatchObject({ disconnected_by: 'platform', duration: '3' });
    expect(receiver.at('/input').filter((r) => r.payload.uuid === created.uuid)).toEqual([]);
    expect(sandbox.calls()[0]).toMatchObject({ machine: true, answered: true, inputs: [] });
    expect(sandbox.stats().answeredByMachine).toBe(1);
  });

  test('a person answering with detection on gets a human event and the survey runs', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48502000102': { attempts: [{ outcome: 'answered', keys: ['10'] }] } } } });
    const created = await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48502000102', { machineDetection: 'hangup' }));
    await sandbox.onIdle();
    const statuses = receiver.statuses(created.uuid);
    expect(statuses).toContain('human');
    expect(statuses.at(-1)).toBe('completed');
    const human = receiver.events(created.uuid).find((e) => e.payload.status === 'human')!;
    expect(PAYLOAD_SHAPES.detection.parse(human.payload).call_uuid).toBe(created.uuid);
    expect(sandbox.calls()[0]!.inputs).toEqual([{ prompt: 0, digits: '10', timedOut: false, delivered: true }]);
  });

  test('advanced detection in detect_beep mode with continue reports the beep and lets the NCCO run', async () => {
    const sandbox = await sandboxWith({ scenario: { callees: { '48502000103': { attempts: [{ outcome: 'machine', greetingSeconds: 9 }] } } } });
    const created = await vonageFor(sandbox).voice.createOutboundCall(
      surveyCall(receiver, '48502000103', { advancedMachineDetection: { behavior: 'continue', mode: 'detect_beep', beepTimeout: 45 } }),
    );
    await sandbox.onIdle();
    const machineEvents = receiver.events(created.uuid).filter((e) => e.payload.status === 'machine');
    expect(machineEvents.map((e) => e.payload.sub_state)).toEqual([undefined, 'beep_start']);
    // The machine presses nothing: the input times out empty and the IVR re-prompts.
    expect(sandbox.calls()[0]!.inputs[0]).toEqual({ prompt: 0, digits: '', timedOut: true, delivered: true });
    expect(receiver.statuses(created.uuid).at(-1)).toBe('completed');
  });
});
