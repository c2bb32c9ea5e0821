import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { buildReport } from '../../src/reports/index.js';
import { createList, signCallback, startCall, TARIFF, webhookHarness, type WebhookHarness } from '../support/dialer.js';
import { outcomeDisagreements } from '../support/outcomes.js';
import { reportDeps } from '../support/reports.js';

// What an attempt counts as when the survey never played, or when the keys come after the end:
// through the real webhook routes with signed callbacks, then the client's report.

const PHONE = '+48501234567';

function post(h: WebhookHarness, url: string, body: object) {
  const raw = JSON.stringify(body);
  return request(h.app).post(url).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
}

function setup(maxAttempts: number) {
  const h = webhookHarness();
  const { listId, contactIds } = createList(h.database, { contacts: [{ phone: PHONE }], policy: { maxAttempts, retryDelaySeconds: 600, callingHours: '00:00-24:00' } });
  return { h, listId, contactId: contactIds[0]! };
}

const reportOf = (h: WebhookHarness, listId: number) => buildReport(reportDeps(h.database, { clock: h.clock, config: { defaultTariff: TARIFF, recordingsDir: h.recordingsDir } }), { listId });
const disagreements = (h: WebhookHarness) => outcomeDisagreements(h.database, h.clock, { defaultTariff: TARIFF, recordingsDir: h.recordingsDir });
const contactOf = (h: WebhookHarness, id: number) => h.database.sqlite.prepare('SELECT status, attempts, next_attempt_at AS next FROM contacts WHERE id = ?').get(id) as { status: string; attempts: number; next: number | null };
const callOf = (h: WebhookHarness, id: number) => h.database.sqlite.prepare('SELECT outcome, answered_by AS answeredBy FROM calls WHERE id = ?').get(id) as { outcome: string; answeredBy: string | null };
const billedCalls = (h: WebhookHarness) => (h.database.sqlite.prepare('SELECT call_id AS callId FROM billing_lines ORDER BY call_id').all() as { callId: number }[]).map((l) => l.callId);

const completed = (uuid: string, duration: string) => ({
  status: 'completed',
  uuid,
  duration,
  rate: '0.01400000',
  price: ((0.014 * Number(duration)) / 60).toFixed(8),
  start_time: '2026-01-05T10:00:05.000Z',
  end_time: '2026-01-05T10:01:10.000Z',
});

/** An attempt that rang, was answered and ended, the survey served or not. */
async function answeredCall(h: WebhookHarness, contactId: number, options: { attempt?: number; served: boolean; machine?: boolean; duration?: string }) {
  const call = startCall(h.database, contactId, { attempt: options.attempt ?? 1, now: h.clock.now() });
  await post(h, `/webhooks/event/${call.ref}`, { status: 'answered', uuid: call.uuid, start_time: null, rate: null, network: null });
  if (options.served) expect((await post(h, `/webhooks/answer/${call.ref}`, { uuid: call.uuid })).status).toBe(200);
  if (options.machine) await post(h, `/webhooks/event/${call.ref}`, { status: 'machine', call_uuid: call.uuid });
  await post(h, `/webhooks/event/${call.ref}`, completed(call.uuid, options.duration ?? '20'));
  return call;
}

describe('an answer nobody heard is not a survey', () => {
  it('counts an answered call whose survey was never served as a failed attempt: not billed, and retried after the delay', async () => {
    const { h, contactId } = setup(2);
    const call = await answeredCall(h, contactId, { served: false, duration: '12' });
    expect(callOf(h, call.callId)).toEqual({ outcome: 'unserved', answeredBy: null });
    expect(billedCalls(h)).toEqual([]);
    expect(contactOf(h, contactId)).toEqual({ status: 'pending', attempts: 1, next: h.clock.now() + 600_000 });
  });

  it('reports a contact whose last attempt was never served as failed, neither reached nor billed', async () => {
    const { h, listId, contactId } = setup(1);
    await answeredCall(h, contactId, { served: false, duration: '0' });
    expect(contactOf(h, contactId).status).toBe('failed');
    const report = await reportOf(h, listId);
    expect(report.dispositions).toMatchObject({ failed: 1, answeredNoScore: 0 });
    expect(report.funnel).toMatchObject({ dialled: 1, reached: 0, responded: 0 });
    expect(report.calls).toEqual({ total: 1, answeredByPerson: 0, answeredByMachine: 0, answeredUnserved: 1 });
    expect(report.billing).toMatchObject({ billableCalls: 0, amountMinor: 0 });
    expect(await disagreements(h)).toEqual([]);
  });

  it('still bills a person who heard the survey and hung up without a score', async () => {
    const { h, contactId } = setup(2);
    const call = await answeredCall(h, contactId, { served: true, duration: '9' });
    expect(callOf(h, call.callId).outcome).toBe('human');
    expect(billedCalls(h)).toEqual([call.callId]);
    expect(contactOf(h, contactId).status).toBe('answered_no_score');
  });
});

