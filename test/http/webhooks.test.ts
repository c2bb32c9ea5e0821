import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { listen } from '../../src/http/index.js';
import { createList, signCallback, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';

function post(h: WebhookHarness, url: string, body: object, options: { sign?: boolean; secret?: string } = {}) {
  const raw = JSON.stringify(body);
  const req = request(h.app).post(url).set('Content-Type', 'application/json');
  if (options.sign !== false) req.set('Authorization', signCallback(raw, { secret: options.secret, nowMs: h.clock.now() }));
  return req.send(raw);
}

const row = <T>(h: WebhookHarness, sql: string, ...params: unknown[]) => h.database.sqlite.prepare(sql).get(...params) as T;
const count = (h: WebhookHarness, sql: string, ...params: unknown[]) => (h.database.sqlite.prepare(sql).get(...params) as { n: number }).n;

function setup(policy: object = { maxAttempts: 3, retryDelaySeconds: 600, callingHours: '00:00-24:00' }) {
  const h = webhookHarness();
  const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }], policy });
  const call = startCall(h.database, contactIds[0]!);
  return { h, listId, contactId: contactIds[0]!, ...call };
}

const completed = (uuid: string, duration: string, extra: object = {}) => ({
  status: 'completed',
  uuid,
  conversation_uuid: 'CON-1',
  direction: 'outbound',
  from: '447700900000',
  to: '48501234567',
  duration,
  rate: '0.01400000',
  price: (0.014 * Number(duration) / 60).toFixed(8),
  start_time: '2026-01-05T10:00:05.000Z',
  end_time: '2026-01-05T10:01:10.000Z',
  network: '26001',
  timestamp: '2026-01-05T10:01:10.100Z',
  ...extra,
});

