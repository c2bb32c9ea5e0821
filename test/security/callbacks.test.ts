import { createHash, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createLogger } from '../../src/logging/index.js';
import { checkInvariants, runSandboxCampaign } from '../support/campaign.js';
import { createList, SIGNATURE_SECRET, startCall, webhookHarness, type WebhookHarness } from '../support/dialer.js';

// Hardening of the callback routes (issue #13, items 1, 8 and 10a): a signed token is bound to one
// request, to a freshness window and to what the call already knows; malformed requests are 400s
// that say what is wrong. Every "changes nothing" is checked on the database.

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Vonage's claims for `body`, issued at the harness clock's now unless overridden. */
function claimsFor(h: WebhookHarness, body: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iat: Math.floor(h.clock.now() / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: sha256(body),
    api_key: 'abcd1234',
    application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    ...extra,
  };
}

/** A token signed with the real secret; claims set to undefined are left out (no iat means none, not jsonwebtoken's). */
function bearer(claims: Record<string, unknown>): string {
  const present = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return `Bearer ${jwt.sign(present, SIGNATURE_SECRET, { algorithm: 'HS256', noTimestamp: present.iat === undefined })}`;
}

function post(h: WebhookHarness, url: string, body: string, authorization: string) {
  return request(h.app).post(url).set('Content-Type', 'application/json').set('Authorization', authorization).send(body);
}

function setup(options: { logger?: ReturnType<typeof createLogger> } = {}) {
  const h = webhookHarness(options);
  const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }, { phone: '+48501234568' }], policy: { callingHours: '00:00-24:00' } });
  const call = startCall(h.database, contactIds[0]!);
  const other = startCall(h.database, contactIds[1]!);
  return { h, ...call, other };
}

/** What a forged or replayed callback could have changed on a call. */
function callTrace(h: WebhookHarness, callId: number) {
  return {
    call: h.database.sqlite.prepare('SELECT state, answered_at AS answeredAt, ivr_stage AS stage, reprompts, provider_uuid AS uuid FROM calls WHERE id = ?').get(callId),
    events: (h.database.sqlite.prepare('SELECT count(*) AS n FROM call_events WHERE call_id = ?').get(callId) as { n: number }).n,
    responses: (h.database.sqlite.prepare('SELECT count(*) AS n FROM responses WHERE call_id = ?').get(callId) as { n: number }).n,
  };
}

function capturedLogger() {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'warn', format: 'json', stream, silent: false });
  // The logger also writes to stderr; keep the test output clean.
  logger.transports[0]!.silent = true;
  return { logger, lines };
}

