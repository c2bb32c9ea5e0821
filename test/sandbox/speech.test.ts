import { accessSync, constants } from 'node:fs';
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { tokenGenerate } from '@vonage/jwt';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/index.js';
import { createCalleeResolver } from '../../src/sandbox/callee.js';
import { commentKindFor, poolComment } from '../../src/sandbox/comments.js';
import { APPLICATION_ID, checkSignature, Receiver, startTestSandbox, surveyCall, testKeys, vonageFor } from './support.js';

const receivers: Receiver[] = [];
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

const NUMBER = '48506000001';

const download = (url: string, token: string | null = tokenGenerate(APPLICATION_ID, testKeys().privateKey)) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

type Comment = { seconds: number; text?: string; language?: string; confidence?: number; sentiment?: number; end?: 'key' | 'silence' | 'hangup' } | null;

/** Runs one answered call whose NCCO is `ncco(receiver)`; the callee leaves `comment`. */
async function runCall(ncco: (receiver: Receiver) => unknown[], comment: Comment, options: Partial<SandboxOptions> = {}) {
  const receiver = await new Receiver().start();
  receivers.push(receiver);
  receiver.on('/answer', () => ({ body: ncco(receiver) }));
  const sandbox = await startTestSandbox({
    ...options,
    scenario: { callees: { [NUMBER]: { attempts: [{ outcome: 'answered', comment }] } }, ...options.scenario },
  });
  sandboxes.push(sandbox);
  await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, NUMBER));
  await sandbox.onIdle();
  return { receiver, sandbox };
}

const recordNcco =
  (transcription: Record<string, unknown> = {}, format = 'mp3') =>
  (receiver: Receiver) => [
    { action: 'record', format, endOnSilence: 3, timeOut: 60, eventUrl: [`${receiver.url}/recording`], transcription },
    { action: 'talk', text: 'Goodbye' },
  ];

const speechNcco =
  (speech: Record<string, unknown> = {}) =>
  (receiver: Receiver) => [
    { action: 'input', type: ['speech'], speech: { endOnSilence: 1.5, maxDuration: 30, startTimeout: 5, ...speech }, eventUrl: [`${receiver.url}/input`] },
  ];

const transcriptions = (receiver: Receiver) => receiver.requests.filter((r) => r.payload.type === 'record' && 'status' in r.payload);

interface Transcript {
  channels: { transcript: { sentence: string; raw_sentence: string; words: { word: string; confidence: number }[]; sentiment?: number }[]; duration: number; sentiment?: number }[];
}

