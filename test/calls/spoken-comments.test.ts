import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { awaitLateRecordings, type RecordingDownloads } from '../../src/calls/index.js';
import { CommentTexts, type Transcriber } from '../../src/comments/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createList, signCallback, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';

/** The spoken comment (a list with `comment: speech`) over real HTTP: signed input webhooks, real SQLite. */

function post(h: WebhookHarness, url: string, body: object) {
  const raw = JSON.stringify(body);
  return request(h.app).post(url).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
}

const WORDS = 'The price went up again and the delivery was late';

/** A transcriber never asked: a spoken comment's words come with its webhook. */
const unused: Transcriber = {
  mode: 'recording',
  fetchText: () => Promise.reject(new Error('a spoken comment is not downloaded')),
};

function setup(script: object = { company: 'Acme', comment: 'speech' }) {
  const stream = new PassThrough();
  const logs: string[] = [];
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const h = webhookHarness({ logger: createLogger({ level: 'debug', format: 'json', stream }) });
  const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567', language: 'en-US' }], script });
  const call = startCall(h.database, contactIds[0]!);
  // The audio downloads are counted, not made: no test sends traffic beyond loopback.
  const downloads: number[] = [];
  h.deps.recordings = { enqueue: (id: number) => downloads.push(id) } as unknown as RecordingDownloads;
  const texts = new CommentTexts({ stores: h.commentStores, clock: h.clock, logger: h.deps.logger, transcriber: unused, recordingsDir: h.recordingsDir });
  // The text queue's jobs are held until the test runs them, to see what the webhook alone stored.
  const classified: number[] = [];
  h.deps.texts = { enqueue: (id: number) => classified.push(id) } as unknown as CommentTexts;
  const runTextQueue = async () => {
    classified.forEach((id) => texts.enqueue(id));
    await texts.drain(10_000);
  };
  const response = () =>
    h.database.sqlite
      .prepare(
        `SELECT id, comment_mode AS mode, comment_text_status AS textStatus, comment_text AS text, comment_confidence AS confidence, comment_status AS audio, comment_recording_url AS audioUrl, themes_source AS themesSource
         FROM responses WHERE contact_id = ?`,
      )
      .get(contactIds[0]!) as { id: number; mode: string | null; textStatus: string; text: string | null; confidence: number | null; audio: string; audioUrl: string | null; themesSource: string | null };
  const themes = () => h.database.sqlite.prepare('SELECT theme FROM response_themes WHERE response_id = ? ORDER BY theme').pluck().all(response().id);
  const call_ = () => h.database.sqlite.prepare('SELECT ivr_stage AS stage, answered_by AS answeredBy FROM calls WHERE id = ?').get(call.callId) as { stage: string; answeredBy: string | null };
  return { h, ...call, runTextQueue, downloads, classified, response, themes, call: call_, logs };
}

type Setup = ReturnType<typeof setup>;

