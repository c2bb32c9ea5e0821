import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/index.js';
import { createReportLink, resolveRecording, signReportLink, verifyReportLink, type ReportServiceDeps } from '../../src/reports/index.js';
import { tempDir, testEnv } from '../support/factories.js';
import { REPORT_TARIFF, scored, seedList, reportDeps } from '../support/reports.js';

const SECRET = 'a-report-link-secret-of-32-chars!!';
const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
const link = { listId: 7, format: 'html' as const, expiresAt: NOW + 3_600_000 };

describe('signed report links', () => {
  it('verifies its own token and returns what was signed', () => {
    expect(verifyReportLink(SECRET, signReportLink(SECRET, link), NOW)).toEqual(link);
  });

  it('refuses a link after its expiry, naming when it expired', () => {
    const token = signReportLink(SECRET, link);
    expect(() => verifyReportLink(SECRET, token, link.expiresAt)).toThrow(/expired at 2026-01-05T11:00:00.000Z/);
  });

  it('refuses a token whose payload was altered (another list, a later expiry)', () => {
    const token = signReportLink(SECRET, link);
    const [, signature] = token.split('.');
    for (const changed of [{ ...link, listId: 8 }, { ...link, expiresAt: link.expiresAt + 86_400_000 }, { ...link, format: 'csv' as const }]) {
      const forgedPayload = signReportLink('attacker', changed).split('.')[0];
      expect(() => verifyReportLink(SECRET, `${forgedPayload}.${signature}`, NOW)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    }
  });

  it('refuses a changed signature, another secret and malformed tokens', () => {
    const token = signReportLink(SECRET, link);
    // Every character counts, including the last one whose spare bits a base64 decoder ignores.
    for (const at of [token.indexOf('.') + 1, token.length - 1]) {
      const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      expect(() => verifyReportLink(SECRET, flipped, NOW)).toThrow(/signature does not match/);
    }
    expect(() => verifyReportLink('another-secret-of-enough-length-000', token, NOW)).toThrow(/signature does not match/);
    for (const bad of ['', 'abc', `${token}.x`, token.replace('.', ''), '../../etc/passwd']) {
      expect(() => verifyReportLink(SECRET, bad, NOW)).toThrow(/malformed|signature/);
    }
  });

  it('makes URLs under PUBLIC_BASE_URL that expire, and refuses without a secret or beyond 90 days', async () => {
    const env = testEnv(NOW);
    const { listId } = seedList(env.database, { contacts: scored({ promoters: 1, passives: 0, detractors: 0 }) });
    const deps: ReportServiceDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/x' }, linkSecret: SECRET });
    const made = await createReportLink(deps, { listId, format: 'json', expiresInMs: 7 * 86_400_000, baseUrl: 'https://reports.example.com/' });
    expect(made.expiresAt).toBe('2026-01-12T10:00:00.000Z');
    const token = made.url.replace('https://reports.example.com/api/v1/links/', '');
    expect(verifyReportLink(SECRET, token, NOW)).toEqual({ listId, format: 'json', expiresAt: NOW + 7 * 86_400_000 });
    await expect(createReportLink({ ...deps, linkSecret: undefined }, { listId, format: 'json', expiresInMs: 1000, baseUrl: 'http://x' })).rejects.toThrow(/REPORT_LINK_SECRET/);
    await expect(createReportLink(deps, { listId, format: 'json', expiresInMs: 91 * 86_400_000, baseUrl: 'http://x' })).rejects.toThrow(/at most 90d/);
    await expect(createReportLink(deps, { listId: 999, format: 'json', expiresInMs: 1000, baseUrl: 'http://x' })).rejects.toThrow(/does not exist/);
  });
});

describe('REPORT_LINK_SECRET', () => {
  it('is optional, and refused when shorter than 32 characters, naming the variable', () => {
    expect(parseConfig({}).reportLinkSecret).toBeUndefined();
    expect(parseConfig({ REPORT_LINK_SECRET: SECRET }).reportLinkSecret).toBe(SECRET);
    expect(() => parseConfig({ REPORT_LINK_SECRET: 'short' })).toThrow(expect.objectContaining({ problems: [{ variable: 'REPORT_LINK_SECRET', problem: expect.stringContaining('at least 32') }] }));
  });
});

describe('recording files', () => {
  it('resolves only regular files inside RECORDINGS_DIR, following symlinks', () => {
    const root = tempDir('nps-rec-root-');
    const outside = tempDir('nps-rec-outside-');
    mkdirSync(path.join(root, 'list-1'));
    writeFileSync(path.join(root, 'list-1', 'call-1.mp3'), 'abc');
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'list-1', 'link.mp3'));
    expect(resolveRecording(root, 'list-1/call-1.mp3')).toMatchObject({ bytes: 3 });
    expect(resolveRecording(root, `../${path.basename(outside)}/secret.txt`)).toBeNull();
    expect(resolveRecording(root, path.join(outside, 'secret.txt'))).toBeNull();
    expect(resolveRecording(root, 'list-1/link.mp3')).toBeNull();
    expect(resolveRecording(root, 'list-1')).toBeNull();
    expect(resolveRecording(root, 'list-1/none.mp3')).toBeNull();
  });
});
