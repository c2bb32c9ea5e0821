import { ManualClock, systemClock } from '../../src/clock/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { ReusingAuth, VonageTelephony, type Telephony } from '../../src/telephony/index.js';
import { APPLICATION_ID, startIvr, startTestSandbox, testKeys } from '../sandbox/support.js';
import { describeTelephonyConformance } from './conformance.js';

/**
 * The production adapter: the real @vonage/server-sdk against the project's sandbox on loopback.
 * The sandbox starts at the adapter's first request, so a refusal asked for before it (a 429 storm
 * of one create, counted from the first) is part of its faults. Its callees ring and ring: the
 * manual clock never moves, so every call stays live.
 */
describeTelephonyConformance('VonageTelephony over the sandbox', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
  const receiver = await startIvr();
  let refuseFirst = false;
  let started: Promise<{ sandbox: Sandbox; telephony: VonageTelephony }> | undefined;
  const adapter = () =>
    (started ??= startTestSandbox({
      clock,
      cps: 50,
      scenario: { population: { outcomes: { unanswered: 1 } } },
      ...(refuseFirst ? { faults: { tooManyRequestsStorms: [{ afterCreates: 0, creates: 1 }] } } : {}),
    }).then((sandbox) => ({
      sandbox,
      telephony: new VonageTelephony({
        auth: new ReusingAuth({ applicationId: APPLICATION_ID, privateKey: testKeys().privateKey, reuseMs: 60_000, clock: systemClock }),
        apiHost: sandbox.url,
        logger: createSilentLogger(),
      }),
    })));
  const telephony: Telephony = {
    createCall: async (request) => (await adapter()).telephony.createCall(request),
    getCall: async (uuid) => (await adapter()).telephony.getCall(uuid),
    listCalls: async (query) => (await adapter()).telephony.listCalls(query),
    hangupCall: async (uuid) => (await adapter()).telephony.hangupCall(uuid),
  };
  return {
    telephony,
    now: () => clock.now(),
    refuseNextCreate: () => {
      if (started) throw new Error('the sandbox harness refuses only the first create: ask before any request');
      refuseFirst = true;
    },
    urls: { answerUrl: `${receiver.url}/answer`, eventUrl: `${receiver.url}/event` },
    close: async () => {
      if (started) await (await started).sandbox.close();
      await receiver.close();
    },
  };
});
