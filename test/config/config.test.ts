import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { writeTempFile } from '../support/factories.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const vonageEnv = {
  VONAGE_APPLICATION_ID: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
  VONAGE_PRIVATE_KEY: pem,
  VONAGE_SIGNATURE_SECRET: 'a-signature-secret-of-some-length',
  VONAGE_FROM_NUMBER: '+447700900000',
};

function problems(env: Record<string, string>, needsVonage = false) {
  try {
    parseConfig(env, { needsVonage, cwd: '/tmp' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = parseConfig({}, { cwd: '/srv/app' });
    expect(config.databasePath).toBe('/srv/app/data/nps-dialer.db');
    expect(config.recordingsDir).toBe('/srv/app/data/recordings');
    expect(config.port).toBe(3000);
    expect(config.vonageApiHost).toBe('https://api.nexmo.com');
    expect(config.logLevel).toBe('info');
    expect(config.vonage).toBeUndefined();
    expect(config.defaultTariff).toEqual({ currency: 'EUR', callFeeMinor: 0, perMinuteMinor: 12, firstIncrementSeconds: 60, nextIncrementSeconds: 60 });
    expect(config.accountCps).toBe(3);
  });

  it("reads the account's calls per second, fractions included, and refuses anything but a positive number", () => {
    expect(parseConfig({ VONAGE_ACCOUNT_CPS: '30' }).accountCps).toBe(30);
    expect(parseConfig({ VONAGE_ACCOUNT_CPS: '0.5' }).accountCps).toBe(0.5);
    for (const bad of ['0', '-3', 'fast', '5000']) {
      expect(problems({ VONAGE_ACCOUNT_CPS: bad })).toEqual([{ variable: 'VONAGE_ACCOUNT_CPS', problem: 'expected a number above 0 and at most 1000, e.g. 3' }]);
    }
  });

  it('does not ask for Vonage credentials unless the command needs them', () => {
    expect(() => parseConfig({}, { needsVonage: false })).not.toThrow();
  });

  it('lists every missing Vonage variable at once, with what is expected', () => {
    const found = problems({}, true);
    expect(found.map((p) => p.variable).sort()).toEqual(['VONAGE_APPLICATION_ID', 'VONAGE_FROM_NUMBER', 'VONAGE_PRIVATE_KEY', 'VONAGE_SIGNATURE_SECRET']);
    expect(found.find((p) => p.variable === 'VONAGE_FROM_NUMBER')!.problem).toMatch(/E\.164/);
  });

  it('reports malformed base and Vonage values together', () => {
    const found = problems({ ...vonageEnv, PORT: 'eighty', LOG_LEVEL: 'loud', VONAGE_FROM_NUMBER: '12ab', PUBLIC_BASE_URL: 'ftp://x' }, true);
    expect(found.map((p) => p.variable).sort()).toEqual(['LOG_LEVEL', 'PORT', 'PUBLIC_BASE_URL', 'VONAGE_FROM_NUMBER']);
    expect(found.find((p) => p.variable === 'PORT')!.problem).toMatch(/integer from 0 to 65535/);
  });

  it('reads the private key from a file path or from the PEM text', () => {
    const file = writeTempFile('private.key', pem);
    expect(parseConfig({ ...vonageEnv, VONAGE_PRIVATE_KEY: file }, { needsVonage: true }).vonage!.privateKey).toBe(pem);
    expect(parseConfig({ ...vonageEnv, VONAGE_PRIVATE_KEY: pem.replace(/\n/g, '\\n') }, { needsVonage: true }).vonage!.privateKey).toBe(pem);
  });

  it('refuses a private key that is neither a file nor a PEM', () => {
    expect(problems({ ...vonageEnv, VONAGE_PRIVATE_KEY: 'missing.key' }, true)).toEqual([
      { variable: 'VONAGE_PRIVATE_KEY', problem: expect.stringContaining('no such file "missing.key"') },
    ]);
    expect(problems({ ...vonageEnv, VONAGE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----' }, true)[0]!.problem).toMatch(/not a readable PEM/);
  });

  it('normalises the from number to digits and strips a trailing slash from URLs', () => {
    const config = parseConfig({ ...vonageEnv, VONAGE_API_HOST: 'http://127.0.0.1:4010/', PUBLIC_BASE_URL: 'https://dialer.example.com/' }, { needsVonage: true });
    expect(config.vonage!.fromNumber).toBe('447700900000');
    expect(config.vonageApiHost).toBe('http://127.0.0.1:4010');
    expect(config.publicBaseUrl).toBe('https://dialer.example.com');
  });

  it('parses the tariff increment', () => {
    expect(parseConfig({ TARIFF_INCREMENT: '1/1', TARIFF_PER_MINUTE_MINOR: '30' }).defaultTariff).toMatchObject({ firstIncrementSeconds: 1, nextIncrementSeconds: 1, perMinuteMinor: 30 });
    expect(problems({ TARIFF_INCREMENT: '60' })[0]).toEqual({ variable: 'TARIFF_INCREMENT', problem: expect.stringContaining('60/60') });
  });

  it('reads TRUST_PROXY as express defines trust proxy: a hop count or the proxies, and refuses true', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(parseConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,192.168.1.5' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '192.168.1.5']);
    expect(problems({ TRUST_PROXY: 'true' })).toEqual([{ variable: 'TRUST_PROXY', problem: expect.stringContaining("'true' would trust any X-Forwarded-For a client sends") }]);
    expect(problems({ TRUST_PROXY: 'loopback,proxy.example.com' })).toEqual([
      { variable: 'TRUST_PROXY', problem: expect.stringMatching(/^'proxy\.example\.com' is not an address or range; expected the number of proxies/) },
    ]);
  });

  it('reads WEBHOOK_ALLOW_PRIVATE_NETWORKS as addresses and ranges, naming a bad entry', () => {
    expect(parseConfig({}).webhookPrivateNetworks).toEqual([]);
    expect(parseConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '10.20.0.0/16, 127.0.0.1,fd00::/8' }).webhookPrivateNetworks).toEqual(['10.20.0.0/16', '127.0.0.1/32', 'fd00::/8']);
    expect(problems({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/8,crm.internal' })).toEqual([
      { variable: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', problem: expect.stringMatching(/^'crm\.internal' is not an IP address or CIDR range; expected e\.g\. 10\.20\.0\.0\/16/) },
    ]);
  });

  it('reads the callback token freshness window, 300 s back and 60 s of clock skew by default', () => {
    expect(parseConfig({}).webhookTokens).toEqual({ maxAgeSeconds: 300, clockSkewSeconds: 60 });
    expect(parseConfig({ WEBHOOK_TOKEN_MAX_AGE_SECONDS: '120', WEBHOOK_CLOCK_SKEW_SECONDS: '5' }).webhookTokens).toEqual({ maxAgeSeconds: 120, clockSkewSeconds: 5 });
    expect(problems({ WEBHOOK_TOKEN_MAX_AGE_SECONDS: '0', WEBHOOK_CLOCK_SKEW_SECONDS: 'lots' })).toEqual([
      { variable: 'WEBHOOK_TOKEN_MAX_AGE_SECONDS', problem: 'expected an integer from 10 to 86400, e.g. 300' },
      { variable: 'WEBHOOK_CLOCK_SKEW_SECONDS', problem: 'expected an integer from 0 to 3600, e.g. 60' },
    ]);
  });
});