describe('webhook signatures', () => {
  it('refuses unsigned, forged and tampered callbacks with 401 and changes nothing', async () => {
    const { h, ref, uuid, callId } = setup();
    const body = completed(uuid, '65');
    expect((await post(h, `/webhooks/event/${ref}`, body, { sign: false })).status).toBe(401);
    expect((await post(h, `/webhooks/event/${ref}`, body, { secret: 'not-the-secret-at-all-0000' })).status).toBe(401);
    // A valid token taken from another body: the payload hash no longer matches.
    const other = JSON.stringify({ status: 'ringing', uuid });
    const tampered = await request(h.app).post(`/webhooks/event/${ref}`).set('Content-Type', 'application/json').set('Authorization', signCallback(other, { nowMs: h.clock.now() })).send(JSON.stringify(body));
    expect(tampered.status).toBe(401);
    expect(row<{ state: string }>(h, 'SELECT state FROM calls WHERE id = ?', callId).state).toBe('started');
    expect(count(h, 'SELECT count(*) AS n FROM call_events')).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM billing_lines')).toBe(0);
  });

  it('answers 404 for an unknown call reference and 400 for a malformed event, naming the field', async () => {
    const { h, ref } = setup();
    expect((await post(h, '/webhooks/event/nope', { status: 'ringing' })).status).toBe(404);
    const bad = await post(h, `/webhooks/event/${ref}`, { status: 'completed', duration: { seconds: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/duration/);
  });
});

describe('call lifecycle over webhooks', () => {
  it('bills a person-answered call once, however often `completed` is delivered', async () => {
    const { h, ref, uuid, contactId, callId } = setup();
    await post(h, `/webhooks/event/${ref}`, { status: 'ringing', uuid, timestamp: '2026-01-05T10:00:01.000Z' });
    await post(h, `/webhooks/event/${ref}`, { status: 'answered', uuid, start_time: null, rate: null, network: null, timestamp: '2026-01-05T10:00:05.000Z' });
    const answer = await post(h, `/webhooks/answer/${ref}`, { uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
    expect(answer.status).toBe(200);
    expect(answer.body[1]).toMatchObject({ action: 'input', eventUrl: [`https://dialer.example/webhooks/input/${ref}?step=question`] });
    const input = await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '9', timed_out: true }, uuid, timestamp: '2026-01-05T10:00:20.000Z' });
    expect(input.body[1]).toMatchObject({ action: 'record' });
    for (let i = 0; i < 3; i++) expect((await post(h, `/webhooks/event/${ref}`, completed(uuid, '65'))).status).toBe(204);
    expect(row(h, 'SELECT state, outcome, duration_seconds AS d, provider_price_micros AS p FROM calls WHERE id = ?', callId)).toEqual({ state: 'ended', outcome: 'human', d: 65, p: 15167 });
    expect(h.database.sqlite.prepare('SELECT billable_seconds AS s, amount_minor AS a, currency FROM billing_lines').all()).toEqual([{ s: 120, a: 34, currency: 'EUR' }]);
    expect(row(h, 'SELECT status FROM contacts WHERE id = ?', contactId)).toEqual({ status: 'responded' });
    expect(h.database.sqlite.prepare('SELECT score FROM responses').all()).toEqual([{ score: 9 }]);
  });

  it('does not bill a call answered by a machine, and retries the contact later', async () => {
    const { h, ref, uuid, contactId } = setup();
    await post(h, `/webhooks/event/${ref}`, { status: 'answered', uuid });
    await post(h, `/webhooks/event/${ref}`, { status: 'machine', call_uuid: uuid, conversation_uuid: 'CON-1', timestamp: '2026-01-05T10:00:08.000Z' });
    await post(h, `/webhooks/event/${ref}`, completed(uuid, '4'));
    expect(count(h, 'SELECT count(*) AS n FROM billing_lines')).toBe(0);
    expect(row(h, 'SELECT outcome FROM calls')).toEqual({ outcome: 'machine' });
    const contact = row<{ status: string; next: number }>(h, 'SELECT status, next_attempt_at AS next FROM contacts WHERE id = ?', contactId);
    expect(contact.status).toBe('pending');
    expect(contact.next).toBe(h.clock.now() + 600_000);
  });

  it('voids the billing line when the machine verdict arrives after `completed`', async () => {
    const { h, ref, uuid, contactId } = setup();
    await post(h, `/webhooks/event/${ref}`, { status: 'answered', uuid });
    await post(h, `/webhooks/answer/${ref}`, { uuid });
    await post(h, `/webhooks/event/${ref}`, completed(uuid, '6'));
    expect(count(h, 'SELECT count(*) AS n FROM billing_lines')).toBe(1);
    expect(row(h, 'SELECT status FROM contacts WHERE id = ?', contactId)).toEqual({ status: 'answered_no_score' });
    await post(h, `/webhooks/event/${ref}`, { status: 'machine', call_uuid: uuid });
    expect(count(h, 'SELECT count(*) AS n FROM billing_lines')).toBe(0);
    expect(row(h, 'SELECT status FROM contacts WHERE id = ?', contactId)).toEqual({ status: 'pending' });
  });

  it('believes keys over a machine verdict: a callee who pressed a score stays a person', async () => {
    const { h, ref, uuid } = setup();
    await post(h, `/webhooks/answer/${ref}`, { uuid });
    await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '10', timed_out: false } });
    await post(h, `/webhooks/event/${ref}`, { status: 'machine', call_uuid: uuid });
    await post(h, `/webhooks/event/${ref}`, completed(uuid, '30'));
    expect(row(h, 'SELECT outcome, answered_by AS by FROM calls')).toEqual({ outcome: 'human', by: 'human' });
    expect(count(h, 'SELECT count(*) AS n FROM billing_lines')).toBe(1);
  });

  it('takes the first terminal status and ignores a late `ringing` (out-of-order delivery)', async () => {
    const { h, ref, uuid, contactId } = setup();
    await post(h, `/webhooks/event/${ref}`, { status: 'busy', uuid, detail: 'busy', timestamp: '2026-01-05T10:00:03.000Z' });
    await post(h, `/webhooks/event/${ref}`, { status: 'ringing', uuid, timestamp: '2026-01-05T10:00:01.000Z' });
    await post(h, `/webhooks/event/${ref}`, { status: 'unanswered', uuid });
    expect(row(h, 'SELECT state, outcome FROM calls')).toEqual({ state: 'ended', outcome: 'busy' });
    expect(row(h, 'SELECT status, attempts FROM contacts WHERE id = ?', contactId)).toEqual({ status: 'pending', attempts: 1 });
    expect(count(h, 'SELECT count(*) AS n FROM call_events')).toBe(3);
  });

  it('ends the contact as busy after the last attempt, and never retries a rejected number', async () => {
    const a = setup({ maxAttempts: 1, callingHours: '00:00-24:00' });
    await post(a.h, `/webhooks/event/${a.ref}`, { status: 'busy', uuid: a.uuid });
    expect(row(a.h, 'SELECT status, next_attempt_at AS next FROM contacts')).toEqual({ status: 'busy', next: null });
    const b = setup();
    await post(b.h, `/webhooks/event/${b.ref}`, { status: 'rejected', uuid: b.uuid, detail: 'invalid_number' });
    expect(row(b.h, 'SELECT status FROM contacts')).toEqual({ status: 'rejected' });
  });

  it('keeps a retry inside the callee calling hours', async () => {
    // 10:00 UTC = 11:00 in Warsaw; a 12-hour delay lands at 23:00, so the retry moves to 09:00 next day.
    const { h, ref, uuid, contactId } = setup({ maxAttempts: 3, retryDelaySeconds: 12 * 3600, callingHours: '09:00-21:00' });
    h.database.sqlite.prepare(`UPDATE contacts SET timezone = 'Europe/Warsaw' WHERE id = ?`).run(contactId);
    await post(h, `/webhooks/event/${ref}`, { status: 'unanswered', uuid });
    const next = row<{ next: number }>(h, 'SELECT next_attempt_at AS next FROM contacts WHERE id = ?', contactId).next;
    expect(new Date(next).toISOString()).toBe('2026-01-06T08:00:00.000Z');
  });

  it('stores unknown event types and error events without failing', async () => {
    const { h, ref, uuid, callId } = setup();
    expect((await post(h, `/webhooks/event/${ref}`, { status: 'teleported', uuid })).status).toBe(204);
    expect((await post(h, `/webhooks/event/${ref}`, { reason: 'Syntax error in NCCO', conversation_uuid: 'CON-1' })).status).toBe(204);
    expect(h.database.sqlite.prepare('SELECT kind, status FROM call_events WHERE call_id = ? ORDER BY id').all(callId)).toEqual([
      { kind: 'status', status: 'teleported' },
      { kind: 'error', status: null },
    ]);
    expect(row(h, 'SELECT state FROM calls')).toEqual({ state: 'started' });
  });
});

