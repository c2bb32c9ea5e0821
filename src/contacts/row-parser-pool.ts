import { Worker } from 'node:worker_threads';
import { parseBatch, type ParsedBatch, type RowParserConfig } from './row-parser.js';
import type { RowWorkerRequest } from './row-worker.js';

// The worker's live data is small (the phone metadata and a few batches); a bounded heap makes V8
// collect garbage early instead of letting the import's peak RSS grow.
const WORKER_LIMITS = { maxOldGenerationSizeMb: 64 };

export interface RowParser {
  /** Parses a batch; results resolve in the order batches were submitted. */
  parse(fields: string[], rows: number[]): Promise<ParsedBatch>;
  close(): Promise<void>;
}

export function inlineRowParser(config: RowParserConfig): RowParser {
  return {
    parse: (fields, rows) => Promise.resolve(parseBatch(config, fields, rows)),
    close: () => Promise.resolve(),
  };
}

/**
 * Runs parseBatch in one worker thread. Built code loads row-worker.js. When the sources run as
 * TypeScript (tsx, Jest), Node 20 does not pass loader hooks to a worker's entry file, so the
 * worker registers tsx itself before importing row-worker.ts.
 */
export function workerRowParser(config: RowParserConfig): RowParser {
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./row-worker.ts', import.meta.url).href)}); });`,
        { eval: true, resourceLimits: WORKER_LIMITS },
      )
    : new Worker(new URL('./row-worker.js', import.meta.url), { resourceLimits: WORKER_LIMITS });
  const pending = new Map<number, { resolve: (b: ParsedBatch) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  worker.on('message', (message: ParsedBatch & { id: number }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    waiter?.resolve(message);
  });
  const fail = (error: Error) => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (pending.size > 0) fail(new Error(`import worker exited with code ${code}`));
  });
  worker.postMessage({ type: 'init', config } satisfies RowWorkerRequest);
  return {
    parse(fields, rows) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      const result = new Promise<ParsedBatch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'batch', id, fields, rows } satisfies RowWorkerRequest);
      });
      // The caller awaits results in order; a failure while earlier batches are awaited must not
      // surface as an unhandled rejection in the meantime.
      result.catch(() => undefined);
      return result;
    },
    async close() {
      await worker.terminate();
    },
  };
}
