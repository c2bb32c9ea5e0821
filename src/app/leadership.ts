import { CANCELLED } from '../clock/index.js';
import { Election, type ElectionStatus, type Term } from '../cluster/index.js';
import { acquireDialerLock } from '../dialer/index.js';
import type { Logger } from '../logging/index.js';
import { nodeName } from './backend.js';
import type { AppContext } from './context.js';

/**
 * Who dials (docs/adr/0014-cluster-on-postgresql.md): on SQLite the one process that holds the
 * database's lock row (docs/adr/0006), leading from its start until it stops or is taken over; on
 * PostgreSQL the node the election chose, for as long as it keeps its lease. Either way the work
 * of the dialer starts at each term and stops when the term's signal aborts.
 */
export interface Leadership {
  readonly node: string;
  start(lead: (term: Term) => void): void;
  status(): ElectionStatus;
  /** Ends the term (its work winds down) but keeps the lock or lease until `stop`. */
  resign(): Promise<void>;
  /**
   * After `resign`, once the term's work starts nothing any more: lets a successor lead while the
   * term's live calls finish. A cluster's lease is given up; SQLite's lock is kept until `stop`
   * (one process per file: ADR 0006).
   */
  handOver(): Promise<void>;
  /** Resigns and frees the lock or the lease. */
  stop(): Promise<void>;
}

export function leadershipFor(ctx: AppContext, options: { command: string; address: string | null; logger: Logger }): Leadership {
  if (ctx.backend.kind === 'postgres') {
    const node = nodeName(ctx.config.nodeName);
    const election = new Election({ leases: ctx.backend.stores.leases, clock: ctx.clock, logger: options.logger, holder: node, address: options.address, ttlMs: ctx.config.leaseTtlMs });
    return { node, start: (lead) => election.start(lead), status: () => election.status, resign: () => election.resign(), handOver: () => election.stop(), stop: () => election.stop() };
  }
  // Throws LOCKED naming the holder when another process dials from this database.
  const lock = acquireDialerLock({ database: ctx.database, clock: ctx.clock, logger: options.logger, command: options.command });
  lock.startHeartbeat();
  const node = `${lock.holder.host}:${lock.holder.pid}`;
  // The term ends when the lock is lost or the process stops.
  const stopping = new AbortController();
  const ends = AbortSignal.any([lock.lost, stopping.signal]);
  let leading = false;
  return {
    node,
    start: (lead) => {
      leading = true;
      lead({ fence: 0, signal: ends });
    },
    status: () => ({ leading: leading && !ends.aborted, holder: node, fence: null, lease: null }),
    resign: () => {
      stopping.abort(CANCELLED);
      return Promise.resolve();
    },
    handOver: () => Promise.resolve(),
    stop: async () => {
      stopping.abort(CANCELLED);
      await lock.release();
    },
  };
}
