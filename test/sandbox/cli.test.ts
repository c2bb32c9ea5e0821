import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Command } from 'commander';
import dotenv from 'dotenv';
import { registerSandboxCommand, runSandboxCommand, type SandboxCommandOptions } from '../../src/cli/commands/sandbox.js';
import { parseConfig } from '../../src/config/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { tempDir, writeTempFile } from '../support/factories.js';
import { testKeys, vonageFor } from './support.js';

const OPTIONS: SandboxCommandOptions = { port: 0, seed: 1, cps: 3, timeScale: 100 };

/** Runs the command in `cwd` with `env`, lets `body` use the live sandbox, then stops it. */
async function runCommand(env: Record<string, string>, cwd: string, body: (sandbox: Sandbox, lines: string[]) => Promise<void>, options = OPTIONS) {
  const lines: string[] = [];
  let stop: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (stop = resolve));
  let listening: (sandbox: Sandbox) => void = () => undefined;
  const started = new Promise<Sandbox>((resolve) => (listening = resolve));
  const running = runSandboxCommand(options, {
    loadConfig: (parseOptions) => parseConfig(env, parseOptions),
    cwd,
    until,
    print: (line) => lines.push(line),
    onListening: listening,
    logger: createSilentLogger(),
  });
  const sandbox = await Promise.race([started, running.then(() => Promise.reject(new Error('command ended early')))]);
  await body(sandbox, lines);
  stop();
  await running;
  return lines;
}

const envLine = (lines: string[], name: string) => lines.map((l) => l.trim()).find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);

