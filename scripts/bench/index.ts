/**
 * `npm run bench`: every benchmark, one table. Each figure is measured beside a baseline from the
 * same run (absolute times on a shared machine are noisy; ratios much less so).
 *
 *   npm run bench            # sizes that finish in a few minutes
 *   npm run bench -- --full  # 1,000,000-row import, 10,000-contact dial runs
 *
 * With BENCH_POSTGRES_URL set, import and report are measured on PostgreSQL too, and `cluster`
 * (nodes behind HAProxy on PostgreSQL, scripts/bench/cluster.ts) runs; without it, each says in one
 * line what it skipped.
 */
import os from 'node:os';
import { benchCluster } from './cluster.js';
import { benchDial } from './dial.js';
import { benchImport } from './import.js';
import { printFigures, type Figure } from './lib.js';
import { benchReport } from './report.js';
import { benchStore } from './store.js';
import { benchThemes } from './themes.js';
import { benchWebhooks } from './webhooks.js';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;
const want = (name: string) => !only || only.includes(name);

console.log(`nps-dialer benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
const figures: Figure[] = [];
const started = performance.now();
if (want('import')) figures.push(...(await benchImport()));
if (want('report')) figures.push(...benchReport());
if (want('webhooks')) figures.push(...(await benchWebhooks()));
if (want('dial')) figures.push(...(await benchDial()));
if (want('themes')) figures.push(...benchThemes());
if (want('store')) figures.push(...(await benchStore()));
if (want('cluster')) figures.push(...(await benchCluster()));
printFigures(figures);
console.log(`(${Math.round((performance.now() - started) / 1000)} s)`);