describe('a signed callback token is bound to its request', () => {
  it('refuses a token taken from one callback on another route with an empty body, and changes nothing', async () => {
    const { h, ref, uuid, callId } = setup();
    const input = JSON.stringify({ dtmf: { digits: '9', timed_out: true }, uuid });
    const captured = bearer(claimsFor(h, input));
    const before = callTrace(h, callId);
    const reprompt = await request(h.app).post(`/webhooks/input/${ref}?step=reprompt`).set('Authorization', captured);
    const event = await request(h.app).post(`/webhooks/event/${ref}`).set('Authorization', captured);
    const answer = await request(h.app).get(`/webhooks/answer/${ref}?uuid=other`).set('Authorization', captured);
    expect([reprompt.status, event.status, answer.status]).toEqual([401, 401, 401]);
    expect(callTrace(h, callId)).toEqual(before);
    expect(callTrace(h, callId).events).toBe(0);
  });

  it('requires payload_hash on a bodiless request too: the hash of the empty body', async () => {
    const { h, ref, uuid, callId } = setup();
    const { payload_hash: _omitted, ...withoutHash } = claimsFor(h, '');
    expect((await request(h.app).get(`/webhooks/answer/${ref}?uuid=${uuid}`).set('Authorization', bearer(withoutHash))).status).toBe(401);
    expect(callTrace(h, callId).events).toBe(0);
    const signed = await request(h.app).get(`/webhooks/answer/${ref}?uuid=${uuid}`).set('Authorization', bearer(claimsFor(h, '')));
    expect(signed.status).toBe(200);
    expect(signed.body[1]).toMatchObject({ action: 'input' });
  });

  it('answers an identical redelivery of a token again, and refuses the same token on any other request with a warning', async () => {
    const { logger, lines } = capturedLogger();
    const { h, ref, uuid, other } = setup({ logger });
    const body = JSON.stringify({ status: 'ringing', uuid });
    const token = bearer(claimsFor(h, body));
    expect((await post(h, `/webhooks/event/${ref}`, body, token)).status).toBe(204);
    expect((await post(h, `/webhooks/event/${ref}`, body, token)).status).toBe(204);
    // Same token, same body (so the payload hash matches) on another call, or with a query added.
    expect((await post(h, `/webhooks/event/${other.ref}`, body, token)).status).toBe(401);
    expect((await post(h, `/webhooks/event/${ref}?step=reprompt`, body, token)).status).toBe(401);
    expect(callTrace(h, other.callId).events).toBe(0);
    expect(h.database.sqlite.prepare('SELECT count(*) AS n FROM call_events WHERE call_id = ?').get(h.database.sqlite.prepare('SELECT id FROM calls WHERE ref = ?').pluck().get(ref))).toEqual({ n: 2 });
    expect(lines.some((line) => line.includes('webhook refused') && line.includes('jti'))).toBe(true);
  });

  it('refuses tokens issued outside the freshness window, allowing for clock skew', async () => {
    const { h, ref, uuid, callId } = setup();
    const nowSeconds = Math.floor(h.clock.now() / 1000);
    const attempt = async (extra: Record<string, unknown>) => {
      const body = JSON.stringify({ status: 'ringing', uuid, n: randomUUID() });
      return (await post(h, `/webhooks/event/${ref}`, body, bearer(claimsFor(h, body, extra)))).status;
    };
    expect(await attempt({ iat: nowSeconds - 2 * 365 * 86_400 })).toBe(401);
    expect(await attempt({ iat: nowSeconds - 301 })).toBe(401);
    expect(await attempt({ iat: nowSeconds + 61 })).toBe(401);
    expect(await attempt({ iat: undefined })).toBe(401);
    expect(await attempt({ jti: undefined })).toBe(401);
    expect(callTrace(h, callId).events).toBe(0);
    // Inside the window (300 s back, 60 s of skew ahead by default) a token is taken.
    expect(await attempt({ iat: nowSeconds - 299 })).toBe(204);
    expect(await attempt({ iat: nowSeconds + 59 })).toBe(204);
  });

  it('still refuses a replayed token after the freshness window moved on', async () => {
    const { h, ref, uuid } = setup();
    const body = JSON.stringify({ status: 'ringing', uuid });
    const token = bearer(claimsFor(h, body));
    expect((await post(h, `/webhooks/event/${ref}`, body, token)).status).toBe(204);
    h.clock.advance(301_000);
    expect((await post(h, `/webhooks/event/${ref}`, body, token)).status).toBe(401);
  });
});

describe('redeliveries through the sandbox', () => {
  it('answers every redelivery that carries the first delivery\'s token: no failed webhook, no invariant broken', async () => {
    const run = await runSandboxCampaign({ contacts: 12, seed: 3, faults: { duplicateRate: 0.5 }, redeliveryToken: 'same' });
    try {
      const stats = run.sandbox.stats().webhooks;
      expect(stats.duplicated).toBeGreaterThan(0);
      expect(stats.failed).toBe(0);
      expect((await checkInvariants(run)).violations).toEqual([]);
    } finally {
      await run.close();
    }
  });
});

