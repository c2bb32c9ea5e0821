import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` beside the caller (`from` is the caller's
 * import.meta.url). Built code loads `name.js`. When the sources run as TypeScript (tsx, Jest),
 * Node 20 does not pass loader hooks to a worker's entry file, so the worker registers tsx itself
 * before importing `name.ts`.
 */
export function startModuleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const entry = JSON.stringify(new URL(`./${name}.ts`, from).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`, { ...options, eval: true });
}
