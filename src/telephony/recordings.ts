import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { onAbort } from '../clock/index.js';

/** Hosts every download may use: Vonage's own API hosts, over https only. */
const VONAGE_DOMAINS = ['vonage.com', 'nexmo.com'];

export interface RecordingHostPolicy {
  /** The configured VONAGE_API_HOST (its host:port is allowed with its own scheme). */
  apiHost: string;
  /** Extra host[:port] entries from RECORDING_DOWNLOAD_HOSTS. */
  extraHosts: string[];
}

/**
 * The downloader's allowlist. The SDK's downloadRecording only accepts vonage.com and nexmo.com,
 * which rules out the sandbox; this check keeps the same protection against being sent to fetch an
 * arbitrary URL with our JWT (SSRF, token leak) while also accepting the configured API host.
 */
export function isAllowedRecordingUrl(url: string, policy: RecordingHostPolicy): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  const hostname = parsed.hostname.toLowerCase();
  if (parsed.protocol === 'https:' && VONAGE_DOMAINS.some((d) => hostname === d || hostname.endsWith(`.${d}`))) return true;
  const api = new URL(policy.apiHost);
  if (parsed.protocol === api.protocol && parsed.host.toLowerCase() === api.host.toLowerCase()) return true;
  return policy.extraHosts.includes(parsed.host.toLowerCase()) && (parsed.protocol === 'https:' || parsed.protocol === 'http:');
}

export type DownloadResult =
  | { ok: true; file: string; bytes: number; contentType: string }
  | { ok: false; retryable: boolean; reason: string };

export interface DownloadRecordingOptions {
  url: string;
  /** The `Authorization` header: a Bearer JWT of the application (see ReusingAuth). */
  authorization: () => Promise<string>;
  policy: RecordingHostPolicy;
  /** Directory the file goes to, and its name without extension. */
  directory: string;
  baseName: string;
  timeoutMs?: number;
  /** Aborts the download (shutdown). */
  signal?: AbortSignal;
}

const EXTENSIONS: Record<string, string> = { 'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/ogg': 'ogg' };

/**
 * Downloads a recording with an application JWT. The file is written under a
 * temporary name and renamed, so a crash never leaves a truncated file under the final name.
 * Failures are data: 404 and 5xx are retryable (recordings appear some time after the webhook).
 * Redirects are not followed: the allowlist holds for the host that serves the bytes.
 *
 * node:http with its keep-alive global agents rather than fetch: most answered calls leave a
 * comment, and fetch's streams and abort signals cost a measurable share of the dialer's one
 * thread at 200 calls/s (docs/performance.md).
 */
export async function downloadRecording(options: DownloadRecordingOptions): Promise<DownloadResult> {
  if (!isAllowedRecordingUrl(options.url, options.policy)) {
    return { ok: false, retryable: false, reason: `recording host not allowed: ${safeHost(options.url)}` };
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const target = new URL(options.url);
  let request: http.ClientRequest | undefined;
  const timer = setTimeout(() => request?.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
  let unlisten: (() => void) | undefined;
  try {
    let response: http.IncomingMessage;
    try {
      const headers = { authorization: await options.authorization() };
      const sent = (target.protocol === 'https:' ? https : http).request(target, { headers });
      request = sent;
      // The signal is the process's shutdown, shared by every download at once: through onAbort
      // they share one listener on it. Given to http.request, each added its own, and more than
      // ten downloads in flight warned MaxListenersExceeded (the demo did).
      const { signal } = options;
      if (signal) unlisten = onAbort(signal, () => sent.destroy(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: signal.reason as unknown })));
      response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        sent.once('response', resolve);
        sent.once('error', reject);
        sent.end();
      });
    } catch (error) {
      return { ok: false, retryable: true, reason: `download failed: ${(error as Error).message}` };
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      response.resume();
      const retryable = status === 404 || status === 429 || status >= 500;
      return { ok: false, retryable, reason: `download answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` };
    }
    const contentType = (response.headers['content-type'] ?? 'audio/mpeg').split(';')[0]!.trim().toLowerCase();
    const extension = EXTENSIONS[contentType] ?? 'bin';
    const file = path.join(options.directory, `${options.baseName}.${extension}`);
    const temporary = `${file}.part`;
    let body: Buffer;
    try {
      body = await readBody(response);
    } catch (error) {
      return { ok: false, retryable: !(error instanceof TooLarge), reason: `download interrupted: ${(error as Error).message}` };
    }
    // One asynchronous write of the whole file (a comment is at most a minute of audio): a write
    // stream and pipeline cost twice the CPU per file on the webhook thread.
    try {
      await ensureDirectory(options.directory);
      await writeFile(temporary, body);
      await rename(temporary, file);
      return { ok: true, file, bytes: body.length, contentType };
    } catch (error) {
      await rm(temporary, { force: true });
      return { ok: false, retryable: true, reason: `recording not saved: ${(error as Error).message}` };
    }
  } finally {
    clearTimeout(timer);
    unlisten?.();
  }
}

/** Far above a comment's minute of audio (about 0.5 MB as MP3, 2 MB as WAV). */
export const MAX_RECORDING_BYTES = 32 * 1024 * 1024;

class TooLarge extends Error {}

function readBody(response: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > MAX_RECORDING_BYTES) {
      response.destroy();
      reject(new TooLarge(`the recording is ${declared} bytes, more than the ${MAX_RECORDING_BYTES} accepted`));
      return;
    }
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_RECORDING_BYTES) {
        response.destroy();
        reject(new TooLarge(`the recording is more than the ${MAX_RECORDING_BYTES} bytes accepted`));
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => resolve(Buffer.concat(chunks, bytes)));
    response.once('error', reject);
    // A body cut short: the socket closed before 'end'.
    response.once('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the whole recording arrived'));
    });
  });
}

const madeDirectories = new Set<string>();
async function ensureDirectory(directory: string): Promise<void> {
  if (madeDirectories.has(directory)) return;
  await mkdir(directory, { recursive: true });
  madeDirectories.add(directory);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
