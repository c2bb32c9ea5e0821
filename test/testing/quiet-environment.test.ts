import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { resolveFromRoot } from '../../src/config/index.js';

/** Runs Jest, as `npm test` does, on the fixture alone (a passing and a failing test that both log). */
function jestOnFixture(env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', resolveFromRoot('node_modules/jest/bin/jest.js'), '--ci', '--testMatch', '<rootDir>/test/testing/fixtures/logs.fixture.ts'],
    { cwd: resolveFromRoot(), env: { ...process.env, TEST_LOGS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the test environment', () => {
  it("prints a failing test's logs under its name and drops a passing test's", async () => {
    const { code, output } = await jestOnFixture();
    expect(code).toBe(1);
    expect(output).toContain('──── stderr of the failing test "fails after logging" ────');
    expect(output).toContain('line of the failing test');
    expect(output).not.toContain('line of the passing test');
  });
});
