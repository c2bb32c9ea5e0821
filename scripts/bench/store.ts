/**
 * The cost of an asynchronous store port on SQLite (docs/adr/0013-store-ports.md): a webhook's
 * unit of work (append the callback to call_events, move the call forward, conditional) written
 * the way the app writes it today (a synchronous better-sqlite3 transaction) and through an
 * asynchronous port (the shape a PostgreSQL adapter needs: `await` on every statement, the unit of
 * work begun and committed explicitly, units serialized on the one connection by a mutex), on the
 * same database file, in the same process, with many units in flight at once as webhooks arrive.
 *
 *   npx tsx scripts/bench/store.ts [--units N]
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { openDatabase, type AppDatabase } from '../../src/db/index.js';
import { argValue, isFull, printFigures, type Figure } from './lib.js';

const units = Number(argValue('--units') ?? (isFull ? 200_000 : 40_000));
const IN_FLIGHT = 64;

function seed(database: AppDatabase, calls: number): void {
  const { sqlite } = database;
  const listId = (sqlite.prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES ('bench', '{}', '{}', 'ready', 0) RETURNING id`).get() as { id: number }).id;
  const contact = sqlite.prepare(`INSERT INTO contacts (list_id, row_number, phone_e164, status, attempts, updated_at) VALUES (?, ?, ?, 'dialing', 1, 0) RETURNING id`);
  const call = sqlite.prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, created_at) VALUES (?, ?, 1, ?, 'started', 0)`);
  sqlite.transaction(() => {
    for (let i = 0; i < calls; i++) {
      const id = (contact.get(listId, i + 2, `+48500${String(i).padStart(6, '0')}`) as { id: number }).id;
      call.run(id, listId, `ref-${i}`);
    }
  })();
}

const EVENT_SQL = `INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, 'status', 'ringing', ?, ?, '{"status":"ringing"}')`;
const ADVANCE_SQL = `UPDATE calls SET state = 'ringing' WHERE id = ? AND state IN ('creating', 'started')`;

/** Today's shape: one synchronous transaction per unit. */
function syncUnits(database: AppDatabase, calls: number): number {
  const event = database.sqlite.prepare(EVENT_SQL);
  const advance = database.sqlite.prepare(ADVANCE_SQL);
  const unit = database.sqlite.transaction((callId: number, at: number) => {
    event.run(callId, at, at);
    advance.run(callId);
  });
  const started = performance.now();
  for (let i = 0; i < units; i++) unit.immediate(1 + (i % calls), i);
  return performance.now() - started;
}

/** The asynchronous port: every statement awaited, BEGIN/COMMIT explicit, one unit at a time on the connection. */
async function asyncUnits(database: AppDatabase, calls: number): Promise<number> {
  const { sqlite } = database;
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const rollback = sqlite.prepare('ROLLBACK');
  const event = sqlite.prepare(EVENT_SQL);
  const advance = sqlite.prepare(ADVANCE_SQL);
  const store = {
    recordEvent: (callId: number, at: number) => Promise.resolve(event.run(callId, at, at).changes),
    advance: (callId: number) => Promise.resolve(advance.run(callId).changes),
  };
  let tail: Promise<unknown> = Promise.resolve();
  const transaction = <T>(work: (tx: typeof store) => Promise<T>): Promise<T> => {
    const result = tail.then(async () => {
      begin.run();
      try {
        const value = await work(store);
        commit.run();
        return value;
      } catch (error) {
        rollback.run();
        throw error;
      }
    });
    tail = result.catch(() => undefined);
    return result;
  };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < units) {
      const i = next++;
      await transaction(async (tx) => {
        await tx.recordEvent(1 + (i % calls), i);
        await tx.advance(1 + (i % calls));
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return performance.now() - started;
}

export async function benchStore(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nps-bench-store-'));
  try {
    const calls = 5000;
    const results: { sync: number; async: number }[] = [];
    for (let round = 0; round < 4; round++) {
      // Alternating which side goes first, each on a fresh database file; the best round of each is kept.
      const measureSync = () => {
        const database = openDatabase({ path: path.join(dir, `sync-${round}.db`) });
        seed(database, calls);
        const ms = syncUnits(database, calls);
        database.close();
        return ms;
      };
      const measureAsync = async () => {
        const database = openDatabase({ path: path.join(dir, `async-${round}.db`) });
        seed(database, calls);
        const ms = await asyncUnits(database, calls);
        database.close();
        return ms;
      };
      if (round % 2 === 0) {
        const sync = measureSync();
        results.push({ sync, async: await measureAsync() });
      } else {
        const asyncMs = await measureAsync();
        results.push({ sync: measureSync(), async: asyncMs });
      }
    }
    const sync = Math.min(...results.map((r) => r.sync));
    const asyncMs = Math.min(...results.map((r) => r.async));
    const perSecond = (ms: number) => Math.round(units / (ms / 1000));
    return [
      {
        bench: 'store',
        metric: `webhook units of work, async port (${IN_FLIGHT} in flight)`,
        value: perSecond(asyncMs),
        unit: 'units/s',
        baseline: perSecond(sync),
        baselineLabel: 'sync transaction',
        ratio: perSecond(asyncMs) / perSecond(sync),
      },
      { bench: 'store', metric: 'time per unit, async port', value: Math.round((asyncMs * 1000) / units) / 1000, unit: 'ms', baseline: Math.round((sync * 1000) / units) / 1000, baselineLabel: 'sync transaction' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printFigures(await benchStore());
