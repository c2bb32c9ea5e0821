import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { downloadRecording, MAX_RECORDING_BYTES, type RecordingHostPolicy } from '../../src/telephony/index.js';

/** A recording server on loopback whose answer each test picks by path. */
describe('downloadRecording', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  const seen: { path: string; authorization: string | undefined }[] = [];
  const held: http.IncomingMessage[] = [];
  let heldWaiter: (() => void) | undefined;
  const audio = Buffer.from('ID3 fake mp3 bytes '.repeat(500));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'recordings-'));
    server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      switch (req.url) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(audio);
          return;
        case '/wav':
          res.writeHead(200, { 'content-type': 'audio/wav; charset=binary' }).end(audio);
          return;
        case '/missing':
          res.writeHead(404).end('not yet');
          return;
        case '/broken':
          res.writeHead(503).end();
          return;
        case '/forbidden':
          res.writeHead(403).end();
          return;
        case '/moved':
          res.writeHead(302, { location: `${base}/ok` }).end();
          return;
        case '/truncated':
          res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(audio.length) });
          res.write(audio.subarray(0, 100), () => res.destroy());
          return;
        case '/huge':
          res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(MAX_RECORDING_BYTES + 1) });
          res.write(audio);
          return;
        case '/silent':
          return; // never answers
        case '/held':
          held.push(req);
          heldWaiter?.();
          return; // never answers either; the test counts them
        default:
          res.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const policy = (): RecordingHostPolicy => ({ apiHost: base, extraHosts: [] });
  const download = (url: string, baseName: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    downloadRecording({ url, authorization: () => Promise.resolve('Bearer app-jwt'), policy: policy(), directory: path.join(dir, 'list-1'), baseName, ...extra });

  it('saves the file under its final name, with the application JWT', async () => {
    const result = await download(`${base}/ok`, 'call-1');
    expect(result).toEqual({ ok: true, file: path.join(dir, 'list-1', 'call-1.mp3'), bytes: audio.length, contentType: 'audio/mpeg' });
    expect(readFileSync(path.join(dir, 'list-1', 'call-1.mp3')).equals(audio)).toBe(true);
    expect(seen.at(-1)).toEqual({ path: '/ok', authorization: 'Bearer app-jwt' });
  });

  it('names the file by the content type', async () => {
    const result = await download(`${base}/wav`, 'call-2');
    expect(result).toMatchObject({ ok: true, file: path.join(dir, 'list-1', 'call-2.wav'), contentType: 'audio/wav' });
  });

  it('reports 404, 5xx and 403 as data: the first two are worth retrying', async () => {
    expect(await download(`${base}/missing`, 'call-3')).toEqual({ ok: false, retryable: true, reason: 'download answered HTTP 404' });
    expect(await download(`${base}/broken`, 'call-3')).toEqual({ ok: false, retryable: true, reason: 'download answered HTTP 503' });
    expect(await download(`${base}/forbidden`, 'call-3')).toEqual({ ok: false, retryable: false, reason: 'download answered HTTP 403' });
    expect(existsSync(path.join(dir, 'list-1', 'call-3.mp3'))).toBe(false);
  });

  it('does not follow a redirect, even to an allowed host', async () => {
    const before = seen.length;
    expect(await download(`${base}/moved`, 'call-4')).toEqual({ ok: false, retryable: false, reason: 'download answered HTTP 302 (redirects are not followed)' });
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/moved']);
  });

  it('never sends the JWT to a host outside the allowlist', async () => {
    const before = seen.length;
    const result = await downloadRecording({
      url: `${base}/ok`,
      authorization: () => Promise.resolve('Bearer app-jwt'),
      policy: { apiHost: 'https://api.nexmo.com', extraHosts: [] },
      directory: dir,
      baseName: 'call-5',
    });
    expect(result).toEqual({ ok: false, retryable: false, reason: `recording host not allowed: ${new URL(base).host}` });
    expect(seen.length).toBe(before);
  });

  it('leaves no file, not even a partial one, when the body is cut short', async () => {
    const result = await download(`${base}/truncated`, 'call-6');
    expect(result).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/^download interrupted: /) });
    expect(readdirSync(path.join(dir, 'list-1')).filter((f) => f.startsWith('call-6'))).toEqual([]);
  });

  it('refuses a recording larger than any comment, for good', async () => {
    expect(await download(`${base}/huge`, 'call-8')).toEqual({
      ok: false,
      retryable: false,
      reason: `download interrupted: the recording is ${MAX_RECORDING_BYTES + 1} bytes, more than the ${MAX_RECORDING_BYTES} accepted`,
    });
    expect(readdirSync(path.join(dir, 'list-1')).filter((f) => f.startsWith('call-8'))).toEqual([]);
  });

  it('gives up on a server that does not answer, and on an abort, as retryable', async () => {
    expect(await download(`${base}/silent`, 'call-7', { timeoutMs: 50 })).toEqual({ ok: false, retryable: true, reason: 'download failed: no complete answer within 50 ms' });
    const abort = new AbortController();
    const aborted = download(`${base}/silent`, 'call-7', { signal: abort.signal });
    abort.abort();
    expect(await aborted).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/^download failed: .*abort/i) });
  });

  it('adds one abort listener to a shutdown signal however many downloads share it (no MaxListenersExceededWarning)', async () => {
    // The demo warned: 11 downloads at once each added their own listener to the one shutdown signal.
    const shutdown = new AbortController();
    const count = 12;
    const arrived = new Promise<void>((resolve) => {
      heldWaiter = () => {
        if (held.length >= count) resolve();
      };
    });
    const downloads = Array.from({ length: count }, (_, i) => download(`${base}/held`, `call-held-${i}`, { signal: shutdown.signal }));
    await arrived;
    expect(getEventListeners(shutdown.signal, 'abort').length).toBeLessThanOrEqual(1);
    shutdown.abort();
    const results = await Promise.all(downloads);
    expect(results.every((r) => !r.ok && r.retryable && /abort/i.test(r.reason))).toBe(true);
  });
});
