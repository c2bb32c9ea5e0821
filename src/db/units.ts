import type { AppDatabase } from './index.js';

/**
 * The unit of work of an asynchronous store port (docs/adr/0013-store-ports.md): `run` gives
 * `work` the stores of one transaction and settles once it committed — or rejects, with nothing of
 * it kept. `stores` are the same stores outside any transaction, for a single read or a single
 * write that needs no company.
 *
 * A unit does store work only: no network, no timers, no side effects that other code could
 * observe before the commit (wake a waiter, queue a job) — those follow once `run` resolved.
 */
export interface UnitOfWork<Tx> {
  readonly stores: Tx;
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Units per transaction at most: bounds how long the first of a round waits for its answer. */
const MAX_BATCH = 32;

interface Pending {
  work: (tx: never) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The unit of work on SQLite: one connection, units serialized, and group commit. The units
 * queued while the event loop handles one round of I/O run right after that round (setImmediate),
 * in `BEGIN IMMEDIATE` … `COMMIT` transactions of at most 32, each unit in its own savepoint; the
 * callers' promises settle once the round's transactions ended. A failing unit rolls back to its
 * savepoint and rejects alone; the others commit.
 *
 * Why this is safe on one connection: a batch starts from a setImmediate callback, when no other
 * code's continuation is queued, and the SQLite stores answer with promises that are already
 * settled, so a batch runs to its COMMIT as one chain of microtasks that no timer, I/O callback or
 * other request can enter. Callers are resolved after the COMMIT, and the next batch waits for the
 * next round, so what their continuations do never lands inside another batch's transaction.
 *
 * Why group commit: a commit writes every page the transaction touched to the WAL (~60 µs here),
 * and at 200 calls/s the webhooks made ~1,400 commits a second, most of them rewriting the same
 * few pages. A webhook still answers only after its changes are durable, one round later than alone.
 *
 * BEGIN IMMEDIATE takes the write lock before the first read: another process's writer (an
 * import) committing between a unit's read and its write cannot make it fail with
 * SQLITE_BUSY_SNAPSHOT, which no busy timeout retries.
 */
export class SqliteUnits<Tx> implements UnitOfWork<Tx> {
  readonly stores: Tx;
  readonly #database: AppDatabase;
  readonly #sql: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback', { run(): unknown }>;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(database: AppDatabase, stores: Tx) {
    this.#database = database;
    this.stores = stores;
    const s = database.sqlite;
    this.#sql = {
      begin: s.prepare('BEGIN IMMEDIATE'),
      savepoint: s.prepare('SAVEPOINT unit'),
      release: s.prepare('RELEASE unit'),
      rollbackTo: s.prepare('ROLLBACK TO unit'),
      commit: s.prepare('COMMIT'),
      rollback: s.prepare('ROLLBACK'),
    };
  }

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work: work as (tx: never) => Promise<unknown>, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  /**
   * Runs every unit queued in the round, in transactions of at most MAX_BATCH, one after another
   * in the same chain; every caller is settled once the round's last transaction ended, so that
   * no caller's continuation (which may write: the dialer's claims) runs while a batch is open.
   */
  async #flush(): Promise<void> {
    const round = this.#queue;
    this.#queue = [];
    if (round.length === 0) return;
    const settle: (() => void)[] = [];
    // Set when the event loop turned while the round ran: a unit awaited something other than its
    // stores, and other code may have written inside a transaction of it. A bug, made loud.
    let yielded = false;
    const probe = setImmediate(() => (yielded = true));
    for (let start = 0; start < round.length; start += MAX_BATCH) {
      await this.#transaction(round.slice(start, start + MAX_BATCH), settle, () => yielded);
    }
    clearImmediate(probe);
    for (const done of settle) done();
  }

  /** One transaction of units, each in its savepoint; what settles each caller goes to `settle`. */
  async #transaction(batch: Pending[], settle: (() => void)[], yielded: () => boolean): Promise<void> {
    const sql = this.#sql;
    try {
      sql.begin.run();
    } catch (error) {
      for (const unit of batch) settle.push(() => unit.reject(error));
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const unit of batch) {
      sql.savepoint.run();
      try {
        const value = await unit.work(this.stores as never);
        sql.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        sql.rollbackTo.run();
        sql.release.run();
        outcomes.push({ ok: false, value: error });
      }
    }
    try {
      if (yielded()) throw new Error('a unit of work awaited something other than its stores (network, timers): the batch was rolled back');
      sql.commit.run();
    } catch (error) {
      // The commit failed (disk full, I/O error) or must not happen: nothing of the batch is stored.
      if (this.#database.sqlite.inTransaction) sql.rollback.run();
      for (const unit of batch) settle.push(() => unit.reject(error));
      return;
    }
    batch.forEach((unit, i) => settle.push(() => (outcomes[i]!.ok ? unit.resolve(outcomes[i]!.value) : unit.reject(outcomes[i]!.value))));
  }
}

/**
 * The SqliteUnits of one kind (`cache`: one per kind of unit) on a connection, its stores built on
 * first use: one per connection, so that its batches are the connection's only transactions while
 * they run. Units of another kind on the same connection never overlap them either: every batch
 * runs from BEGIN to COMMIT within one turn of the event loop.
 */
export function sqliteUnitsOnce<Tx>(cache: WeakMap<AppDatabase, UnitOfWork<Tx>>, database: AppDatabase, stores: () => Tx): UnitOfWork<Tx> {
  let units = cache.get(database);
  if (!units) cache.set(database, (units = new SqliteUnits(database, stores())));
  return units;
}
