import type pg from 'pg';
import type { UnitOfWork } from '../units.js';
import { transaction, type Queryable } from './query.js';

/**
 * The unit of work on PostgreSQL (docs/adr/0014-cluster-on-postgresql.md): each unit is one
 * transaction on a client of the pool, at READ COMMITTED, its stores built on that client. Units run
 * concurrently, on this node and on the others; what keeps them correct is what kept SQLite's: every
 * write is conditional (`WHERE state <> 'ended'`, `ON CONFLICT DO NOTHING`), so the second of two
 * racing units changes nothing it should not. A failing unit rolls back and rejects; it is not run
 * again here, because its caller may have collected effects to run after the commit: a webhook
 * answers 5xx and the provider sends it again.
 */
export class PostgresUnits<Tx> implements UnitOfWork<Tx> {
  readonly stores: Tx;
  readonly #pool: pg.Pool;
  readonly #build: (q: Queryable) => Tx;

  constructor(pool: pg.Pool, build: (q: Queryable) => Tx) {
    this.#pool = pool;
    this.#build = build;
    this.stores = build(pool);
  }

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return transaction(this.#pool, (client) => work(this.#build(client)));
  }
}