describe('record with transcription', () => {
  test('the transcription webhook is signed, follows the recording, and its JWT-only download holds words, confidence and sentiment', async () => {
    const { receiver } = await runCall(recordNcco({ language: 'en-US', sentimentAnalysis: true }), {
      seconds: 4,
      text: 'Delivery was late, again.',
      confidence: 0.81,
      sentiment: -0.6,
    });
    const hooks = receiver.at('/recording');
    expect(hooks).toHaveLength(2);
    const [record, transcription] = hooks;
    expect(record!.payload.recording_url).toEqual(expect.any(String));
    expect(Object.keys(transcription!.payload).sort()).toEqual(
      ['conversation_uuid', 'recording_uuid', 'status', 'timestamp', 'transcription_url', 'type'].sort(),
    );
    expect(transcription!.payload).toMatchObject({ status: 'transcribed', type: 'record', recording_uuid: record!.payload.recording_uuid });
    const signature = checkSignature(transcription!);
    expect(signature.verifies && signature.hashMatches).toBe(true);

    const url = String(transcription!.payload.transcription_url);
    expect((await download(url, null)).status).toBe(401);
    expect((await download(url.replace('/v1/', '/v3/'))).status).toBe(200);
    const document = (await (await download(url)).json()) as Transcript;
    const sentence = document.channels[0]!.transcript[0]!;
    expect(sentence.sentence).toBe('Delivery was late, again.');
    expect(sentence.raw_sentence).toBe('delivery was late again');
    expect(sentence.words.map((w) => w.word)).toEqual(['Delivery', 'was', 'late,', 'again.']);
    expect(sentence.words.every((w) => w.confidence === 0.81)).toBe(true);
    expect(document.channels[0]!.sentiment).toBe(-0.6);
  });

  test('sentiment can be placed per sentence or left out (its shape is UNCONFIRMED)', async () => {
    const comment = { seconds: 3, text: 'Great staff.', sentiment: 0.9 };
    const perSentence = await runCall(recordNcco({ sentimentAnalysis: true }), comment, { speech: { transcription: { sentimentShape: 'sentence' } } });
    const url = String(transcriptions(perSentence.receiver)[0]!.payload.transcription_url);
    const document = (await (await download(url)).json()) as Transcript;
    expect(document.channels[0]!.transcript[0]!.sentiment).toBe(0.9);
    expect(document.channels[0]!.sentiment).toBeUndefined();

    const without = await runCall(recordNcco({}), comment);
    const plain = (await (await download(String(transcriptions(without.receiver)[0]!.payload.transcription_url))).json()) as Transcript;
    expect(plain.channels[0]!.sentiment).toBeUndefined();
  });

  test('a callee who stays silent still yields a recording, and a transcript with no sentences', async () => {
    const { receiver } = await runCall(recordNcco({}), null);
    const [record, transcription] = receiver.at('/recording');
    expect(record!.payload.size).toBeGreaterThan(0);
    const document = (await (await download(String(transcription!.payload.transcription_url))).json()) as Transcript;
    expect(document.channels[0]!.transcript).toEqual([]);
  });

  test('an unsupported language gets a failed webhook by default, or is transcribed when configured', async () => {
    const failed = await runCall(recordNcco({ language: 'pl-PL' }), { seconds: 3, text: 'Za drogo.' });
    const [hook] = transcriptions(failed.receiver);
    expect(hook!.payload).toMatchObject({ status: 'failed', type: 'record' });
    expect(hook!.payload.transcription_url).toBeUndefined();

    const accepted = await runCall(recordNcco({ language: 'pl-PL' }), { seconds: 3, text: 'Za drogo.' }, { speech: { transcription: { languages: ['en-US', 'pl-PL'] } } });
    expect(transcriptions(accepted.receiver)[0]!.payload.status).toBe('transcribed');
  });

  test('the webhook goes to transcription.eventUrl, else the record eventUrl, else the event_url', async () => {
    const own = await runCall((r) => [{ action: 'record', endOnSilence: 3, eventUrl: [`${r.url}/recording`], transcription: { eventUrl: [`${r.url}/transcribed`] } }], { seconds: 2, text: 'Fine.' });
    expect(own.receiver.at('/transcribed')).toHaveLength(1);
    const fallback = await runCall(() => [{ action: 'record', endOnSilence: 3, transcription: {} }], { seconds: 2, text: 'Fine.' });
    expect(transcriptions(fallback.receiver).map((r) => r.path)).toEqual(['/event']);
  });

  test('faults: a webhook that never arrives, a duplicate, a delayed one, and a download that answers 500', async () => {
    const dropped = await runCall(recordNcco({}), { seconds: 2, text: 'Fine.' }, { speech: { transcription: { dropRate: 1 } } });
    expect(dropped.receiver.at('/recording')).toHaveLength(1);

    const duplicated = await runCall(recordNcco({}), { seconds: 2, text: 'Fine.' }, { speech: { transcription: { duplicateRate: 1 } } });
    const twice = transcriptions(duplicated.receiver);
    expect(twice).toHaveLength(2);
    expect(twice[1]!.payload).toEqual(twice[0]!.payload);

    // A delayed transcription is still awaited by onIdle (runCall returns only once it arrived).
    const delayed = await runCall(recordNcco({}), { seconds: 2, text: 'Fine.' }, { speech: { transcription: { delayMs: [50, 50] } } });
    expect(transcriptions(delayed.receiver).map((r) => r.payload.status)).toEqual(['transcribed']);

    const broken = await runCall(recordNcco({}), { seconds: 2, text: 'Fine.' }, { speech: { transcription: { downloadErrorRate: 1 } } });
    const response = await download(String(transcriptions(broken.receiver)[0]!.payload.transcription_url));
    expect(response.status).toBe(500);
  });
});

