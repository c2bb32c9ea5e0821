import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CommentTexts, parseTranscript, sqliteCommentStores, type TextResult, type Transcriber } from '../../src/comments/index.js';
import { createList, signCallback, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';
import { tempDir } from '../support/factories.js';
import { ManualClock } from '../../src/clock/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { openMemoryDatabase } from '../../src/db/index.js';
import { seedList } from '../support/reports.js';

const transcript = (sentences: string[], confidence: unknown = 0.9) => ({
  ver: '1.0.19',
  request_id: 'r',
  channels: [{ transcript: sentences.map((sentence) => ({ sentence, raw_sentence: sentence, words: sentence.split(' ').map((word) => ({ word, confidence })) })), duration: 3 }],
});

describe('parseTranscript (the provider document, reference §6 record)', () => {
  it('joins the sentences and averages the words confidence, numbers or numeric strings', () => {
    expect(parseTranscript(transcript(['Too expensive.', 'Rude staff.']))).toEqual({ ok: true, text: 'Too expensive. Rude staff.', confidence: 0.9 });
    expect(parseTranscript(transcript(['Too expensive.'], '0.5'))).toEqual({ ok: true, text: 'Too expensive.', confidence: 0.5 });
  });

  it('reads a transcript without sentences as no words, and refuses a document of another shape', () => {
    expect(parseTranscript({ channels: [{ transcript: [], duration: 2 }] })).toEqual({ ok: true, text: '', confidence: null });
    expect(parseTranscript({ channels: [] })).toEqual({ ok: true, text: '', confidence: null });
    expect(parseTranscript({ error: 'nope' })).toEqual({ ok: false, retryable: false, reason: 'the transcript has no channels' });
    expect(parseTranscript(null)).toMatchObject({ ok: false });
  });
});

/** A transcriber that answers from a script, one answer per call. */
class ScriptedTranscriber implements Transcriber {
  readonly mode = 'recording' as const;
  readonly calls: string[] = [];
  constructor(private readonly answers: TextResult[]) {}
  fetchText(source: string): Promise<TextResult> {
    this.calls.push(source);
    return Promise.resolve(this.answers.shift() ?? { ok: false, retryable: false, reason: 'no more answers' });
  }
}

function queueSetup(answers: TextResult[]) {
  const database = openMemoryDatabase();
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
  const recordingsDir = tempDir('nps-texts-');
  const { listId } = seedList(database, { contacts: [{ score: 2, comment: { status: 'downloaded', file: 'list-1/call-1.mp3', seconds: 4 } }] });
  mkdirSync(path.join(recordingsDir, 'list-1'), { recursive: true });
  writeFileSync(path.join(recordingsDir, 'list-1/call-1.mp3'), 'audio');
  const responseId = database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ?').pluck().get(listId) as number;
  database.sqlite
    .prepare(`UPDATE responses SET comment_transcript_url = 'https://api.nexmo.com/v1/files/t1', comment_text_status = 'pending', comment_text_due_at = ?, comment_language = 'en-US' WHERE id = ?`)
    .run(clock.now(), responseId);
  const transcriber = new ScriptedTranscriber(answers);
  const texts = new CommentTexts({ stores: sqliteCommentStores(database), clock, logger: createSilentLogger(), transcriber, recordingsDir, retryDelayMs: 1000, maxAttempts: 3 });
  const stored = () =>
    database.sqlite
      .prepare('SELECT comment_text_status AS status, comment_text AS text, comment_status AS audio, comment_text_attempts AS attempts, themes_source AS themesSource FROM responses WHERE id = ?')
      .get(responseId) as { status: string; text: string | null; audio: string; attempts: number; themesSource: string | null };
  return { database, clock, recordingsDir, responseId, texts, transcriber, stored, themes: () => database.sqlite.prepare('SELECT theme FROM response_themes WHERE response_id = ?').pluck().all(responseId) };
}

/** Lets the queue's job run until it waits on the clock or ends. */
const settle = async (texts: CommentTexts) => {
  for (let i = 0; i < 20 && texts.pending > 0; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('CommentTexts (the comment text queue)', () => {
  it('stores the words and the themes the engine finds', async () => {
    const s = queueSetup([{ ok: true, text: 'The price is far too high', confidence: 0.8 }]);
    s.texts.enqueue(s.responseId);
    await s.texts.drain(1000);
    expect(s.stored()).toEqual({ status: 'ready', text: 'The price is far too high', audio: 'downloaded', attempts: 1, themesSource: 'engine' });
    expect(s.themes()).toEqual(['price']);
  });

  it('counts a recording without words as no comment and deletes its audio at once', async () => {
    const s = queueSetup([{ ok: true, text: '', confidence: null }]);
    s.texts.enqueue(s.responseId);
    await s.texts.drain(1000);
    expect(s.stored()).toMatchObject({ status: 'empty', text: null, audio: 'deleted' });
    expect(existsSync(path.join(s.recordingsDir, 'list-1/call-1.mp3'))).toBe(false);
  });

  it('retries a transcript not there yet (404) on the clock, and gives up after the last attempt with the audio kept', async () => {
    const s = queueSetup([
      { ok: false, retryable: true, reason: 'download answered HTTP 404' },
      { ok: true, text: 'Delivery was slow', confidence: 0.7 },
    ]);
    s.texts.enqueue(s.responseId);
    await settle(s.texts);
    expect(s.stored()).toMatchObject({ status: 'pending', attempts: 1 });
    s.clock.advance(1000);
    await s.texts.drain(10_000);
    expect(s.stored()).toMatchObject({ status: 'ready', text: 'Delivery was slow', attempts: 2 });

    const f = queueSetup([{ ok: false, retryable: false, reason: 'transcript host not allowed' }]);
    f.texts.enqueue(f.responseId);
    await f.texts.drain(1000);
    expect(f.stored()).toMatchObject({ status: 'failed', audio: 'downloaded', attempts: 1 });
  });

  it('resumes the texts a killed process left pending', async () => {
    const s = queueSetup([{ ok: true, text: 'Rude staff', confidence: 1 }]);
    await expect(s.texts.resumePending()).resolves.toBe(1);
    await s.texts.drain(1000);
    expect(s.stored()).toMatchObject({ status: 'ready' });
    await expect(s.texts.resumePending()).resolves.toBe(0);
  });

  it('stops on close: a read in flight and a retry waiting on the clock end, and the store is not touched after close resolved', async () => {
    const database = openMemoryDatabase();
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
    const { listId } = seedList(database, { contacts: [{ score: 2 }, { score: 3 }] });
    const [hanging, retrying] = database.sqlite.prepare('SELECT id FROM responses WHERE list_id = ? ORDER BY id').pluck().all(listId) as number[];
    database.sqlite.prepare(`UPDATE responses SET comment_mode = 'recording', comment_transcript_url = 'https://api.nexmo.com/v1/files/t', comment_text_status = 'pending' WHERE list_id = ?`).run(listId);
    const stores = sqliteCommentStores(database);
    let closed = false;
    const touchedAfterClose: string[] = [];
    const comments = new Proxy(stores.comments, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (closed) touchedAfterClose.push(String(key));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    // The first text's read never answers until the queue is closed; the second's fails and waits to retry.
    let fetched = 0;
    const transcriber: Transcriber = {
      mode: 'recording',
      fetchText: (_source, signal) =>
        new Promise<TextResult>((resolve) => {
          if (fetched++ === 0) signal.addEventListener('abort', () => resolve({ ok: false, retryable: true, reason: 'aborted' }));
          else resolve({ ok: false, retryable: true, reason: 'download answered HTTP 404' });
        }),
    };
    const texts = new CommentTexts({ stores: { ...stores, comments }, clock, logger: createSilentLogger(), transcriber, recordingsDir: tempDir('nps-texts-'), retryDelayMs: 1000 });
    texts.enqueue(hanging!);
    texts.enqueue(retrying!);
    await settle(texts);
    expect(texts.pending).toBe(2);
    await texts.close();
    closed = true;
    expect(texts.pending).toBe(0);
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    texts.enqueue(hanging!);
    await expect(texts.resumePending()).resolves.toBe(2);
    expect(texts.pending).toBe(0);
    // Only resumePending's own read, which found both still pending; no job ran after close.
    expect(touchedAfterClose).toEqual(['pendingTexts']);
    const state = database.sqlite.prepare('SELECT comment_text_status AS status, comment_text_attempts AS attempts FROM responses WHERE list_id = ? ORDER BY id').all(listId);
    expect(state).toEqual([
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 1 },
    ]);
  });
});

describe('the transcription webhook', () => {
  function setup() {
    const h = webhookHarness();
    const { contactIds, listId } = createList(h.database, { contacts: [{ phone: '+48501234567' }], policy: { callingHours: '00:00-24:00' } });
    const call = startCall(h.database, contactIds[0]!);
    h.database.sqlite.prepare('INSERT INTO responses (contact_id, call_id, list_id, score, created_at) VALUES (?, ?, ?, 3, 0)').run(contactIds[0], call.callId, listId);
    return { h, ...call };
  }
  const post = (h: WebhookHarness, url: string, body: object, sign = true) => {
    const raw = JSON.stringify(body);
    const req = request(h.app).post(url).set('Content-Type', 'application/json');
    if (sign) req.set('Authorization', signCallback(raw, { nowMs: h.clock.now() }));
    return req.send(raw);
  };
  const payload = { conversation_uuid: 'CON-1', recording_uuid: 'rec-1', status: 'transcribed', transcription_url: 'https://api.nexmo.com/v1/files/tr-1', type: 'record' };
  const textRow = (h: WebhookHarness) => h.database.sqlite.prepare('SELECT comment_text_status AS status, comment_transcript_url AS url FROM responses').get();

  it('stores where the transcript is and marks the text pending; a duplicate changes nothing; unsigned is refused', async () => {
    const { h, ref } = setup();
    expect((await post(h, `/webhooks/transcription/${ref}`, payload, false)).status).toBe(401);
    expect(textRow(h)).toEqual({ status: 'none', url: null });
    expect((await post(h, `/webhooks/transcription/${ref}`, payload)).status).toBe(204);
    expect(textRow(h)).toEqual({ status: 'pending', url: 'https://api.nexmo.com/v1/files/tr-1' });
    expect((await post(h, `/webhooks/transcription/${ref}`, payload)).status).toBe(204);
    expect(h.database.sqlite.prepare(`SELECT count(*) FROM call_events WHERE kind = 'transcription'`).pluck().get()).toBe(2);
    expect((await post(h, '/webhooks/transcription/unknown-ref', payload)).status).toBe(404);
  });

  it("takes the webhook on the call's event URL too (no eventUrl of its own), and a failed transcription keeps the audio", async () => {
    const { h, ref } = setup();
    expect((await post(h, `/webhooks/event/${ref}`, { ...payload, status: 'failed', transcription_url: '' })).status).toBe(204);
    expect(textRow(h)).toEqual({ status: 'failed', url: null });
  });
});
