import { describe, expect, test } from '@jest/globals';
import { resolveFromRoot } from '../../src/config/index.js';
import { createCalleeResolver } from '../../src/sandbox/callee.js';
import { loadScenarioFile, parseScenario, startSandbox } from '../../src/sandbox/index.js';
import { writeTempFile } from '../support/factories.js';
import { APPLICATION_ID, SIGNATURE_SECRET, testKeys } from './support.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('scenario files', () => {
  test('the example in data/ is valid and covers every outcome', () => {
    const scenario = loadScenarioFile(resolveFromRoot('data', 'sandbox-scenario.example.json'));
    const outcomes = new Set(Object.values(scenario.callees ?? {}).flatMap((c) => c.attempts.map((a) => a.outcome)));
    expect([...outcomes].sort()).toEqual(['answered', 'busy', 'failed', 'machine', 'rejected', 'timeout', 'unanswered']);
  });

  test.each([
    [{ callees: { '48501234567': { attempts: [{ outcome: 'bsy' }] } } }, 'callees.48501234567.attempts[0].outcome: got "bsy"; expected outcome to be one of answered'],
    [{ callees: { '48501234567': { attempts: [{ outcome: 'answered', keys: ['7x'] }] } } }, 'callees.48501234567.attempts[0].keys[0]: got "7x"; expected DTMF keys'],
    [{ callees: { '48501234567': { attempts: [{ outcome: 'busy', keys: ['1'] }] } } }, 'callees.48501234567.attempts[0]: unknown field(s) "keys"'],
    [{ callees: { '12345': { attempts: [{ outcome: 'busy' }] } } }, 'callees.12345: expected an E.164 number'],
    [{ callees: { '48501234567': { attempts: [] } } }, 'callees.48501234567.attempts: got []; expected at least one attempt'],
    [{ population: { optOutRate: 1.5 } }, 'population.optOutRate: got 1.5; expected a probability from 0 to 1'],
    [{ population: { scoreWeights: [1, 2] } }, 'population.scoreWeights: got [1,2]; expected 11 weights'],
    [{ faults: { commentSeconds: [1, 2] } }, 'faults: unknown field(s) "commentSeconds"'],
    [{ callees: { '48501234567': { attempts: [{ outcome: 'answered', comment: { seconds: 5, end: 'shout' } }] } } }, 'comment.end: got "shout"; expected "key", "silence" or "hangup"'],
  ])('names the field and the bad value: %j', (input, expected) => {
    expect(messageOf(() => parseScenario(input))).toContain(expected);
  });

  test('a file that is not JSON, or missing, is reported with its path', () => {
    const broken = writeTempFile('scenario.json', '{ "callees": ');
    expect(messageOf(() => loadScenarioFile(broken))).toContain(`scenario file ${broken} is not valid JSON`);
    expect(messageOf(() => loadScenarioFile('/no/such/scenario.json'))).toContain('cannot read scenario file /no/such/scenario.json');
  });

  test('later calls to a number repeat its last scripted attempt; numbers match with or without +', () => {
    const resolver = createCalleeResolver({
      seed: 1,
      scenario: parseScenario({ callees: { '+48501234567': { attempts: [{ outcome: 'busy' }, { outcome: 'answered', keys: ['5#'] }] } } }),
      population: {},
    });
    expect(resolver.script('48501234567', 0).script.outcome).toBe('busy');
    expect(resolver.script('48501234567', 1).script).toMatchObject({ outcome: 'answered', keys: ['5#'] });
    expect(resolver.script('48501234567', 5).script.outcome).toBe('answered');
  });

  test('population scores follow the weights: all weight on 10 gives "10" answers only', () => {
    const resolver = createCalleeResolver({
      seed: 3,
      scenario: {},
      population: { outcomes: { answered: 1 }, scoreWeights: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], invalidKeyRate: 0, noInputRate: 0, optOutRate: 0 },
    });
    const answers = Array.from({ length: 50 }, (_, i) => resolver.script(`4850123${String(i).padStart(4, '0')}`, 0).script);
    expect(answers.every((s) => s.outcome === 'answered' && s.keys.join('|') === '10')).toBe(true);
  });
});

describe('startSandbox options', () => {
  const base = { applicationId: APPLICATION_ID, privateKey: testKeys().privateKey, signatureSecret: SIGNATURE_SECRET };

  test.each([
    [{ cps: 0 }, 'sandbox option cps: got 0; expected an integer from 1'],
    [{ timeScale: -2 }, 'sandbox option timeScale: got -2'],
    [{ ratePerMinute: 'cheap' }, 'sandbox option ratePerMinute: got "cheap"'],
    [{ privateKey: 'not a key' }, 'sandbox option privateKey: not a readable PEM private key'],
    [{ bodilessPayloadHash: 'sha1' }, 'sandbox option bodilessPayloadHash: got "sha1"; expected empty-body or omitted'],
    [{ redeliveryToken: 'reuse' }, 'sandbox option redeliveryToken: got "reuse"; expected new or same'],
    [{ faults: { duplicateRate: 2 } }, 'faults.duplicateRate: got 2; expected a probability from 0 to 1'],
    [{ population: { commentSeconds: [9, 1] } }, 'population.commentSeconds: got [9,1]; expected [min, max] in seconds with min ≤ max'],
  ])('rejects %j with a message naming the option and value', async (override, expected) => {
    await expect(startSandbox({ ...base, ...(override as object) })).rejects.toThrow(expected);
  });
});
