import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { audioSizeBytes, generateAudio } from '../../src/sandbox/audio.js';
import { RequestAuthenticator } from '../../src/sandbox/auth.js';
import { isoWithMs, isoWithoutMs, priceFor, restTime } from '../../src/sandbox/format.js';
import { seededRandom } from '../../src/sandbox/random.js';
import { RollingWindowLimiter, RollingWindowMeter } from '../../src/sandbox/rate-limit.js';
import { planRecording, talkSeconds } from '../../src/sandbox/simulate.js';
import { encodeWebhook } from '../../src/sandbox/webhooks.js';

describe('billing arithmetic', () => {
  test.each([
    ['0.00450000', 7, '0.00052500'],
    ['0.00450000', 2, '0.00015000'],
    ['0.01400000', 25, '0.00583333'],
    ['0.014', 60, '0.01400000'],
    ['0.01400000', 0, '0.00000000'],
    ['1.23456789', 7200, '148.14814680'],
  ])('rate %s for %d s costs %s (rate × seconds / 60, 8 decimals)', (rate, seconds, price) => {
    expect(priceFor(rate, seconds)).toBe(price);
  });

  test('a malformed rate is refused with the value named', () => {
    expect(() => priceFor('1,5', 10)).toThrow("got '1,5'");
  });
});

describe('wire time formats', () => {
  const at = Date.UTC(2026, 0, 5, 10, 0, 7, 123);
  test('webhooks use ISO-8601 with ms, recordings without, REST "YYYY-MM-DD HH:MM:SS"', () => {
    expect(isoWithMs(at)).toBe('2026-01-05T10:00:07.123Z');
    expect(isoWithoutMs(at)).toBe('2026-01-05T10:00:07Z');
    expect(restTime(at)).toBe('2026-01-05 10:00:07');
  });
});

describe('rolling one-second window', () => {
  test('admits the limit in any window, refuses the next, and does not count refusals', () => {
    const limiter = new RollingWindowLimiter(3);
    expect([0, 100, 200, 300].map((t) => limiter.tryAcquire(t))).toEqual([true, true, true, false]);
    // At 999 the first three are still inside the window; at 1000 the first has left it.
    expect(limiter.tryAcquire(999)).toBe(false);
    expect(limiter.tryAcquire(1000)).toBe(true);
    expect(limiter.tryAcquire(1050)).toBe(false);
  });

  test('two bursts straddling a calendar second collide, unlike with per-second buckets', () => {
    const limiter = new RollingWindowLimiter(3);
    const first = [900, 910, 920].map((t) => limiter.tryAcquire(t));
    const second = [1100, 1110, 1120].map((t) => limiter.tryAcquire(t));
    expect(first).toEqual([true, true, true]);
    expect(second).toEqual([false, false, false]);
  });

  test('the meter reports the busiest rolling second', () => {
    const meter = new RollingWindowMeter();
    for (const t of [0, 400, 800, 1300, 1350, 1390, 5000]) meter.record(t);
    expect(meter.max).toBe(5); // 400, 800, 1300, 1350, 1390
  });
});

describe('webhook encoding', () => {
  test('GET puts fields in the query, JSON-encodes nested objects, drops nulls and keeps the URL query', () => {
    const { url, body } = encodeWebhook({
      url: 'http://app.test/input?ref=A1',
      method: 'GET',
      payload: { dtmf: { digits: '7', timed_out: true }, uuid: 'u1', rate: null, size: 10 },
    });
    const parsed = new URL(url);
    expect(parsed.searchParams.get('ref')).toBe('A1');
    expect(JSON.parse(parsed.searchParams.get('dtmf')!)).toEqual({ digits: '7', timed_out: true });
    expect(parsed.searchParams.get('size')).toBe('10');
    expect(parsed.searchParams.has('rate')).toBe(false);
    expect(body).toBe('');
  });

  test('POST sends the payload as the JSON body, nulls included', () => {
    expect(encodeWebhook({ url: 'http://app.test/e', method: 'POST', payload: { rate: null } }).body).toBe('{"rate":null}');
  });
});