describe('query fields change nothing unless they agree with the call', () => {
  it('refuses an answer request naming another call leg (GET query or POST body), and changes nothing', async () => {
    const { h, ref, callId } = setup();
    const before = callTrace(h, callId);
    const viaQuery = await request(h.app).get(`/webhooks/answer/${ref}?uuid=other`).set('Authorization', bearer(claimsFor(h, '')));
    expect(viaQuery.status).toBe(409);
    expect(viaQuery.body.error.message).toMatch(/uuid 'other'/);
    const body = JSON.stringify({ uuid: 'other', to: '48501234567' });
    expect((await post(h, `/webhooks/answer/${ref}`, body, bearer(claimsFor(h, body)))).status).toBe(409);
    expect(callTrace(h, callId)).toEqual(before);
  });

  it('takes a call leg uuid only from a signed body, and never answers a call the provider never created', async () => {
    const { h } = setup();
    const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234569' }, { phone: '+48501234570' }] });
    const creating = startCall(h.database, contactIds[0]!);
    h.database.sqlite.prepare(`UPDATE calls SET provider_uuid = NULL, state = 'creating' WHERE id = ?`).run(creating.callId);
    // The query is not covered by the signature: it cannot tell us which leg this is.
    expect((await request(h.app).get(`/webhooks/answer/${creating.ref}?uuid=${creating.uuid}`).set('Authorization', bearer(claimsFor(h, '')))).status).toBe(409);
    expect(callTrace(h, creating.callId).events).toBe(0);
    // A signed body can (the 201 of the create request may still be on its way).
    const body = JSON.stringify({ uuid: creating.uuid });
    expect((await post(h, `/webhooks/answer/${creating.ref}`, body, bearer(claimsFor(h, body)))).status).toBe(200);
    expect(callTrace(h, creating.callId).call).toMatchObject({ state: 'answered', uuid: creating.uuid, stage: 'question' });

    const failed = startCall(h.database, contactIds[1]!);
    h.database.sqlite.prepare(`UPDATE calls SET provider_uuid = NULL, state = 'ended', outcome = 'create_failed' WHERE id = ?`).run(failed.callId);
    const late = JSON.stringify({ uuid: failed.uuid });
    expect((await post(h, `/webhooks/answer/${failed.ref}`, late, bearer(claimsFor(h, late)))).status).toBe(409);
    expect(callTrace(h, failed.callId)).toMatchObject({ call: { state: 'ended', answeredAt: null, stage: null, uuid: null }, events: 0 });
  });

  it('refuses a reprompt step on a call that was never asked again, and changes nothing', async () => {
    const { h, ref, uuid, callId } = setup();
    const answer = JSON.stringify({ uuid });
    await post(h, `/webhooks/answer/${ref}`, answer, bearer(claimsFor(h, answer)));
    const before = callTrace(h, callId);
    const body = JSON.stringify({ dtmf: { digits: '', timed_out: true }, uuid });
    const res = await post(h, `/webhooks/input/${ref}?step=reprompt`, body, bearer(claimsFor(h, body)));
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/step=reprompt/);
    expect(callTrace(h, callId)).toEqual(before);
  });

  it('takes a reprompt step once the call was asked again, and answers its redelivery the same way', async () => {
    const { h, ref, uuid, callId } = setup();
    const invalid = JSON.stringify({ dtmf: { digits: '11', timed_out: false }, uuid });
    expect((await post(h, `/webhooks/input/${ref}?step=question`, invalid, bearer(claimsFor(h, invalid)))).status).toBe(200);
    const score = JSON.stringify({ dtmf: { digits: '8', timed_out: true }, uuid });
    const token = bearer(claimsFor(h, score));
    const first = await post(h, `/webhooks/input/${ref}?step=reprompt`, score, token);
    const again = await post(h, `/webhooks/input/${ref}?step=reprompt`, score, token);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(callTrace(h, callId)).toMatchObject({ call: { stage: 'comment', reprompts: 1 }, responses: 1 });
  });
});

describe('malformed callback requests are 400s that say what is wrong', () => {
  it('refuses a signed body nested deeper than the limit on every route, before any handler runs', async () => {
    const { h, ref, uuid, callId } = setup();
    const deep = `{"status":"ringing","uuid":"${uuid}","x":${'['.repeat(8000)}${']'.repeat(8000)}}`;
    for (const url of [`/webhooks/event/${ref}`, `/webhooks/input/${ref}?step=question`, `/webhooks/answer/${ref}`, `/webhooks/recording/${ref}`]) {
      const res = await post(h, url, deep, bearer(claimsFor(h, deep)));
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
      expect(res.body.error.message).toMatch(/nested deeper than 32 levels/);
    }
    // Brackets inside strings are text, not nesting.
    const text = JSON.stringify({ status: 'ringing', uuid, detail: '['.repeat(100) });
    expect((await post(h, `/webhooks/event/${ref}`, text, bearer(claimsFor(h, text)))).status).toBe(204);
    expect(callTrace(h, callId).events).toBe(1);
  });

  it('names a badly %-encoded path instead of blaming the body', async () => {
    const { h } = setup();
    const body = JSON.stringify({ status: 'ringing' });
    const res = await post(h, '/webhooks/event/%E0%A4%A', body, bearer(claimsFor(h, body)));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/path/);
    expect(res.body.error.message).toMatch(/%E0%A4%A/);
    expect(res.body.error.message).not.toMatch(/JSON/);
  });

  it('refuses a POST callback without a JSON object body', async () => {
    const { h, ref, callId } = setup();
    for (const body of ['', '[]', '[{"status":"ringing"}]']) {
      const res = await post(h, `/webhooks/event/${ref}`, body, bearer(claimsFor(h, body)));
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(callTrace(h, callId).events).toBe(0);
  });
});