describe('survey input', () => {
  it('stores one response per contact even when the input webhook is duplicated', async () => {
    const { h, ref } = setup();
    const first = await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '7', timed_out: true } });
    const second = await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '7', timed_out: true } });
    expect(second.body).toEqual(first.body);
    expect(h.database.sqlite.prepare('SELECT score FROM responses').all()).toEqual([{ score: 7 }]);
  });

  it('asks again after an invalid answer and accepts the second one', async () => {
    const { h, ref } = setup();
    const reprompt = await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '11', timed_out: false } });
    expect(reprompt.body[1].eventUrl).toEqual([`https://dialer.example/webhooks/input/${ref}?step=reprompt`]);
    await post(h, `/webhooks/input/${ref}?step=reprompt`, { dtmf: { digits: '8', timed_out: true } });
    expect(row(h, 'SELECT reprompts, ivr_stage AS stage FROM calls')).toEqual({ reprompts: 1, stage: 'comment' });
    expect(h.database.sqlite.prepare('SELECT score FROM responses').all()).toEqual([{ score: 8 }]);
  });

  it('suppresses the number at once when the callee presses star, including in other lists', async () => {
    const { h, ref, uuid, contactId } = setup();
    const other = createList(h.database, { contacts: [{ phone: '+48501234567' }] });
    const reply = await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '*', timed_out: true } });
    // A Polish number hears Polish when the list sets no language (#14 item 2).
    expect(reply.body).toEqual([{ action: 'talk', text: 'Nie będziemy już dzwonić. Do widzenia.', language: 'pl-PL' }]);
    expect(row(h, 'SELECT source FROM suppressions WHERE phone_e164 = ?', '+48501234567')).toEqual({ source: 'opt_out' });
    expect(row(h, 'SELECT status FROM contacts WHERE id = ?', other.contactIds[0])).toEqual({ status: 'suppressed' });
    await post(h, `/webhooks/event/${ref}`, completed(uuid, '12'));
    expect(row(h, 'SELECT status FROM contacts WHERE id = ?', contactId)).toEqual({ status: 'opted_out' });
    expect(count(h, 'SELECT count(*) AS n FROM responses')).toBe(0);
  });
});

