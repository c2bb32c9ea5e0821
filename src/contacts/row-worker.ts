/**
 * Worker-thread entry for the importer: CSV parsing and phone validation are most of an import's
 * CPU, so they run here, several chunks at a time, beside the main thread's SQLite writes.
 */
import { parentPort } from 'node:worker_threads';
import type { CsvChunk } from './csv-source.js';
import { parseChunk, type RowParserConfig } from './row-parser.js';

export type RowWorkerRequest =
  | { type: 'init'; config: RowParserConfig }
  | { type: 'chunk'; id: number; chunk: CsvChunk }
  /** Buffers the importer has written: they die here, at the next young-generation collection. */
  | { type: 'release' };

let config: RowParserConfig | undefined;

parentPort?.on('message', (message: RowWorkerRequest) => {
  if (message.type === 'init') {
    config = message.config;
    return;
  }
  if (message.type === 'release') return;
  if (!config) throw new Error('row worker used before init');
  const parsed = parseChunk(config, message.chunk);
  // The rows' buffers are moved, not copied, and so is the chunk's, to be read into again.
  const input = message.chunk.bytes.buffer as ArrayBuffer;
  const buffers = parsed.ranges.flatMap((range) => [range.bytes.buffer, range.rows.buffer] as ArrayBuffer[]);
  parentPort!.postMessage({ id: message.id, ...parsed, input }, [...buffers, input]);
});
