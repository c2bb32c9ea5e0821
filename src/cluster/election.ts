import { CANCELLED, type Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { Lease, LeaseStore } from './lease-store.js';

/** The term of a node that won the election: it leads until `signal` aborts. */
export interface Term {
  /** The lease's fencing token for this term; a successor's is greater. */
  fence: number;
  /** Aborts when the term ends: the lease was lost, ran out unrenewed, or the node stops. */
  signal: AbortSignal;
}

export interface ElectionStatus {
  /** Whether this node holds the lease (and may dial) now. */
  leading: boolean;
  /** This node's name in the lease. */
  holder: string;
  fence: number | null;
  /** The lease as last read or written: who leads, where, until when. */
  lease: Lease | null;
}

export interface ElectionOptions {
  leases: LeaseStore;
  clock: Clock;
  logger: Logger;
  /** The lease's name (default `dialer`). */
  name?: string;
  /** This node: unique among the nodes, e.g. host:pid:random. */
  holder: string;
  /** Where this node answers, shown by the other nodes' status. */
  address: string | null;
  /** How long a lease runs unrenewed (default 15 s): a dead leader's successor waits at most this. */
  ttlMs?: number;
  /** How often the leader renews (default a third of the TTL). */
  renewEveryMs?: number;
  /** How often a follower tries to take the lease (default 2 s). */
  pollMs?: number;
  /**
   * The leader ends its term this long before its lease would run out unrenewed (default a fifth of
   * the TTL): it stops dialing before any successor can start, as long as the nodes' clocks differ
   * by less than this.
   */
  marginMs?: number;
}

const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * The election of the node that dials (docs/adr/0014-cluster-on-postgresql.md): every node
 * campaigns for one lease in the database; the holder renews it and leads until it cannot. A term
 * ends on the leader's own clock at the last renewal's start + TTL − margin, before the lease
 * expires for the others, so two leaders never dial at once; the fence orders the terms for the
 * writes that check it.
 */
export class Election {
  readonly #o: Required<Omit<ElectionOptions, 'address'>> & { address: string | null };
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #term: { fence: number; ends: AbortController; deadline: number } | undefined;
  #lease: Lease | null = null;
  #resigned: number | undefined;

  constructor(options: ElectionOptions) {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#o = {
      name: 'dialer',
      renewEveryMs: Math.floor(ttlMs / 3),
      pollMs: 2000,
      marginMs: Math.floor(ttlMs / 5),
      ...options,
      ttlMs,
    };
  }

  get status(): ElectionStatus {
    return { leading: this.#term !== undefined, holder: this.#o.holder, fence: this.#term?.fence ?? null, lease: this.#lease };
  }

  /** Campaigns until `stop`; `lead` is called at the start of each term won, and must stop its work when the term's signal aborts. */
  start(lead: (term: Term) => void): void {
    this.#loop ??= this.#campaign(lead);
  }

  /** Stops campaigning and ends the term (if any), keeping the lease until `stop`: the term's work winds down first. */
  async resign(): Promise<void> {
    this.#stopping.abort(CANCELLED);
    await this.#loop;
    const term = this.#term;
    if (term) {
      this.#resigned = term.fence;
      this.#end('the node stops');
    }
  }

  /** Resigns, then gives the lease up so a successor need not wait for it to run out. */
  async stop(): Promise<void> {
    await this.resign();
    const fence = this.#resigned;
    this.#resigned = undefined;
    if (fence === undefined) return;
    try {
      await this.#o.leases.release(this.#o.name, this.#o.holder, fence, this.#o.clock.now());
    } catch (error) {
      this.#o.logger.warn('could not release the lease; it runs out by itself', { error: (error as Error).message });
    }
  }

  async #campaign(lead: (term: Term) => void): Promise<void> {
    const { clock, logger } = this.#o;
    while (!this.#stopping.signal.aborted) {
      const term = this.#term;
      if (!term) {
        await this.#tryToLead(lead);
        if (!this.#term) await this.#sleep(this.#o.pollMs);
        continue;
      }
      await this.#sleep(Math.min(this.#o.renewEveryMs, term.deadline - clock.now()));
      if (this.#stopping.signal.aborted) return;
      if (clock.now() >= term.deadline) {
        this.#end('the lease could not be renewed in time');
        continue;
      }
      const sentAt = clock.now();
      try {
        if (await this.#o.leases.renew(this.#o.name, this.#o.holder, term.fence, sentAt, this.#o.ttlMs)) {
          term.deadline = sentAt + this.#o.ttlMs - this.#o.marginMs;
          if (this.#lease) this.#lease = { ...this.#lease, renewedAt: sentAt, expiresAt: sentAt + this.#o.ttlMs };
        } else {
          this.#end('another node holds the lease');
        }
      } catch (error) {
        // The database did not answer: try again until the term's deadline.
        logger.warn('could not renew the lease', { error: (error as Error).message });
      }
    }
  }

  async #tryToLead(lead: (term: Term) => void): Promise<void> {
    const { clock, logger } = this.#o;
    const sentAt = clock.now();
    let lease: Lease | null;
    try {
      lease = await this.#o.leases.acquire({ name: this.#o.name, holder: this.#o.holder, address: this.#o.address, now: sentAt, ttlMs: this.#o.ttlMs });
    } catch (error) {
      logger.warn('could not campaign for the lease', { error: (error as Error).message });
      return;
    }
    if (!lease) {
      this.#lease = (await this.#o.leases.current(this.#o.name).catch(() => undefined)) ?? this.#lease;
      return;
    }
    this.#lease = lease;
    const ends = new AbortController();
    this.#term = { fence: lease.fence, ends, deadline: sentAt + this.#o.ttlMs - this.#o.marginMs };
    logger.info('elected: this node dials', { holder: this.#o.holder, fence: lease.fence });
    try {
      lead({ fence: lease.fence, signal: ends.signal });
    } catch (error) {
      logger.error('the leader could not start its work', { error: (error as Error).message });
    }
  }

  #end(reason: string): void {
    const term = this.#term;
    if (!term) return;
    this.#term = undefined;
    this.#o.logger[reason === 'the node stops' ? 'info' : 'error']('this node no longer dials', { reason, fence: term.fence });
    term.ends.abort(CANCELLED);
  }

  #sleep(ms: number): Promise<void> {
    return this.#o.clock.sleep(Math.max(0, ms), this.#stopping.signal).catch(() => undefined);
  }
}