describe('comment recordings', () => {
  it('downloads the recording with a JWT from an allowed host, even when it arrives after `completed` and 404s at first', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    let served = 0;
    const authorizations: string[] = [];
    const files = express();
    files.get('/v1/files/:id', (req, res) => {
      authorizations.push(req.headers.authorization ?? '');
      if (++served === 1) return void res.status(404).json({ type: 'NOT_FOUND' });
      res.type('audio/mpeg').send(Buffer.from('ID3fake-mp3-bytes'));
    });
    const server = await listen(files, 0, '127.0.0.1');
    try {
      const apiHost = `http://127.0.0.1:${server.port}`;
      const h = webhookHarness({ apiHost, privateKey: pem });
      const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }], policy: { callingHours: '00:00-24:00' } });
      const { ref, uuid, callId } = startCall(h.database, contactIds[0]!);
      await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '3', timed_out: true } });
      await post(h, `/webhooks/event/${ref}`, completed(uuid, '40'));
      const recording = {
        start_time: '2026-01-05T10:00:30Z',
        end_time: '2026-01-05T10:00:38Z',
        recording_url: `${apiHost}/v1/files/aaaa-bbbb`,
        size: 12345,
        recording_uuid: 'rec-1',
        conversation_uuid: 'CON-1',
        timestamp: '2026-01-05T10:01:15.000Z',
      };
      const sleepersBefore = h.clock.pendingSleepers;
      expect((await post(h, `/webhooks/recording/${ref}`, recording)).status).toBe(204);
      // First download 404s; the retry waits 1 s of the manual clock. Move the clock only once the
      // retry is asleep on it (however long a loaded machine takes to get there).
      while (served < 1 || h.clock.pendingSleepers <= sleepersBefore) await new Promise((r) => setTimeout(r, 10));
      h.clock.advance(1000);
      expect(await h.deps.recordings.drain(60_000)).toBe(true);
      const response = row<{ status: string; file: string; seconds: number }>(h, 'SELECT comment_status AS status, comment_file AS file, comment_seconds AS seconds FROM responses');
      expect(response).toEqual({ status: 'downloaded', file: path.join(`list-${listId}`, `call-${callId}.mp3`), seconds: 8 });
      expect(readFileSync(path.join(h.recordingsDir, response.file), 'utf8')).toBe('ID3fake-mp3-bytes');
      expect(authorizations.every((a) => /^Bearer eyJ/.test(a))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses to download from a host outside the allowlist', async () => {
    const h = webhookHarness({ apiHost: 'https://api.nexmo.com', privateKey: '' });
    const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }] });
    const { ref } = startCall(h.database, contactIds[0]!);
    await post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits: '3', timed_out: true } });
    await post(h, `/webhooks/recording/${ref}`, { recording_url: 'http://169.254.169.254/latest/meta-data', start_time: '2026-01-05T10:00:30Z', end_time: '2026-01-05T10:00:38Z' });
    expect(await h.deps.recordings.drain(60_000)).toBe(true);
    expect(row(h, 'SELECT comment_status AS status, comment_file AS file FROM responses')).toEqual({ status: 'failed', file: null });
    expect(existsSync(path.join(h.recordingsDir, 'list-1'))).toBe(false);
  });
});