describe('keys that arrive after the call ended', () => {
  it('make the contact a respondent, the call person-answered and billed, when the score comes after a machine verdict and a later unanswered attempt', async () => {
    const { h, listId, contactId } = setup(2);
    const first = await answeredCall(h, contactId, { served: true, machine: true, duration: '25' });
    expect(callOf(h, first.callId).outcome).toBe('machine');
    const second = startCall(h.database, contactId, { attempt: 2, now: h.clock.now() });
    await post(h, `/webhooks/event/${second.ref}`, { status: 'unanswered', uuid: second.uuid });
    expect(contactOf(h, contactId).status).toBe('unanswered');

    const late = await post(h, `/webhooks/input/${first.ref}?step=question`, { dtmf: { digits: '8', timed_out: true }, uuid: first.uuid });
    expect(late.status).toBe(200);
    expect(callOf(h, first.callId)).toEqual({ outcome: 'human', answeredBy: 'human' });
    expect(billedCalls(h)).toEqual([first.callId]);
    expect(contactOf(h, contactId)).toMatchObject({ status: 'responded', next: null });
    const report = await reportOf(h, listId);
    expect({ responses: report.responses, responded: report.dispositions.responded, billable: report.billing.billableCalls, person: report.calls.answeredByPerson }).toEqual({
      responses: 1,
      responded: 1,
      billable: 1,
      person: 1,
    });
    expect(await disagreements(h)).toEqual([]);
  });

  it('settle a contact already closed as answered without a score as responded when the score comes after `completed`', async () => {
    const { h, contactId } = setup(3);
    const call = await answeredCall(h, contactId, { served: true, duration: '30' });
    expect(contactOf(h, contactId).status).toBe('answered_no_score');
    await post(h, `/webhooks/input/${call.ref}?step=question`, { dtmf: { digits: '9', timed_out: true }, uuid: call.uuid });
    expect(contactOf(h, contactId).status).toBe('responded');
    // A duplicate of the late webhook changes nothing more.
    await post(h, `/webhooks/input/${call.ref}?step=question`, { dtmf: { digits: '9', timed_out: true }, uuid: call.uuid });
    expect(billedCalls(h)).toEqual([call.callId]);
    expect(await disagreements(h)).toEqual([]);
  });

  it('leave a contact with a live later attempt to that attempt, whose end then settles it as responded', async () => {
    const { h, contactId } = setup(3);
    const first = await answeredCall(h, contactId, { served: true, machine: true });
    const second = startCall(h.database, contactId, { attempt: 2, now: h.clock.now() });
    await post(h, `/webhooks/input/${first.ref}?step=question`, { dtmf: { digits: '7', timed_out: true }, uuid: first.uuid });
    expect(contactOf(h, contactId).status).toBe('dialing');
    await post(h, `/webhooks/event/${second.ref}`, { status: 'busy', uuid: second.uuid });
    expect(contactOf(h, contactId)).toMatchObject({ status: 'responded', next: null });
    expect(await disagreements(h)).toEqual([]);
  });

  it('make a late star an opt-out: the number is suppressed and the contact opted out', async () => {
    const { h, contactId } = setup(1);
    const call = await answeredCall(h, contactId, { served: true, machine: true });
    expect(contactOf(h, contactId).status).toBe('machine');
    await post(h, `/webhooks/input/${call.ref}?step=question`, { dtmf: { digits: '*', timed_out: false }, uuid: call.uuid });
    expect(contactOf(h, contactId).status).toBe('opted_out');
    expect(callOf(h, call.callId).outcome).toBe('human');
    expect(h.database.sqlite.prepare('SELECT phone_e164 AS phone FROM suppressions').all()).toEqual([{ phone: PHONE }]);
    expect(await disagreements(h)).toEqual([]);
  });
});
