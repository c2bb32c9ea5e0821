import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createList, signCallback, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';

/** The keypad reason question over real HTTP: signed input webhooks, real SQLite. */

function post(h: WebhookHarness, url: string, body: object) {
  const raw = JSON.stringify(body);
  return request(h.app).post(url).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
}

const REASONS_ON = { company: 'Acme', reasons: { enabled: true } };

function setup(script: object = REASONS_ON, language = 'en-US') {
  const h = webhookHarness();
  const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567', language }], script });
  const call = startCall(h.database, contactIds[0]!);
  return { h, listId, contactId: contactIds[0]!, ...call };
}

async function answerAndScore(h: WebhookHarness, ref: string, uuid: string, digits = '3') {
  await post(h, `/webhooks/answer/${ref}`, { uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
  return post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits, timed_out: true }, uuid, timestamp: '2026-01-05T10:00:20.000Z' });
}

const keys = (h: WebhookHarness, ref: string, uuid: string, step: string, digits: string | null) =>
  post(h, `/webhooks/input/${ref}?step=${step}`, { dtmf: { digits, timed_out: digits === '' || digits === null }, uuid, timestamp: '2026-01-05T10:00:30.000Z' });

const response = (h: WebhookHarness, contactId: number) =>
  h.database.sqlite.prepare('SELECT score, reason, reason_outcome AS outcome FROM responses WHERE contact_id = ?').get(contactId) as { score: number; reason: string | null; outcome: string | null };
const stage = (h: WebhookHarness, callId: number) => (h.database.sqlite.prepare('SELECT ivr_stage AS s FROM calls WHERE id = ?').get(callId) as { s: string }).s;