describe('callee timing', () => {
  test('talk takes time in proportion to the text, SSML tags excluded, at least a second', () => {
    expect(talkSeconds('x'.repeat(140))).toBe(10);
    expect(talkSeconds(`<speak>${'x'.repeat(14)}</speak>`)).toBe(1);
    expect(talkSeconds('Hi')).toBe(1);
    expect(talkSeconds('x'.repeat(140), 2)).toBe(20);
    expect(talkSeconds('Hi', 0)).toBe(Number.POSITIVE_INFINITY);
  });

  const RECORD = { endOnKey: '#', endOnSilenceSeconds: 3, timeOutSeconds: 60 };
  test.each([
    ['a comment ended with the key', { speechSeconds: 10, end: 'key' as const }, RECORD, { durationSeconds: 10.4, endedBy: 'key' }],
    ['a comment followed by silence', { speechSeconds: 10, end: 'silence' as const }, RECORD, { durationSeconds: 13, endedBy: 'silence' }],
    ['a comment ended by hanging up', { speechSeconds: 10, end: 'hangup' as const }, RECORD, { durationSeconds: 10, endedBy: 'hangup' }],
    ['no comment at all', null, RECORD, { durationSeconds: 3, endedBy: 'silence' }],
    ['a comment longer than timeOut', { speechSeconds: 90, end: 'key' as const }, RECORD, { durationSeconds: 60, endedBy: 'timeout' }],
    ['the key when the action has no endOnKey', { speechSeconds: 5, end: 'key' as const }, { ...RECORD, endOnKey: undefined }, { durationSeconds: 8, endedBy: 'silence' }],
    ['silence without endOnSilence', { speechSeconds: 5, end: 'silence' as const }, { endOnKey: '#', endOnSilenceSeconds: undefined, timeOutSeconds: 20 }, { durationSeconds: 20, endedBy: 'timeout' }],
  ])('a record action with %s', (_name, comment, settings, expected) => {
    expect(planRecording(comment, settings, 0.4)).toEqual(expected);
  });
});

describe('audio files', () => {
  test.each([
    ['mp3', 0.01],
    ['mp3', 6],
    ['wav', 0],
    ['wav', 2.5],
  ] as const)('the announced size of a %s of %d s equals the generated bytes', (kind, seconds) => {
    expect(generateAudio(kind, seconds, seconds / 2).length).toBe(audioSizeBytes(kind, seconds));
  });
});

describe('seeded random streams', () => {
  test('the same key gives the same stream; another key another stream', () => {
    const draw = (...key: (string | number)[]) => {
      const random = seededRandom(...key);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draw(42, '48501', 0)).toEqual(draw(42, '48501', 0));
    expect(draw(42, '48501', 1)).not.toEqual(draw(42, '48501', 0));
    expect(draw(42, '48501', 0).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  test('weighted draws follow the weights and never pick a zero weight', () => {
    const random = seededRandom('weights');
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[random.weighted([1, 0, 3])]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.5);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.5);
    expect(random.weighted([0, 0])).toBe(-1);
  });
});

describe('application JWT checks', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const applicationId = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
  const sign = (privateKey: string, claims: Record<string, unknown> = {}) =>
    jwt.sign({ application_id: applicationId, jti: 'j1', exp: Math.floor(Date.now() / 1000) + 900, ...claims }, privateKey, { algorithm: 'RS256' });

  test('a token that verified is taken again; a forged or expired one never is, however often it comes', () => {
    const auth = new RequestAuthenticator({ privateKey: key.privateKey, applicationId });
    const good = `Bearer ${sign(key.privateKey)}`;
    expect(auth.verify(good)).toEqual({ ok: true });
    expect(auth.verify(good)).toEqual({ ok: true });
    const forged = `Bearer ${sign(stranger.privateKey)}`;
    expect(auth.verify(forged)).toMatchObject({ ok: false, reason: 'invalid signature' });
    expect(auth.verify(forged)).toMatchObject({ ok: false, reason: 'invalid signature' });
    const expired = `Bearer ${sign(key.privateKey, { exp: Math.floor(Date.now() / 1000) - 10 })}`;
    expect(auth.verify(expired)).toMatchObject({ ok: false, reason: 'jwt expired' });
    const otherApp = `Bearer ${sign(key.privateKey, { application_id: 'someone-else' })}`;
    expect(auth.verify(otherApp)).toEqual({ ok: false, reason: 'wrong application_id' });
    expect(auth.verify(otherApp)).toEqual({ ok: false, reason: 'wrong application_id' });
  });
});
