import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { resolveFromRoot } from '../../src/config/index.js';

/**
 * KeyedJobs in a Node process of its own: Jest's sandbox does not see the process warnings Node
 * emits for an EventTarget, and the one in question is MaxListenersExceededWarning, which the dial
 * bench printed at 200 calls/s (hundreds of downloads in their retry's backoff, each listening on
 * the jobs' one stop signal).
 */
const SCRIPT = `
import { KeyedJobs, ScaledClock } from ${JSON.stringify(pathToFileURL(resolveFromRoot('src/clock/index.ts')).href)};
const clock = new ScaledClock({ start: 0, factor: 1000 });
const jobs = new KeyedJobs(clock);
let ran = 0, stopped = 0;
for (let i = 0; i < 200; i++) jobs.run(i, async () => { ran++; await clock.sleep(3_600_000, jobs.signal).catch(() => stopped++); });
jobs.run(0, () => Promise.resolve());
const size = jobs.size;
await jobs.close();
await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ ran, stopped, size, after: jobs.size }));
`;

describe('KeyedJobs', () => {
  it('runs one job per key, hundreds at once on its one stop signal without a leak warning, and stops them all', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: resolveFromRoot(), encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toEqual({ ran: 200, stopped: 200, size: 200, after: 0 });
    expect(child.stderr).not.toMatch(/MaxListenersExceededWarning/);
  });
});