describe('speech input', () => {
  test('the comment comes back as speech.results with a string confidence, end_on_silence_timeout and a saved audio file', async () => {
    const { receiver, sandbox } = await runCall(speechNcco({ language: 'pl-PL', saveAudio: true }), { seconds: 4, text: 'Za drogo i za wolno.' });
    const [input] = receiver.at('/input');
    const speech = input!.payload.speech as Record<string, unknown>;
    expect(speech.timeout_reason).toBe('end_on_silence_timeout');
    expect(speech.results).toEqual([{ text: 'Za drogo i za wolno.', confidence: '0.9' }]);
    expect(input!.payload.dtmf).toEqual({ digits: null, timed_out: false });
    const audio = await download(String(speech.recording_url));
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/^audio\/wav/);
    expect((await download(String(speech.recording_url), null)).status).toBe(401);
    expect(sandbox.calls()[0]!.inputs[0]!.speechText).toBe('Za drogo i za wolno.');
  });

  test('a silent callee gives no results after start_timeout; a long one is cut at max_duration', async () => {
    const silent = await runCall(speechNcco(), null);
    expect(silent.receiver.at('/input')[0]!.payload.speech).toEqual({ timeout_reason: 'start_timeout', results: [] });
    const long = await runCall(speechNcco({ maxDuration: 5 }), { seconds: 20, text: 'A very long story.' });
    expect((long.receiver.at('/input')[0]!.payload.speech as { timeout_reason: string }).timeout_reason).toBe('max_duration');
  });

  test('variants: numeric and low confidence, an error object, a missing recording_url, an unsupported language', async () => {
    const comment = { seconds: 3, text: 'Good.' };
    const numeric = await runCall(speechNcco(), comment, { speech: { recognition: { confidenceType: 'number', lowConfidenceRate: 1, lowConfidence: 0.15 } } });
    expect((numeric.receiver.at('/input')[0]!.payload.speech as { results: unknown[] }).results).toEqual([{ text: 'Good.', confidence: 0.15 }]);

    const failing = await runCall(speechNcco(), comment, { speech: { recognition: { errorRate: 1 } } });
    const failed = failing.receiver.at('/input')[0]!.payload.speech as Record<string, unknown>;
    expect(failed.error).toEqual(expect.any(String));
    expect(failed.results).toBeUndefined();

    const noUrl = await runCall(speechNcco({ saveAudio: true }), comment, { speech: { recognition: { missingRecordingUrlRate: 1 } } });
    const withoutUrl = noUrl.receiver.at('/input')[0]!.payload.speech as Record<string, unknown>;
    expect(withoutUrl.results).toHaveLength(1);
    expect(withoutUrl.recording_url).toBeUndefined();

    const german = await runCall(speechNcco({ language: 'de-DE' }), comment);
    expect((german.receiver.at('/input')[0]!.payload.speech as Record<string, unknown>).error).toMatch(/de-DE/);
  });
});

describe('generated callees', () => {
  test('comment at the same rate as before, in the words of their score and the language they are asked in', () => {
    const resolver = createCalleeResolver({ seed: 7, scenario: {}, population: { outcomes: { answered: 1 } } });
    const scripts = Array.from({ length: 600 }, (_, i) => resolver.script(`48600${String(i).padStart(6, '0')}`, 0).script);
    const comments = scripts.flatMap((s) => (s.outcome === 'answered' && s.comment ? [{ comment: s.comment, keys: s.keys }] : []));
    expect(comments.length / scripts.length).toBeGreaterThan(0.28);
    expect(comments.length / scripts.length).toBeLessThan(0.42);
    for (const { comment, keys } of comments) {
      const score = Number(keys.at(-1)!.replace('#', ''));
      if (Number.isNaN(score)) continue; // opted out with *
      expect(comment.pool?.kind).toBe(commentKindFor(score));
    }
    expect(poolComment('detractor', 'ru-RU', 0).language).toBe('ru-RU');
    expect(poolComment('promoter', 'bg-BG', 0.99).text).toMatch(/[а-я]/);
    expect(poolComment('passive', 'fr-FR', 0.5).language).toBe('en-US');
  });
});

describe('speech audio (espeak-ng)', () => {
  test('a recording of a callee who commented is a non-silent WAV spoken by espeak-ng', async () => {
    let installed = true;
    try {
      accessSync('/usr/bin/espeak-ng', constants.X_OK);
    } catch {
      installed = false;
    }
    if (!installed) throw new Error('espeak-ng not installed: apt-get install espeak-ng');
    const { receiver } = await runCall(recordNcco(undefined, 'mp3'), { seconds: 4, text: 'The price is too high.' }, { speech: { synthesis: 'espeak' } });
    const record = receiver.at('/recording')[0]!;
    const response = await download(String(record.payload.recording_url));
    expect(response.headers.get('content-type')).toMatch(/^audio\/wav/);
    const wav = Buffer.from(await response.arrayBuffer());
    expect(wav.length).toBe(record.payload.size);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(16_000);
    let loud = 0;
    for (let offset = 44; offset + 1 < wav.length; offset += 2) if (Math.abs(wav.readInt16LE(offset)) > 500) loud++;
    expect(loud).toBeGreaterThan(1000);
  });

  test('a silent callee or synthesis off keeps the requested format and silence', async () => {
    const { receiver } = await runCall(recordNcco(undefined, 'mp3'), null, { speech: { synthesis: 'espeak' } });
    const response = await download(String(receiver.at('/recording')[0]!.payload.recording_url));
    expect(response.headers.get('content-type')).toMatch(/^audio\/mpeg/);
  });
});
