import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createList, signCallback, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';

/**
 * Callbacks read their list's settings synchronously inside their unit of work, from the settings
 * the process loaded; a list not loaded (yet, or again since `lists set`) is read between two runs
 * of the unit.
 */

function post(h: WebhookHarness, url: string, body: object) {
  const raw = JSON.stringify(body);
  return request(h.app).post(url).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
}

const answer = (h: WebhookHarness, ref: string, uuid: string) => post(h, `/webhooks/answer/${ref}`, { uuid, to: '48501234567', from: '447700900000', conversation_uuid: 'CON-1' });
const score = (h: WebhookHarness, ref: string, uuid: string, digits: string) =>
  post(h, `/webhooks/input/${ref}?step=question`, { dtmf: { digits, timed_out: true }, uuid, timestamp: '2026-01-05T10:00:20.000Z' });
const count = (h: WebhookHarness, table: string) => (h.database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("a callback's list settings", () => {
  it('serves the first callback of a list this process never loaded', async () => {
    const h = webhookHarness();
    const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567', language: 'en-US' }], script: { company: 'Acme' } });
    const { ref, uuid } = startCall(h.database, contactIds[0]!);
    expect(() => h.deps.lists.get(listId)).toThrow(/read before they were loaded/);

    const answered = await answer(h, ref, uuid);
    expect(answered.status).toBe(200);
    expect(JSON.stringify(answered.body)).toContain('Acme');
    expect(h.deps.lists.get(listId).company).toBe('Acme');
  });

  it('speaks the new script after `lists set` forgot the old one, and opens a low score’s case once', async () => {
    const h = webhookHarness();
    let followUps = 0;
    h.deps.onFollowUp = () => followUps++;
    const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567', language: 'en-US' }], script: { company: 'Acme' } });
    const { ref, uuid } = startCall(h.database, contactIds[0]!);
    expect(JSON.stringify((await answer(h, ref, uuid)).body)).toContain('Acme');

    h.database.sqlite.prepare('UPDATE lists SET script = ? WHERE id = ?').run(JSON.stringify({ company: 'Globex', comment: 'speech' }), listId);
    h.deps.lists.invalidate(listId);
    const scored = await score(h, ref, uuid, '2');
    expect(scored.status).toBe(200);
    // The comment is taken as speech under the new script, not recorded.
    expect(scored.body).toContainEqual(expect.objectContaining({ action: 'input', type: ['speech'] }));
    expect(h.deps.lists.get(listId).company).toBe('Globex');
    expect([count(h, 'responses'), count(h, 'cases'), followUps]).toEqual([1, 1, 1]);
  });
});