describe('nps-dialer sandbox', () => {
  test('without Vonage credentials it generates a key pair and secret in data/sandbox/ and prints the env lines for the dialer', async () => {
    const cwd = tempDir('nps-sandbox-cli-');
    const lines = await runCommand({}, cwd, async (sandbox, printed) => {
      expect(envLine(printed, 'VONAGE_API_HOST')).toBe(sandbox.url);
      expect(envLine(printed, 'VONAGE_ACCOUNT_CPS')).toBe('3');
      const applicationId = envLine(printed, 'VONAGE_APPLICATION_ID')!;
      const privateKey = readFileSync(path.join(cwd, envLine(printed, 'VONAGE_PRIVATE_KEY')!), 'utf8');
      // The printed credentials are the ones the sandbox accepts.
      await expect(vonageFor(sandbox, privateKey, applicationId).voice.getCallsPage({})).resolves.toMatchObject({ count: 0 });
    });
    expect(envLine(lines, 'VONAGE_PRIVATE_KEY')).toBe(path.join('data', 'sandbox', 'private.key'));
    expect(statSync(path.join(cwd, 'data', 'sandbox', 'private.key')).mode & 0o777).toBe(0o600);
    expect(envLine(lines, 'VONAGE_SIGNATURE_SECRET')!.length).toBeGreaterThanOrEqual(16);
    expect(envLine(lines, 'VONAGE_FROM_NUMBER')).toBe('447700900000');
    expect(lines.at(-1)).toMatch(/^Stopped\. 0 calls created/);

    // A second run reuses them, so the dialer's .env stays valid.
    const again = await runCommand({}, cwd, async () => undefined);
    expect(envLine(again, 'VONAGE_APPLICATION_ID')).toBe(envLine(lines, 'VONAGE_APPLICATION_ID'));
  });

  test('with Vonage credentials configured it uses them and prints only the API host and its pace, no credentials', async () => {
    const keyFile = writeTempFile('app.key', testKeys().privateKey);
    const env = {
      VONAGE_APPLICATION_ID: 'bbbbbbbb-0000-1111-2222-333333333333',
      VONAGE_PRIVATE_KEY: keyFile,
      VONAGE_SIGNATURE_SECRET: 'a-configured-signature-secret',
      VONAGE_FROM_NUMBER: '+447700900001',
    };
    const lines = await runCommand(env, tempDir('nps-sandbox-cli-'), async (sandbox) => {
      await expect(vonageFor(sandbox, testKeys().privateKey, env.VONAGE_APPLICATION_ID).voice.getCallsPage({})).resolves.toMatchObject({ count: 0 });
    });
    expect(envLine(lines, 'VONAGE_API_HOST')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(envLine(lines, 'VONAGE_APPLICATION_ID')).toBeUndefined();
  });

  test('--write-env writes the five settings into .env (owner-only), says what it wrote, and the dialer config reads them', async () => {
    const cwd = tempDir('nps-sandbox-cli-');
    let url = '';
    const lines = await runCommand({}, cwd, async (sandbox) => void (url = sandbox.url), { ...OPTIONS, writeEnv: true });
    const names = ['VONAGE_API_HOST', 'VONAGE_APPLICATION_ID', 'VONAGE_PRIVATE_KEY', 'VONAGE_SIGNATURE_SECRET', 'VONAGE_FROM_NUMBER'];
    expect(lines).toContain(`Wrote .env: added ${names.join(', ')}.`);
    const file = path.join(cwd, '.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = dotenv.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(written)).toEqual(names);
    for (const name of names.slice(1)) expect(written[name]).toBe(envLine(lines, name));
    expect(written.VONAGE_API_HOST).toBe(url);
    // What it wrote is a configuration the dialer accepts.
    expect(parseConfig(written, { needsVonage: true, cwd }).vonage).toMatchObject({ applicationId: written.VONAGE_APPLICATION_ID, fromNumber: '447700900000' });
  });

  test('--write-env keeps values an existing .env has unless --force, and leaves the rest of the file alone', async () => {
    const cwd = tempDir('nps-sandbox-cli-');
    const file = path.join(cwd, 'dialer.env');
    writeFileSync(file, '# mine\nPORT=3001\nVONAGE_API_HOST=https://api.nexmo.com\n');
    const kept = await runCommand({}, cwd, async () => undefined, { ...OPTIONS, writeEnv: 'dialer.env' });
    expect(kept).toContain('dialer.env has other values for VONAGE_API_HOST: left as they are; set them by hand or run again with --force to replace them.');
    expect(kept).toContain('Wrote dialer.env: added VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, VONAGE_SIGNATURE_SECRET, VONAGE_FROM_NUMBER.');
    expect(readFileSync(file, 'utf8').startsWith('# mine\nPORT=3001\nVONAGE_API_HOST=https://api.nexmo.com\n')).toBe(true);

    let url = '';
    const forced = await runCommand({}, cwd, async (sandbox) => void (url = sandbox.url), { ...OPTIONS, writeEnv: 'dialer.env', force: true });
    expect(forced).toContain('Wrote dialer.env: replaced VONAGE_API_HOST (--force).');
    expect(forced).toContain('dialer.env already has VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, VONAGE_SIGNATURE_SECRET, VONAGE_FROM_NUMBER with these values.');
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`# mine\nPORT=3001\nVONAGE_API_HOST=${url}\n`)).toBe(true);
    expect(dotenv.parse(text).PORT).toBe('3001');
  });

  test('refuses a configured Vonage value that is invalid, naming it, instead of quietly using its own credentials', async () => {
    const keyFile = writeTempFile('app.key', testKeys().privateKey);
    const env = { VONAGE_APPLICATION_ID: 'bbbbbbbb-0000-1111-2222-333333333333', VONAGE_PRIVATE_KEY: keyFile, VONAGE_SIGNATURE_SECRET: 'too-short', VONAGE_FROM_NUMBER: '+447700900001' };
    const refused = runCommand(env, tempDir('nps-sandbox-cli-'), async () => undefined);
    await expect(refused).rejects.toThrow(/VONAGE_SIGNATURE_SECRET: expected the signature secret from the dashboard \(at least 16 characters\)\. The sandbox makes its own credentials only for VONAGE_\* settings that are not set; fix or unset this one/);
    await expect(refused).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  test('loads the scenario file given with --scenario, relative to the working directory', async () => {
    const cwd = tempDir('nps-sandbox-cli-');
    const bad = writeTempFile('scenario.json', JSON.stringify({ callees: { '48501234567': { attempts: [{ outcome: 'bsy' }] } } }));
    await expect(runCommand({}, cwd, async () => undefined, { ...OPTIONS, scenario: bad })).rejects.toThrow('outcome: got "bsy"');
  });

  test.each([
    [['--time-scale', '0'], "--time-scale must be a number > 0 (simulated seconds per real second), got '0'"],
    [['--port', '70000'], "--port must be 0 to 65535, got '70000'"],
    [['--cps', 'fast'], "--cps must be a positive whole number, got 'fast'"],
  ])('refuses bad flags %j with a message naming the value', async (args, message) => {
    const errors: string[] = [];
    const program = new Command('nps-dialer').exitOverride().configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
    registerSandboxCommand(program);
    await expect(program.parseAsync(['node', 'nps-dialer', 'sandbox', ...args])).rejects.toThrow();
    expect(errors.join('')).toContain(message);
  });
});
