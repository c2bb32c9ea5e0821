import { describe, expect, it } from '@jest/globals';
import { DialerGauges } from '../../src/calls/index.js';
import { ManualClock } from '../../src/clock/index.js';

describe("the dialer's in-memory gauges for the operator's console", () => {
  it('counts 429s in the last minute and since start', () => {
    const clock = new ManualClock(0);
    const gauges = new DialerGauges(clock);
    gauges.rateLimited();
    gauges.rateLimited();
    clock.advance(50_000);
    gauges.rateLimited();
    expect(gauges.snapshot()).toMatchObject({ rateLimitedLastMinute: 3, rateLimitedTotal: 3 });
    clock.advance(20_000);
    expect(gauges.snapshot()).toMatchObject({ rateLimitedLastMinute: 1, rateLimitedTotal: 3 });
  });

  it("gives the webhooks' p50 and p99 of the last minute from arrival to answer", () => {
    const clock = new ManualClock(0);
    const gauges = new DialerGauges(clock);
    expect(gauges.snapshot()).toMatchObject({ webhooksLastMinute: 0, webhookP50Ms: null, webhookP99Ms: null });
    for (let i = 1; i <= 100; i++) {
      const done = gauges.webhookStarted();
      clock.advance(i);
      done();
    }
    expect(gauges.snapshot()).toMatchObject({ webhooksLastMinute: 100, webhookP50Ms: 50, webhookP99Ms: 99 });
    clock.advance(60_000);
    expect(gauges.snapshot()).toMatchObject({ webhooksLastMinute: 0, webhookP99Ms: null });
  });
});
