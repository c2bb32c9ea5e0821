import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workerFetcher } from '../../src/dialer/index.js';

/** The download worker against a loopback recording server: what the dialer runtime uses. */
describe('the recording download worker', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  const seen: (string | undefined)[] = [];
  const audio = Buffer.from('ID3 comment '.repeat(300));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fetcher-'));
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === '/silent') return;
      if (req.url === '/missing') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(audio);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (url: string, baseName: string, signal?: AbortSignal) => ({
    url,
    authorization: () => Promise.resolve('Bearer minted-here'),
    policy: { apiHost: base, extraHosts: [] },
    directory: path.join(dir, 'list-1'),
    baseName,
    ...(signal ? { signal } : {}),
  });

  it('downloads in the worker with the JWT minted here, and reports failures as data', async () => {
    const fetcher = workerFetcher();
    try {
      const result = await fetcher.fetch(options(`${base}/ok`, 'call-1'));
      expect(result).toEqual({ ok: true, file: path.join(dir, 'list-1', 'call-1.mp3'), bytes: audio.length, contentType: 'audio/mpeg' });
      expect(readFileSync(path.join(dir, 'list-1', 'call-1.mp3')).equals(audio)).toBe(true);
      expect(seen.at(-1)).toBe('Bearer minted-here');
      expect(await fetcher.fetch(options(`${base}/missing`, 'call-2'))).toEqual({ ok: false, retryable: true, reason: 'download answered HTTP 404' });
      expect(await fetcher.fetch(options('http://elsewhere.example/rec', 'call-3'))).toEqual({ ok: false, retryable: false, reason: 'recording host not allowed: elsewhere.example' });
    } finally {
      await fetcher.close();
    }
  });

  it('answers an aborted download and, on close, every pending one, as retryable', async () => {
    const fetcher = workerFetcher();
    const abort = new AbortController();
    const aborted = fetcher.fetch(options(`${base}/silent`, 'call-4', abort.signal));
    const pending = fetcher.fetch(options(`${base}/silent`, 'call-5'));
    abort.abort();
    expect(await aborted).toEqual({ ok: false, retryable: true, reason: 'download aborted' });
    await fetcher.close();
    expect(await pending).toEqual({ ok: false, retryable: true, reason: 'the download worker was closed' });
    expect(await fetcher.fetch(options(`${base}/ok`, 'call-6'))).toEqual({ ok: false, retryable: true, reason: 'the download worker was closed' });
  });
});
