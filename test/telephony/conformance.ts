import { afterEach, describe, expect, it } from '@jest/globals';
import type { CreateCallRequest, Telephony } from '../../src/telephony/index.js';

/**
 * What a test gets from one adapter of the Telephony port: the adapter, the provider's clock for
 * the call list's window, and a way to make the provider refuse the next create with 429.
 */
export interface TelephonyHarness {
  telephony: Telephony;
  /** Epoch ms the provider dates a call created now. */
  now(): number;
  /** The provider answers the next create request with 429. */
  refuseNextCreate(): void;
  /** URLs the provider calls back (a receiver that answers; the fake never calls them). */
  urls: { answerUrl: string; eventUrl: string };
  close(): Promise<void>;
}

/**
 * The Telephony port's contract, written once (bullmq's way) and run against every adapter: the
 * Vonage adapter over the real SDK and the sandbox, and the fake the dialer's unit tests use. Where
 * they disagree, the fake is wrong.
 */
export function describeTelephonyConformance(name: string, open: () => Promise<TelephonyHarness>): void {
  describe(`Telephony conformance: ${name}`, () => {
    let harness: TelephonyHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });
    const request = (h: TelephonyHarness, number: string): CreateCallRequest => ({
      toE164: `+${number}`,
      fromNumber: '447700900000',
      answerUrl: h.urls.answerUrl,
      answerMethod: 'POST',
      eventUrl: h.urls.eventUrl,
      machineDetection: 'continue',
      ringingTimerSeconds: 30,
      lengthTimerSeconds: 300,
    });

    it('creates a call and finds it by uuid, with the number called in digits', async () => {
      harness = await open();
      const created = await harness.telephony.createCall(request(harness, '48501000801'));
      expect(created).toMatchObject({ ok: true });
      const uuid = created.ok ? created.uuid : '';
      expect(uuid).toMatch(/\S/);
      const found = await harness.telephony.getCall(uuid);
      expect(found).toMatchObject({ ok: true, call: { uuid, toNumber: '48501000801' } });
      expect(typeof (found.ok && found.call.status)).toBe('string');
    });

    it('says not_found, not retryable, for a uuid the provider does not know', async () => {
      harness = await open();
      const found = await harness.telephony.getCall('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
      expect(found).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'not_found', status: 404, retryable: false }) });
    });

    it('answers a refused create as rate_limited data (429, retryable), then creates again', async () => {
      harness = await open();
      harness.refuseNextCreate();
      const refused = await harness.telephony.createCall(request(harness, '48501000802'));
      expect(refused).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'rate_limited', status: 429, retryable: true }) });
      expect(await harness.telephony.createCall(request(harness, '48501000802'))).toMatchObject({ ok: true });
    });

    it('lists the calls dated within a window, page by page, and none outside it', async () => {
      harness = await open();
      const at = harness.now();
      const uuids: string[] = [];
      for (const number of ['48501000811', '48501000812', '48501000813']) {
        const created = await harness.telephony.createCall(request(harness, number));
        if (created.ok) uuids.push(created.uuid);
      }
      const first = await harness.telephony.listCalls({ fromMs: at - 1000, toMs: at + 1000, recordIndex: 0, pageSize: 2 });
      expect(first).toMatchObject({ ok: true, page: { total: 3, nextRecordIndex: 2 } });
      const second = await harness.telephony.listCalls({ fromMs: at - 1000, toMs: at + 1000, recordIndex: 2, pageSize: 2 });
      expect(second).toMatchObject({ ok: true, page: { total: 3, nextRecordIndex: undefined } });
      const listed = [...(first.ok ? first.page.calls : []), ...(second.ok ? second.page.calls : [])];
      expect(listed.map((c) => c.uuid).sort()).toEqual([...uuids].sort());
      const before = await harness.telephony.listCalls({ fromMs: at - 3_600_000, toMs: at - 60_000, recordIndex: 0, pageSize: 10 });
      expect(before).toEqual({ ok: true, page: { calls: [], total: 0, nextRecordIndex: undefined } });
    });

    it('hangs up a live call, and says not_found for a call it does not know', async () => {
      harness = await open();
      const created = await harness.telephony.createCall(request(harness, '48501000821'));
      expect(await harness.telephony.hangupCall(created.ok ? created.uuid : '')).toEqual({ ok: true });
      const unknown = await harness.telephony.hangupCall('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
      expect(unknown).toEqual({ ok: false, failure: expect.objectContaining({ kind: 'not_found', retryable: false }) });
    });
  });
}
