import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Sandbox } from '../../src/sandbox/index.js';
import { collectDtmf, DEFAULT_DTMF, type DtmfSettings } from '../../src/sandbox/simulate.js';
import { PAYLOAD_SHAPES, startIvr, startTestSandbox, surveyCall, vonageFor, type Receiver } from './support.js';

const SURVEY: DtmfSettings = { maxDigits: 2, submitOnHash: true, timeOutSeconds: 5 };
const TIMING = { thinkSeconds: 1.5, interKeySeconds: 0.4 };

describe('collectDtmf (how Vonage turns key presses into an input result)', () => {
  test.each([
    ['7#', '7', false, 1.9],
    ['7', '7', true, 6.5],
    ['10', '10', false, 1.9],
    ['', '', true, 5],
    ['*', '*', true, 6.5],
    ['*#', '*', false, 1.9],
    ['#', '', false, 1.5],
    ['123', '12', false, 1.9],
  ])('keys %j with maxDigits 2 and submitOnHash give digits %j, timed_out %s after %d s', (keys, digits, timedOut, elapsedSeconds) => {
    const result = collectDtmf(keys, SURVEY, TIMING);
    expect(result.digits).toBe(digits);
    expect(result.timedOut).toBe(timedOut);
    expect(result.elapsedSeconds).toBeCloseTo(elapsedSeconds, 6);
  });

  test('without submitOnHash, # is not a digit and does not submit: the input waits for its timeout', () => {
    expect(collectDtmf('7#', { ...SURVEY, submitOnHash: false }, TIMING)).toEqual({ digits: '7', timedOut: true, elapsedSeconds: 1.9 + 5 });
  });

  test('a callee who thinks longer than timeOut loses the answer: the input times out empty', () => {
    expect(collectDtmf('7#', SURVEY, { thinkSeconds: 6, interKeySeconds: 0.4 })).toEqual({ digits: '', timedOut: true, elapsedSeconds: 5 });
  });

  test("Vonage's defaults (4 digits, no hash, 3 s) apply to a bare input", () => {
    expect(DEFAULT_DTMF).toEqual({ maxDigits: 4, submitOnHash: false, timeOutSeconds: 3 });
    expect(collectDtmf('1234', DEFAULT_DTMF, TIMING)).toMatchObject({ digits: '1234', timedOut: false });
  });
});

describe('input webhooks over the wire', () => {
  let sandbox: Sandbox;
  let receiver: Receiver;
  const callees: Record<string, string[]> = {
    '48503000001': ['7#'],
    '48503000002': ['7'],
    '48503000003': ['10'],
    '48503000004': ['', '8#'],
    '48503000005': ['*'],
    '48503000006': ['11', '7#'],
  };

  beforeAll(async () => {
    receiver = await startIvr();
    sandbox = await startTestSandbox({
      cps: 50,
      scenario: {
        callees: Object.fromEntries(Object.entries(callees).map(([number, keys]) => [number, { attempts: [{ outcome: 'answered' as const, keys }] }])),
      },
    });
    const voice = vonageFor(sandbox).voice;
    await Promise.all(Object.keys(callees).map((number) => voice.createOutboundCall(surveyCall(receiver, number))));
    await sandbox.onIdle();
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  const dtmfFor = (number: string) =>
    receiver
      .at('/input')
      .filter((r) => r.payload.to === number)
      .map((r) => PAYLOAD_SHAPES.input.parse(r.payload).dtmf);

  test('"7#" arrives as digits "7" with timed_out false (the # submits and is not a digit)', () => {
    expect(dtmfFor('48503000001')).toEqual([{ digits: '7', timed_out: false }]);
  });

  test('"7" then silence arrives as digits "7" with timed_out true', () => {
    expect(dtmfFor('48503000002')).toEqual([{ digits: '7', timed_out: true }]);
  });

  test('"10" fills maxDigits and arrives at once with timed_out false', () => {
    expect(dtmfFor('48503000003')).toEqual([{ digits: '10', timed_out: false }]);
  });

  test('no key arrives as digits "" with timed_out true, and the re-prompt gets the next answer', () => {
    expect(dtmfFor('48503000004')).toEqual([
      { digits: '', timed_out: true },
      { digits: '8', timed_out: false },
    ]);
  });

  test('"*" is a digit character (the opt-out key) and ends the survey without a comment', () => {
    expect(dtmfFor('48503000005')).toEqual([{ digits: '*', timed_out: true }]);
    const call = sandbox.calls().find((c) => c.to === '48503000005')!;
    expect(call.recordings).toEqual([]);
    expect(call.status).toBe('completed');
  });

  test('an invalid "11" is re-prompted by the app, and the new NCCO collects "7#"', () => {
    expect(dtmfFor('48503000006')).toEqual([
      { digits: '11', timed_out: false },
      { digits: '7', timed_out: false },
    ]);
    const call = sandbox.calls().find((c) => c.to === '48503000006')!;
    expect(call.inputs.map((i) => i.prompt)).toEqual([0, 1]);
    expect(call.recordings).toHaveLength(1);
  });

  test('no digits string ever contains #', () => {
    const all = receiver.at('/input').map((r) => (r.payload.dtmf as { digits: string }).digits);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.every((d) => !d.includes('#'))).toBe(true);
  });
});
