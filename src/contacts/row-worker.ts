/**
 * Worker-thread entry for the importer: phone validation is the most expensive step of an import,
 * so it runs here, beside the main thread's CSV parsing and SQLite writes.
 */
import { parentPort } from 'node:worker_threads';
import { parseBatch, type RowParserConfig } from './row-parser.js';

export type RowWorkerRequest =
  | { type: 'init'; config: RowParserConfig }
  | { type: 'batch'; id: number; fields: string[]; rows: number[] };

let config: RowParserConfig | undefined;

parentPort?.on('message', (message: RowWorkerRequest) => {
  if (message.type === 'init') {
    config = message.config;
    return;
  }
  if (!config) throw new Error('row worker used before init');
  parentPort!.postMessage({ id: message.id, ...parseBatch(config, message.fields, message.rows) });
});
