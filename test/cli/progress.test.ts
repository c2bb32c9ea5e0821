import { describe, expect, it } from '@jest/globals';
import { describeProgress } from '../../src/cli/commands/run.js';
import { systemClock } from '../../src/clock/index.js';
import { handleAnswer, handleInput, webhookUrls } from '../../src/calls/index.js';
import type { DialerDeps } from '../../src/dialer/index.js';
import { runCampaign, type CampaignResult } from '../../src/dialer/index.js';
import { createList } from '../support/dialer.js';
import { testEnv } from '../support/factories.js';
import { dialerDeps, FakeTelephony, runWithFake } from '../support/fake-telephony.js';

const URLS = webhookUrls('https://dialer.example');
const PHONES = ['+48501000021', '+48501000022', '+48501000023'];
const refOf = (eventUrl: string) => eventUrl.slice(eventUrl.lastIndexOf('/') + 1);

/** Dials the list with every call left live; resolves with the fake once all are created. */
async function dialLive(deps: DialerDeps, listId: number) {
  let allCreated: () => void = () => undefined;
  const created = new Promise<void>((resolve) => (allCreated = resolve));
  let count = 0;
  const fake = new FakeTelephony(() => {
    if (++count === PHONES.length) setImmediate(allCreated);
    return 'live';
  });
  fake.attach(deps);
  const stop = new AbortController();
  const running: Promise<CampaignResult> = runCampaign(deps, {
    listId,
    telephony: fake,
    urls: URLS,
    fromNumber: '447700900000',
    rateClock: systemClock,
    drainTimeoutMs: 0,
    signal: stop.signal,
  });
  await created;
  return { fake, stop: () => stop.abort('test'), running };
}

describe('the progress line of run', () => {
  it('counts a person as answering every call that has a score, also while the call is still live', async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId } = createList(env.database, { policy: { cps: 200, maxAttempts: 1, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: PHONES.map((phone) => ({ phone })) });
    const { fake, stop, running } = await dialLive(deps, listId);
    // Two callees answer and press 9; their calls go on (the comment is being recorded).
    for (const request of fake.created.slice(0, 2)) {
      const ref = refOf(request.eventUrl);
      const uuid = (await deps.units.stores.calls.byRef(ref))!.providerUuid!;
      await handleAnswer({ ...deps, urls: URLS }, { ref, payload: { uuid }, source: 'body' });
      await handleInput({ ...deps, urls: URLS }, { ref, step: 'question', payload: { dtmf: { digits: '9' } } });
    }
    stop();
    const { progress } = await running;
    expect(progress).toMatchObject({ calls: 3, answered: 2, responses: 2 });
    expect(describeProgress(progress)).toBe('0/3 final | calls 3 | answered 2 | responses 2 | NPS 100.0');
  });

  it("counts the whole list's calls, so a re-run of a finished list says what was done, not 0 calls", async () => {
    const env = testEnv();
    const deps = dialerDeps(env);
    const { listId } = createList(env.database, { policy: { cps: 200, maxAttempts: 1, callingHours: '00:00-24:00' }, now: env.clock.now(), contacts: PHONES.map((phone) => ({ phone })) });
    const first = await runWithFake(deps, new FakeTelephony(() => ({ status: 'busy' })), listId);
    expect(first.kind).toBe('completed');
    const again = await runWithFake(deps, new FakeTelephony(), listId);
    expect(again.kind).toBe('completed');
    expect(again.progress).toMatchObject({ dialled: 0, calls: 3, answered: 0, responses: 0 });
    expect(describeProgress(again.progress)).toBe('3/3 final | calls 3 | answered 0 | responses 0 | NPS -');
  });
});
