import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { WorkerPacer, type CallCreator } from '../../src/dialer/index.js';
import { createLogger } from '../../src/logging/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { CreateCallRequest, CreateCallResult } from '../../src/telephony/index.js';
import { APPLICATION_ID, FROM_NUMBER, startTestSandbox, testKeys } from '../sandbox/support.js';

/**
 * The create-call worker (the account's limiter, a lane per run, and the SDK in their own thread)
 * against the sandbox, over real HTTP and real time: small rates, so a test takes about a second.
 */
describe('the create-call worker', () => {
  let sandbox: Sandbox | undefined;
  let pacer: WorkerPacer | undefined;

  afterEach(async () => {
    await pacer?.close();
    await sandbox?.close();
    pacer = undefined;
    sandbox = undefined;
  });

  const request = (i: number): CreateCallRequest => ({
    toE164: `+48501${String(100000 + i)}`,
    fromNumber: FROM_NUMBER,
    answerUrl: 'http://127.0.0.1:9/webhooks/answer/x',
    answerMethod: 'POST',
    eventUrl: 'http://127.0.0.1:9/webhooks/event/x',
    machineDetection: 'hangup',
    ringingTimerSeconds: 30,
    lengthTimerSeconds: 300,
  });

  /** A worker pacing the account at `cps`, and one run's lane of it at the same cps. */
  function start(cps: number, logs?: PassThrough) {
    const logger = createLogger({ level: 'info', format: 'json', ...(logs ? { stream: logs } : {}), silent: !logs });
    pacer = new WorkerPacer({ applicationId: APPLICATION_ID, privateKey: testKeys().privateKey, apiHost: sandbox!.url, jwtReuseMs: 60_000, logLevel: 'info' }, { cps }, logger);
    const stop = new AbortController();
    const creator = pacer.open({ listId: 1, cps }, stop.signal);
    return { creator, stop, pacer };
  }

  async function create(c: CallCreator, i: number): Promise<CreateCallResult | undefined | 'no turn'> {
    const turn = await c.reserve();
    return turn ? turn.send(request(i)) : 'no turn';
  }

  it('creates calls through the SDK at the provider pace: never more than cps in a rolling second, no 429', async () => {
    sandbox = await startTestSandbox({ cps: 10 });
    const { creator: c } = start(10);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => create(c, i)));

    expect(results.every((r) => typeof r === 'object' && r.ok)).toBe(true);
    const uuids = new Set(results.map((r) => (r as { uuid: string }).uuid));
    expect(uuids.size).toBe(25);
    const stats = sandbox.stats();
    expect(stats.callsCreated).toBe(25);
    expect(stats.rateLimited).toBe(0);
    expect(stats.maxCreatesInAnyRollingSecond).toBeLessThanOrEqual(10);
  });

  it('answers requests still waiting for a slot with "not sent" when the run stops; nothing more reaches the provider', async () => {
    sandbox = await startTestSandbox({ cps: 2 });
    const { creator: c, stop, pacer: p } = start(2);
    const first = await Promise.all([create(c, 0), create(c, 1)]);
    expect(first.every((r) => typeof r === 'object' && r.ok)).toBe(true);
    // Both slots are now in their window for a second: these two wait in the worker, a third for a permit.
    const waiting = [create(c, 2), create(c, 3), create(c, 4)];
    await p.workerReceived(4);
    stop.abort();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined, 'no turn']);
    expect(await c.reserve()).toBeUndefined();
    expect(sandbox.stats().callsCreated).toBe(2);
  });

  it("passes the provider's refusals back as data and logs them through the dialer's logger", async () => {
    sandbox = await startTestSandbox({ cps: 5 });
    const logs = new PassThrough();
    // The worker's warning reaches this thread as a message of its own: wait for it, not for time.
    const warned = new Promise<Record<string, unknown>>((resolve) =>
      logs.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.level === 'warn') resolve(entry);
        }
      }),
    );
    const { creator: c } = start(5, logs);
    const turn = await c.reserve();
    const result = await turn!.send({ ...request(0), toE164: '+12' });

    expect(result).toMatchObject({ ok: false, failure: { kind: 'invalid_request', status: 400, retryable: false } });
    expect(await warned).toEqual(
      expect.objectContaining({ level: 'warn', message: 'provider request failed', what: 'create call', kind: 'invalid_request', status: 400 }),
    );
  });

  it('fails a request still unanswered when the worker ends, and every later one, instead of leaving them hanging', async () => {
    sandbox = await startTestSandbox({ cps: 1 });
    const { creator: c, pacer: p } = start(1);
    expect(await create(c, 0)).toMatchObject({ ok: true });
    // The one slot is in its window for a second: this request waits in the worker.
    const pending = create(c, 1);
    await p.workerReceived(2);
    const failed = expect(pending).rejects.toThrow('the create-call worker was closed before the provider answered');
    await p.close();
    await failed;
    await expect(c.reserve()).rejects.toThrow('the create-call worker was closed before the provider answered');
    expect(sandbox.stats().callsCreated).toBe(1);
  });

  it('paces every lane of the process together: two runs at the account cps each never put more than that into a rolling second', async () => {
    sandbox = await startTestSandbox({ cps: 5 });
    const { creator: first, pacer: p } = start(5);
    const second = p.open({ listId: 2, cps: 5 }, new AbortController().signal);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => create(first, i)),
      ...Array.from({ length: 10 }, (_, i) => create(second, 100 + i)),
    ]);

    expect(results.every((r) => typeof r === 'object' && r.ok)).toBe(true);
    const stats = sandbox.stats();
    expect(stats.callsCreated).toBe(20);
    expect(stats.rateLimited).toBe(0);
    expect(stats.maxCreatesInAnyRollingSecond).toBeLessThanOrEqual(5);
  });

  it("keeps a closed run's lane from sending, while the worker goes on serving the other runs", async () => {
    sandbox = await startTestSandbox({ cps: 5 });
    const { creator: first, pacer: p } = start(5);
    const second = p.open({ listId: 2, cps: 5 }, new AbortController().signal);
    expect(await create(first, 0)).toMatchObject({ ok: true });
    await first.close();
    expect(await create(second, 1)).toMatchObject({ ok: true });
    // A third run opens after the first closed and is served by the same worker.
    const third = p.open({ listId: 3, cps: 5 }, new AbortController().signal);
    expect(await create(third, 2)).toMatchObject({ ok: true });
    expect(sandbox.stats().callsCreated).toBe(3);
  });
});
