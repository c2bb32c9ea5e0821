import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import path from 'node:path';

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
 */
export async function downloadRecording(options: DownloadRecordingOptions): Promise<DownloadResult> {
  if (!isAllowedRecordingUrl(options.url, options.policy)) {
    return { ok: false, retryable: false, reason: `recording host not allowed: ${safeHost(options.url)}` };
  }
  let response: Response;
  try {
    response = await fetch(options.url, {
      headers: { Authorization: await options.authorization() },
      redirect: 'error',
      signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)]) : AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    return { ok: false, retryable: true, reason: `download failed: ${(error as Error).message}` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, retryable: response.status === 404 || response.status === 429 || response.status >= 500, reason: `download answered HTTP ${response.status}` };
  }
  const contentType = (response.headers.get('content-type') ?? 'audio/mpeg').split(';')[0]!.trim().toLowerCase();
  const extension = EXTENSIONS[contentType] ?? 'bin';
  const file = path.join(options.directory, `${options.baseName}.${extension}`);
  const temporary = `${file}.part`;
  // Streamed to disk with async I/O: a webhook server must not block on file writes.
  let bytes = 0;
  try {
    await ensureDirectory(options.directory);
    const body = response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]);
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await pipeline(body, createWriteStream(temporary));
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    return { ok: false, retryable: true, reason: `download interrupted: ${(error as Error).message}` };
  }
  return { ok: true, file, bytes, contentType };
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
