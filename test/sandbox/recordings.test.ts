import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { tokenGenerate } from '@vonage/jwt';
import type { Sandbox } from '../../src/sandbox/index.js';
import { APPLICATION_ID, PAYLOAD_SHAPES, startIvr, startTestSandbox, surveyCall, testKeys, vonageFor, type Receiver } from './support.js';

const receivers: Receiver[] = [];
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

/** Runs one answered call with a comment and returns its record webhook payload. */
async function recordedCall(options: { format: 'mp3' | 'wav'; transcription?: boolean; notFoundDownloads?: number }) {
  const receiver = await startIvr({ recordFormat: options.format, transcription: options.transcription ?? false });
  receivers.push(receiver);
  const sandbox = await startTestSandbox({
    scenario: {
      callees: {
        '48506000001': {
          attempts: [{ outcome: 'answered', keys: ['9#'], comment: { seconds: 3, text: 'Friendly and fast.', end: 'silence' } }],
          faults: { recordingNotFoundDownloads: options.notFoundDownloads ?? 0 },
        },
      },
    },
  });
  sandboxes.push(sandbox);
  await vonageFor(sandbox).voice.createOutboundCall(surveyCall(receiver, '48506000001'));
  await sandbox.onIdle();
  const [record, transcription] = receiver.at('/recording');
  return { sandbox, record: PAYLOAD_SHAPES.record.parse(record!.payload), transcription: transcription?.payload };
}

/** Downloads with a fresh application JWT, as the dialer's own downloader must (reference §7). */
const download = (url: string, token: string | null = tokenGenerate(APPLICATION_ID, testKeys().privateKey)) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('recording downloads', () => {
  test('an mp3 recording is served with a JWT as audio/mpeg: whole MPEG-2 Layer III frames, size as announced', async () => {
    const { record } = await recordedCall({ format: 'mp3' });
    const response = await download(record.recording_url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^audio\/mpeg/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(record.size);
    expect(bytes.length % 144).toBe(0);
    for (let offset = 0; offset < bytes.length; offset += 144) {
      expect([...bytes.subarray(offset, offset + 4)]).toEqual([0xff, 0xf3, 0x48, 0xc0]);
    }
    // 3 s of speech and 3 s of silence (endOnSilence) at 36 ms per frame.
    expect(bytes.length / 144).toBe(Math.ceil((6 * 16000) / 576));
  });

  test('a wav recording is a valid 16 kHz mono PCM file whose data length matches its duration', async () => {
    const { record } = await recordedCall({ format: 'wav' });
    const response = await download(record.recording_url);
    expect(response.headers.get('content-type')).toMatch(/^audio\/wav/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(bytes.toString('ascii', 8, 12)).toBe('WAVE');
    expect(bytes.readUInt16LE(22)).toBe(1);
    expect(bytes.readUInt32LE(24)).toBe(16000);
    expect(bytes.readUInt32LE(40)).toBe(6 * 16000 * 2);
    expect(bytes.length).toBe(record.size);
    // The spoken part is not silent; the trailing silence is.
    expect(bytes.subarray(44, 44 + 32000).some((b) => b !== 0)).toBe(true);
    expect(bytes.subarray(bytes.length - 32000).every((b) => b === 0)).toBe(true);
  });

  test('downloads need the application JWT, and /v3/files/:id serves the same file', async () => {
    const { sandbox, record } = await recordedCall({ format: 'mp3' });
    expect((await download(record.recording_url, null)).status).toBe(401);
    expect((await download(record.recording_url, tokenGenerate(APPLICATION_ID, testKeys().otherPrivateKey))).status).toBe(401);
    const fileId = record.recording_url.split('/').at(-1)!;
    const v3 = await download(`${sandbox.url}/v3/files/${fileId}`);
    expect(v3.status).toBe(200);
    expect(Buffer.from(await v3.arrayBuffer()).length).toBe(record.size);
    expect((await download(`${sandbox.url}/v1/files/no-such-file`)).status).toBe(404);
  });

  test('a recording that 404s for its first two downloads is served on the third', async () => {
    const { sandbox, record } = await recordedCall({ format: 'mp3', notFoundDownloads: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await download(record.recording_url)).status);
    expect(statuses).toEqual([404, 404, 200]);
    expect(sandbox.stats().recordingDownloads).toBe(1);
  });

  test('a record action with transcription sends a transcription webhook whose file holds the spoken text', async () => {
    const { record, transcription } = await recordedCall({ format: 'mp3', transcription: true });
    const payload = PAYLOAD_SHAPES.transcription.parse(transcription);
    expect(payload.recording_uuid).toBe(record.recording_uuid);
    const document = (await (await download(payload.transcription_url)).json()) as { channels: { transcript: { sentence: string }[] }[] };
    expect(document.channels[0]!.transcript[0]!.sentence).toBe('Friendly and fast.');
  });
});
