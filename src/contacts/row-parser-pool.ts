import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../threads/index.js';
import type { CsvChunk } from './csv-source.js';
import type { ParsedChunk, RowParserConfig } from './row-parser.js';
import type { RowWorkerRequest } from './row-worker.js';

/**
 * A worker's live data is small: libphonenumber's metadata, one 8 KiB slice of records being
 * validated and one chunk's output. Bounded generations keep its RSS near that (measured: ~10 MB
 * less per worker than 48/12 MB, for ~5% more time in scavenges: libphonenumber allocates ~9 KB of
 * short-lived garbage per number).
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 6 };

/** A worker's result also returns the chunk's buffer (see CsvSource.recycle). */
export type WorkerResult = ParsedChunk & { input?: ArrayBuffer };

export interface ChunkWorkers {
  /** Sends the configuration (once the header is known). */
  configure(config: RowParserConfig): void;
  /** Parses a chunk in the least busy worker; its bytes move there (and come back with the result). */
  parse(chunk: CsvChunk): Promise<WorkerResult>;
  /** Hands buffers over, to be freed there (see ContactWriterOptions.onWritten). */
  release(buffers: ArrayBuffer[]): void;
  close(): Promise<void>;
}

/**
 * Runs parseChunk in `count` worker threads. They start at once (loading libphonenumber's metadata
 * takes a while) and get their configuration once the header has been read (row-worker.ts).
 */
export function workerChunkParser(count: number): ChunkWorkers {
  const workers = Array.from({ length: count }, () => ({ thread: startWorker(), queued: 0 }));
  const pending = new Map<number, { resolve: (parsed: WorkerResult) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let nextRelease = 0;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  for (const worker of workers) {
    worker.thread.on('message', (message: WorkerResult & { id: number }) => {
      worker.queued--;
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve(message);
    });
    worker.thread.on('error', fail);
    worker.thread.on('exit', (code) => {
      if (pending.size > 0) fail(new Error(`import worker exited with code ${code}`));
    });
  }
  return {
    configure(config) {
      for (const worker of workers) worker.thread.postMessage({ type: 'init', config } satisfies RowWorkerRequest);
    },
    release(buffers) {
      // Moved, not copied: this thread no longer holds them.
      workers[nextRelease++ % workers.length]!.thread.postMessage({ type: 'release' } satisfies RowWorkerRequest, buffers);
    },
    parse(chunk) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      const worker = workers.reduce((a, b) => (b.queued < a.queued ? b : a));
      const result = new Promise<WorkerResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.queued++;
        worker.thread.postMessage({ type: 'chunk', id, chunk } satisfies RowWorkerRequest, [chunk.bytes.buffer as ArrayBuffer]);
      });
      // The caller awaits results in order; a failure while earlier chunks are awaited must not
      // surface as an unhandled rejection in the meantime.
      result.catch(() => undefined);
      return result;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.thread.terminate()));
    },
  };
}

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'row-worker', { resourceLimits: WORKER_LIMITS });
}