async function score(s: Setup, digits = '3') {
  await post(s.h, `/webhooks/answer/${s.ref}`, { uuid: s.uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
  return post(s.h, `/webhooks/input/${s.ref}?step=question`, { dtmf: { digits, timed_out: true }, uuid: s.uuid, timestamp: '2026-01-05T10:00:20.000Z' });
}

const spoken = (s: Setup, speech: unknown) =>
  post(s.h, `/webhooks/input/${s.ref}?step=comment`, { speech, dtmf: { digits: null, timed_out: false }, uuid: s.uuid, timestamp: '2026-01-05T10:00:40.000Z' });

describe('spoken comments (speech input)', () => {
  it('asks for the comment with a speech input in the callee language after the score', async () => {
    const s = setup();
    const scored = await score(s);
    expect(scored.status).toBe(200);
    expect(scored.body).toEqual([
      { action: 'talk', text: expect.stringMatching(/^Thank you\. If you would like to tell us why, please say it now/), language: 'en-US' },
      {
        action: 'input',
        type: ['speech'],
        speech: { language: 'en-US', endOnSilence: 3, startTimeout: 10, maxDuration: 60, saveAudio: true },
        eventUrl: [`https://dialer.example/webhooks/input/${s.ref}?step=comment`],
        eventMethod: 'POST',
      },
    ]);
    expect(s.call().stage).toBe('comment');
  });

  it('stores the most confident words once, classifies them off the webhook and fetches the saved audio', async () => {
    const s = setup();
    await score(s);
    const answer = await spoken(s, {
      recording_url: 'https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-000000000001',
      timeout_reason: 'end_on_silence_timeout',
      results: [
        { text: 'the prize went up', confidence: '0.41' },
        { text: WORDS, confidence: '0.87' },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([{ action: 'talk', text: 'Thank you for your time. Goodbye.', language: 'en-US' }]);
    // Stored in the webhook, classified by the queue.
    expect(s.response()).toMatchObject({ mode: 'speech', textStatus: 'pending', text: WORDS, confidence: 0.87, audio: 'pending' });
    expect(s.classified).toEqual([s.response().id]);
    expect(s.downloads).toEqual([s.response().id]);
    expect(s.call().stage).toBe('done');
    await s.runTextQueue();
    expect(s.response()).toMatchObject({ textStatus: 'ready', text: WORDS, themesSource: 'engine' });
    expect(s.themes()).toEqual(expect.arrayContaining(['price', 'speed']));

    // The words are kept with the response only: not in the call's events, not in the log.
    const events = s.h.database.sqlite.prepare(`SELECT payload FROM call_events WHERE call_id = ? AND kind = 'input'`).pluck().all(s.callId) as string[];
    expect(events.some((e) => e.includes('"speech"'))).toBe(true);
    expect(events.join('\n')).not.toMatch(/price went up|prize went up/);
    expect(s.logs.join('')).toMatch(/spoken comment received/);
    expect(s.logs.join('')).not.toMatch(/price went up|prize went up/);

    // The same webhook again (a redelivery): the same goodbye, nothing stored or queued twice.
    const again = await spoken(s, { results: [{ text: 'something else entirely', confidence: 0.99 }] });
    expect(again.body).toEqual(answer.body);
    expect(s.response()).toMatchObject({ textStatus: 'ready', text: WORDS, confidence: 0.87 });
    expect(s.classified).toHaveLength(1);
    expect(s.downloads).toHaveLength(1);
  });

  it('counts no words as no comment and does not fetch its audio', async () => {
    const s = setup();
    await score(s);
    const answer = await spoken(s, { recording_url: 'https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-000000000002', timeout_reason: 'start_timeout', results: [] });
    expect(answer.body).toEqual([expect.objectContaining({ text: 'Thank you for your time. Goodbye.' })]);
    expect(s.response()).toMatchObject({ mode: 'speech', textStatus: 'empty', text: null, audio: 'none', audioUrl: null });
    expect(s.classified).toEqual([]);
    expect(s.downloads).toEqual([]);
    expect(s.call().stage).toBe('done');
  });

  it('marks a recognition error failed, keeps the audio the provider saved, and still says goodbye', async () => {
    const s = setup();
    await score(s);
    const answer = await spoken(s, { error: 'Language bg-BG is not supported', recording_url: 'https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-000000000003' });
    expect(answer.status).toBe(200);
    expect(s.response()).toMatchObject({ textStatus: 'failed', text: null, audio: 'pending' });
    expect(s.downloads).toHaveLength(1);
    expect(s.logs.join('')).toMatch(/speech recognition failed: Language bg-BG is not supported/);
  });

  it('keeps words without audio when the provider names no recording, and a numeric confidence as given', async () => {
    const s = setup();
    await score(s);
    await spoken(s, { results: [{ text: WORDS, confidence: 0.2 }] });
    expect(s.response()).toMatchObject({ textStatus: 'pending', text: WORDS, confidence: 0.2, audio: 'none', audioUrl: null });
    expect(s.downloads).toEqual([]);
  });

  it('refuses a comment for a call without a score and changes nothing', async () => {
    const s = setup();
    await post(s.h, `/webhooks/answer/${s.ref}`, { uuid: s.uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
    const refused = await spoken(s, { results: [{ text: WORDS, confidence: '0.9' }] });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/step=comment, but this call has no score/);
    expect(s.response()).toBeUndefined();
  });

  it('follows the keypad reason question with the speech input', async () => {
    const s = setup({ company: 'Acme', comment: 'speech', reasons: { enabled: true } });
    await score(s);
    const chosen = await post(s.h, `/webhooks/input/${s.ref}?step=reason`, { dtmf: { digits: '1', timed_out: true }, uuid: s.uuid, timestamp: '2026-01-05T10:00:30.000Z' });
    expect(chosen.body[1]).toMatchObject({ action: 'input', type: ['speech'], eventUrl: [`https://dialer.example/webhooks/input/${s.ref}?step=comment`] });
  });

  it('classifies words a killed process left pending when the next one starts', async () => {
    const s = setup();
    await score(s);
    // The webhook's process dies before its queue ran: no text queue took the job.
    s.h.deps.texts = undefined;
    await spoken(s, { results: [{ text: WORDS, confidence: '0.9' }] });
    expect(s.response().textStatus).toBe('pending');
    const next = new CommentTexts({ stores: s.h.commentStores, clock: s.h.clock, logger: s.h.deps.logger, transcriber: unused, recordingsDir: s.h.recordingsDir });
    await expect(next.resumePending()).resolves.toBe(1);
    await next.drain(10_000);
    expect(s.response()).toMatchObject({ textStatus: 'ready', text: WORDS });
    expect(s.themes()).toEqual(expect.arrayContaining(['price']));
    await next.close();
  });

  it('leaves run nothing to wait for after the calls of a spoken-comment list, unlike a recorded one', async () => {
    // Both callees scored and hung up at the comment: no webhook will come for either.
    const spokenList = setup();
    await score(spokenList);
    await expect(awaitLateRecordings({ comments: spokenList.h.commentStores.comments, clock: spokenList.h.clock }, listOf(spokenList), 60_000)).resolves.toBeUndefined();

    const recorded = setup({ company: 'Acme' });
    await score(recorded);
    let done = false;
    const waiting = awaitLateRecordings({ comments: recorded.h.commentStores.comments, clock: recorded.h.clock }, listOf(recorded), 60_000).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    // A recording may still come after `completed`: run waits for it, on the clock, at most a minute.
    expect(done).toBe(false);
    for (let i = 0; i < 240 && !done; i++) {
      recorded.h.clock.advance(250);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waiting;
    expect(done).toBe(true);
  });
});

const listOf = (s: Setup) => (s.h.database.sqlite.prepare('SELECT list_id AS listId FROM calls WHERE id = ?').get(s.callId) as { listId: number }).listId;
