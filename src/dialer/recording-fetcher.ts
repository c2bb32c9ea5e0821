import type { Worker } from 'node:worker_threads';
import { downloadRecording, type DownloadRecordingOptions, type DownloadResult } from '../telephony/index.js';
import { startModuleWorker } from '../threads/index.js';
import type { DownloadWorkerReply, DownloadWorkerRequest } from './download-worker.js';

/** Fetches one recording to a file (see downloadRecording). */
export type RecordingFetch = (options: DownloadRecordingOptions) => Promise<DownloadResult>;

export interface RecordingFetcher {
  fetch: RecordingFetch;
  close(): Promise<void>;
}

/** Downloads in this thread. */
export const inThreadFetcher: RecordingFetcher = { fetch: downloadRecording, close: () => Promise.resolve() };

/**
 * Downloads in a worker thread: at 200 calls/s, fetching most answered calls' comments and writing
 * them to disk was ~8 % of the thread that answers the webhooks. The JWT is minted here; an aborted
 * download is answered at once as retryable (the worker may still finish writing the file, which
 * the next attempt overwrites), and closing answers every pending one so.
 */
export function workerFetcher(): RecordingFetcher {
  const worker: Worker = startModuleWorker(import.meta.url, 'download-worker');
  const pending = new Map<number, (result: DownloadResult) => void>();
  let nextId = 0;
  let ended: string | undefined;
  const settleAll = (reason: string) => {
    ended ??= reason;
    for (const settle of pending.values()) settle({ ok: false, retryable: true, reason });
    pending.clear();
  };
  // Only downloads in progress keep the process alive, not an idle worker.
  worker.unref();
  const track = () => (pending.size > 0 ? worker.ref() : worker.unref());
  worker.on('message', (reply: DownloadWorkerReply) => {
    pending.get(reply.id)?.(reply.result);
    pending.delete(reply.id);
    track();
  });
  worker.on('error', (error) => settleAll(`download worker failed: ${error.message}`));
  worker.on('exit', (code) => settleAll(`download worker exited with code ${code}`));
  return {
    async fetch(options) {
      const authorization = await options.authorization();
      if (ended) return { ok: false, retryable: true, reason: ended };
      if (options.signal?.aborted) return { ok: false, retryable: true, reason: 'download aborted' };
      const id = nextId++;
      return new Promise<DownloadResult>((resolve) => {
        const onAbort = () => {
          pending.delete(id);
          track();
          resolve({ ok: false, retryable: true, reason: 'download aborted' });
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, (result) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(result);
        });
        const request: DownloadWorkerRequest = { id, url: options.url, authorization, policy: options.policy, directory: options.directory, baseName: options.baseName };
        worker.postMessage(request);
        track();
      });
    },
    async close() {
      settleAll('the download worker was closed');
      await worker.terminate();
    },
  };
}