describe('keypad reason question', () => {
  it('asks the reason after the score, stores the chosen key once and goes on to the comment', async () => {
    const { h, ref, uuid, contactId, callId } = setup();
    const scored = await answerAndScore(h, ref, uuid);
    expect(scored.body).toEqual([
      expect.objectContaining({ action: 'talk', text: expect.stringMatching(/^What is the main reason for your score\? Press 1 for price, .* 6 for something else\.$/) }),
      expect.objectContaining({ action: 'input', dtmf: { maxDigits: 1, submitOnHash: true, timeOut: 5 }, eventUrl: [`https://dialer.example/webhooks/input/${ref}?step=reason`] }),
    ]);
    expect(stage(h, callId)).toBe('reason');
    expect(response(h, contactId)).toEqual({ score: 3, reason: null, outcome: null });

    const chosen = await keys(h, ref, uuid, 'reason', '2');
    expect(chosen.status).toBe(200);
    expect(chosen.body[1]).toMatchObject({ action: 'record' });
    expect(response(h, contactId)).toEqual({ score: 3, reason: 'quality', outcome: 'chosen' });
    expect(stage(h, callId)).toBe('comment');

    // A duplicate of the score or of the reason webhook changes nothing.
    await answerAndScore(h, ref, uuid);
    const again = await keys(h, ref, uuid, 'reason', '5');
    expect(again.body[1]).toMatchObject({ action: 'record' });
    expect(response(h, contactId)).toEqual({ score: 3, reason: 'quality', outcome: 'chosen' });
    expect(stage(h, callId)).toBe('comment');
  });

  it('asks once more after a wrong key and keeps the choice made then', async () => {
    const { h, ref, uuid, contactId } = setup();
    await answerAndScore(h, ref, uuid);
    const wrong = await keys(h, ref, uuid, 'reason', '8');
    expect(wrong.body[0].text).toMatch(/^Sorry, we did not get that\. What is the main reason/);
    expect(wrong.body[1]).toMatchObject({ eventUrl: [`https://dialer.example/webhooks/input/${ref}?step=reason_reprompt`], dtmf: { maxDigits: 1 } });
    expect(response(h, contactId).outcome).toBe('invalid');
    const chosen = await keys(h, ref, uuid, 'reason_reprompt', '1#');
    expect(chosen.body[1]).toMatchObject({ action: 'record' });
    expect(response(h, contactId)).toEqual({ score: 3, reason: 'price', outcome: 'chosen' });
    // The first input delivered again, late: the choice stands.
    await keys(h, ref, uuid, 'reason', '8');
    expect(response(h, contactId)).toEqual({ score: 3, reason: 'price', outcome: 'chosen' });
  });

  it('goes on to the comment after no input twice, with the outcome no_input', async () => {
    const { h, ref, uuid, contactId, callId } = setup();
    await answerAndScore(h, ref, uuid, '9');
    expect((await keys(h, ref, uuid, 'reason', '')).body[1]).toMatchObject({ eventUrl: [`https://dialer.example/webhooks/input/${ref}?step=reason_reprompt`] });
    const second = await keys(h, ref, uuid, 'reason_reprompt', null);
    expect(second.body.map((a: { action: string }) => a.action)).toEqual(['talk', 'record', 'talk']);
    expect(response(h, contactId)).toEqual({ score: 9, reason: null, outcome: 'no_input' });
    expect(stage(h, callId)).toBe('comment');
  });

  it('suppresses the number when the callee presses star at the reason question, keeping the score', async () => {
    const { h, ref, uuid, contactId, callId } = setup();
    await answerAndScore(h, ref, uuid, '2');
    const star = await keys(h, ref, uuid, 'reason', '*');
    expect(star.body).toEqual([{ action: 'talk', text: 'You will not be called again. Goodbye.', language: 'en-US' }]);
    expect(h.database.sqlite.prepare(`SELECT source FROM suppressions WHERE phone_e164 = '+48501234567'`).get()).toEqual({ source: 'opt_out' });
    expect(h.database.sqlite.prepare('SELECT opted_out AS o, ivr_stage AS s FROM calls WHERE id = ?').get(callId)).toEqual({ o: 1, s: 'done' });
    expect(response(h, contactId)).toEqual({ score: 2, reason: null, outcome: null });
  });

  it('asks nothing when the list does not ask, and leaves the outcome empty', async () => {
    const { h, ref, uuid, contactId, callId } = setup({ company: 'Acme' });
    const scored = await answerAndScore(h, ref, uuid);
    expect(scored.body[1]).toMatchObject({ action: 'record' });
    expect(response(h, contactId)).toEqual({ score: 3, reason: null, outcome: null });
    expect(stage(h, callId)).toBe('comment');
    // A reason input the list did not ask for (it was turned off during the call) stores no reason.
    await keys(h, ref, uuid, 'reason', '1');
    expect(response(h, contactId)).toEqual({ score: 3, reason: null, outcome: null });
  });

  it('asks in the callee language, and skips a callee whose language the list has no wording for', async () => {
    const polish = setup({ company: 'Acme', reasons: { enabled: true, choices: [{ key: 'price', label: { 'pl-PL': 'cena' } }] } }, 'pl-PL');
    const scored = await answerAndScore(polish.h, polish.ref, polish.uuid);
    expect(scored.body[0]).toMatchObject({ text: 'Jaki jest główny powód Twojej oceny? Naciśnij 1 – cena.', language: 'pl-PL' });
    const russian = setup({ company: 'Acme', reasons: { enabled: true, choices: [{ key: 'price', label: { 'pl-PL': 'cena' } }] } }, 'ru-RU');
    const skipped = await answerAndScore(russian.h, russian.ref, russian.uuid);
    expect(skipped.body[1]).toMatchObject({ action: 'record' });
    expect(response(russian.h, russian.contactId).outcome).toBe('skipped');
  });

  it('refuses a reason input for a call with no score, and a re-prompt never asked, changing nothing', async () => {
    const { h, ref, uuid, contactId } = setup();
    await post(h, `/webhooks/answer/${ref}`, { uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
    const early = await keys(h, ref, uuid, 'reason', '1');
    expect(early.status).toBe(409);
    await answerAndScore(h, ref, uuid);
    const forged = await keys(h, ref, uuid, 'reason_reprompt', '');
    expect(forged.status).toBe(409);
    expect(response(h, contactId)).toEqual({ score: 3, reason: null, outcome: null });
    expect((await keys(h, ref, uuid, 'bogus', '1')).status).toBe(400);
  });

  it('stores a reason keyed after the call ended and settles the contact as responded (ADR 0009)', async () => {
    const { h, ref, uuid, contactId } = setup();
    await answerAndScore(h, ref, uuid);
    await post(h, `/webhooks/event/${ref}`, {
      status: 'completed', uuid, conversation_uuid: 'CON-1', direction: 'outbound', duration: '40', rate: '0.01400000', price: '0.00933333',
      start_time: '2026-01-05T10:00:05.000Z', end_time: '2026-01-05T10:00:45.000Z', timestamp: '2026-01-05T10:00:45.100Z',
    });
    const late = await keys(h, ref, uuid, 'reason', '4');
    expect(late.status).toBe(200);
    expect(response(h, contactId)).toEqual({ score: 3, reason: 'speed', outcome: 'chosen' });
    expect(h.database.sqlite.prepare('SELECT status FROM contacts WHERE id = ?').get(contactId)).toEqual({ status: 'responded' });
  });
});
