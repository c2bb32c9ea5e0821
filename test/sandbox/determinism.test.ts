import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { PopulationOptions, SandboxCallRecord } from '../../src/sandbox/index.js';
import { startIvr, startTestSandbox, surveyCall, vonageFor, type Receiver } from './support.js';

const NUMBERS = Array.from({ length: 24 }, (_, i) => `4850700${String(i).padStart(4, '0')}`);
const POPULATION: PopulationOptions = {
  outcomes: { answered: 50, machine: 10, busy: 10, unanswered: 10, timeout: 5, rejected: 10, failed: 5 },
  invalidKeyRate: 0.2,
  noInputRate: 0.2,
  optOutRate: 0.1,
  commentRate: 0.6,
  hangupRate: 0.1,
};

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startIvr();
});
afterAll(async () => {
  await receiver.close();
});

/** What must not depend on dialling order: everything but ids and wall-clock times. */
function summary(records: SandboxCallRecord[]) {
  return Object.fromEntries(
    records
      .map((r) => [
        `${r.to}#${r.attempt}`,
        {
          scripted: r.scriptedOutcome,
          status: r.status,
          inputs: r.inputs,
          durationSeconds: r.durationSeconds,
          price: r.price,
          recordings: r.recordings.map((rec) => rec.durationSeconds),
          timeline: r.timeline.map((t) => [t.status, t.atSeconds]),
        },
      ])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

/** Dials every number twice (two rounds), in the given order, all of a round at once. */
async function run(seed: number, order: string[]) {
  const sandbox = await startTestSandbox({ seed, cps: 100, population: POPULATION });
  try {
    const voice = vonageFor(sandbox).voice;
    for (let round = 0; round < 2; round++) {
      await Promise.all(order.map((number) => voice.createOutboundCall(surveyCall(receiver, number, { machineDetection: 'continue' }))));
      await sandbox.onIdle();
    }
    return { records: sandbox.calls(), stats: sandbox.stats() };
  } finally {
    await sandbox.close();
  }
}

describe('seeded population', () => {
  test('the same seed gives the same outcome per number and attempt, whatever the dialling order', async () => {
    const forward = await run(42, NUMBERS);
    const backward = await run(42, [...NUMBERS].reverse());
    expect(summary(backward.records)).toEqual(summary(forward.records));
    // The run is varied enough to mean something: several outcomes and some comments.
    const outcomes = new Set(forward.records.map((r) => r.scriptedOutcome));
    expect(outcomes.size).toBeGreaterThanOrEqual(4);
    expect(forward.records.some((r) => r.recordings.length > 0)).toBe(true);
    expect(forward.stats.maxConcurrentCallsPerNumber).toBe(1);
    expect(forward.stats.callsCreated).toBe(48);
  });

  test('another seed gives another run', async () => {
    const [a, b] = await Promise.all([run(42, NUMBERS.slice(0, 12)), run(7, NUMBERS.slice(0, 12))]);
    expect(summary(b.records)).not.toEqual(summary(a.records));
  });
});

test('dialling one number twice at once shows up as maxConcurrentCallsPerNumber 2', async () => {
  const sandbox = await startTestSandbox({ population: { outcomes: { busy: 1 } } });
  try {
    const voice = vonageFor(sandbox).voice;
    await Promise.all([voice.createOutboundCall(surveyCall(receiver, '48507009999')), voice.createOutboundCall(surveyCall(receiver, '48507009999'))]);
    await sandbox.onIdle();
    expect(sandbox.stats()).toMatchObject({ maxConcurrentCallsPerNumber: 2, maxLiveCalls: 2 });
    expect(sandbox.calls().map((c) => c.attempt).sort()).toEqual([1, 2]);
  } finally {
    await sandbox.close();
  }
});
