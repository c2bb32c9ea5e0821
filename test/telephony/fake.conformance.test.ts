import type { ManualClock } from '../../src/clock/index.js';
import { dialerDeps, FakeTelephony, RATE_LIMITED } from '../support/fake-telephony.js';
import { testEnv } from '../support/factories.js';
import { describeTelephonyConformance } from './conformance.js';

// The fake the dialer's unit tests use, held to the same contract as the production adapter.
describeTelephonyConformance('FakeTelephony', async () => {
  const env = testEnv();
  const fake = new FakeTelephony(() => 'live');
  fake.attach(dialerDeps(env));
  const clock = env.clock as ManualClock;
  return {
    telephony: fake,
    now: () => clock.now(),
    refuseNextCreate: () => fake.createFailures.push(RATE_LIMITED),
    urls: { answerUrl: 'https://dialer.example/webhooks/answer/x', eventUrl: 'https://dialer.example/webhooks/event/x' },
    close: async () => {},
  };
});
