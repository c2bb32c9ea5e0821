import { prepared, type AppDatabase } from '../db/index.js';
import { one, type Queryable } from '../db/postgres/index.js';

/** A lease as stored: who holds `name`, under which fencing token, until when (epoch ms). */
export interface Lease {
  name: string;
  holder: string;
  /** The fencing token: incremented at every change of holder, never reused. */
  fence: number;
  address: string | null;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
}

export interface AcquireRequest {
  name: string;
  holder: string;
  address: string | null;
  now: number;
  ttlMs: number;
}

/**
 * Leases by name (docs/adr/0014-cluster-on-postgresql.md): the election of the node that dials.
 * Every method is one conditional statement, so racing nodes cannot both win: the database decides.
 */
export interface LeaseStore {
  /**
   * Takes the lease when it is free or expired at `now`, or extends it when `holder` holds it
   * already; the lease as stored then, or null when another holder's lease runs at `now`. A change
   * of holder (or a holder coming back after its lease expired) increments the fence.
   */
  acquire(request: AcquireRequest): Promise<Lease | null>;
  /** Extends the lease to `now + ttlMs` while `holder` still holds it under `fence`; false when it does not. */
  renew(name: string, holder: string, fence: number, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (it expires at `now`) if `holder` still holds it under `fence`: a successor need not wait for it to run out. */
  release(name: string, holder: string, fence: number, now: number): Promise<void>;
  current(name: string): Promise<Lease | undefined>;
}

/**
 * One statement on both dialects (an upsert whose update applies only to a free, expired or own
 * lease). `same` is true when the holder renews its own running lease: then fence and acquired_at stay.
 */
const ACQUIRE = (p: (n: number) => string) => {
  const same = `(leases.holder = excluded.holder AND leases.expires_at > excluded.renewed_at)`;
  return `INSERT INTO leases (name, holder, fence, address, acquired_at, renewed_at, expires_at) VALUES (${p(1)}, ${p(2)}, 1, ${p(3)}, ${p(4)}, ${p(4)}, ${p(5)})
    ON CONFLICT (name) DO UPDATE SET
      fence = CASE WHEN ${same} THEN leases.fence ELSE leases.fence + 1 END,
      acquired_at = CASE WHEN ${same} THEN leases.acquired_at ELSE excluded.acquired_at END,
      holder = excluded.holder, address = excluded.address, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
    WHERE leases.expires_at <= excluded.renewed_at OR leases.holder = excluded.holder
    RETURNING ${COLUMNS}`;
};
const COLUMNS = `name, holder, fence, address, acquired_at AS "acquiredAt", renewed_at AS "renewedAt", expires_at AS "expiresAt"`;
const RENEW = (p: (n: number) => string) => `UPDATE leases SET renewed_at = ${p(1)}, expires_at = ${p(2)} WHERE name = ${p(3)} AND holder = ${p(4)} AND fence = ${p(5)}`;
const RELEASE = (p: (n: number) => string) =>
  `UPDATE leases SET expires_at = ${p(1)} WHERE name = ${p(2)} AND holder = ${p(3)} AND fence = ${p(4)} AND expires_at > ${p(1)}`;
const CURRENT = (p: (n: number) => string) => `SELECT ${COLUMNS} FROM leases WHERE name = ${p(1)}`;

const sqliteParam = (n: number) => `@p${n}`;
/** better-sqlite3 binds a parameter used twice by name only. */
const named = (...values: unknown[]) => Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));
const pgParam = (n: number) => `$${n}`;

export class SqliteLeaseStore implements LeaseStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async acquire(r: AcquireRequest): Promise<Lease | null> {
    return (prepared(this.#db, ACQUIRE(sqliteParam)).get(named(r.name, r.holder, r.address, r.now, r.now + r.ttlMs)) as Lease | undefined) ?? null;
  }

  async renew(name: string, holder: string, fence: number, now: number, ttlMs: number): Promise<boolean> {
    return prepared(this.#db, RENEW(sqliteParam)).run(named(now, now + ttlMs, name, holder, fence)).changes === 1;
  }

  async release(name: string, holder: string, fence: number, now: number): Promise<void> {
    prepared(this.#db, RELEASE(sqliteParam)).run(named(now, name, holder, fence));
  }

  async current(name: string): Promise<Lease | undefined> {
    return prepared(this.#db, CURRENT(sqliteParam)).get(named(name)) as Lease | undefined;
  }
}

export class PostgresLeaseStore implements LeaseStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async acquire(r: AcquireRequest): Promise<Lease | null> {
    return (await one<Lease>(this.#q, ACQUIRE(pgParam), [r.name, r.holder, r.address, r.now, r.now + r.ttlMs])) ?? null;
  }

  async renew(name: string, holder: string, fence: number, now: number, ttlMs: number): Promise<boolean> {
    return ((await this.#q.query(RENEW(pgParam), [now, now + ttlMs, name, holder, fence])).rowCount ?? 0) === 1;
  }

  async release(name: string, holder: string, fence: number, now: number): Promise<void> {
    await this.#q.query(RELEASE(pgParam), [now, name, holder, fence]);
  }

  async current(name: string): Promise<Lease | undefined> {
    return one<Lease>(this.#q, CURRENT(pgParam), [name]);
  }
}
