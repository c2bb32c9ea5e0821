import { hash } from 'node:crypto';
import type { Logger } from '../logging/index.js';

/**
 * A token's use compared with its earlier ones: `first` (never seen), `repeat` (the same request
 * again: a redelivery, answered as the first was) or `conflict` (another request: a replay).
 */
export type ReplayVerdict = 'first' | 'repeat' | 'conflict';

export interface TokenUse {
  jti: string;
  /** The request the token came with: method, path with query, and the body's payload hash. */
  request: string;
  /** Our clock's now, epoch ms. */
  nowMs: number;
}

/**
 * Remembers which request each callback token (by `jti`) was first used for. One process keeps it
 * in memory (MemoryReplayGuard); several nodes behind one URL need a shared store behind this same
 * interface, hence the promise (docs/adr/0003-webhook-signatures.md).
 */
export interface CallbackReplayGuard {
  admit(use: TokenUse): ReplayVerdict | Promise<ReplayVerdict>;
}

export interface MemoryReplayGuardOptions {
  /**
   * How long a token is remembered after its first use, ms: at least as long as the freshness
   * window could still accept it, i.e. max age + clock skew.
   */
  retainMs: number;
  /** Most tokens remembered; beyond it the oldest are forgotten early, with a warning. */
  maxEntries?: number;
  logger: Logger;
}

/**
 * About 1,400 callbacks a second (200 calls/s) for the default 360 s is a little over half a
 * million tokens, at about 160 bytes each with the jti (measured, docs/adr/0003): ~80 MB. Room for
 * twice that before anything is forgotten early.
 */
export const DEFAULT_REPLAY_GUARD_ENTRIES = 1_000_000;

/**
 * The tokens of the last `retainMs`, in memory. A Map keeps insertion order, so the entries expire
 * from its front, with the time each was added in a parallel queue: admitting is a hash, a lookup,
 * an insert and, amortised, one deletion. The request is kept as its SHA-256 (base64url), not as
 * text: it would be the bulk of an entry otherwise. crypto.hash, not createHash: a third of the
 * cost, which is all of it on this path.
 */
export class MemoryReplayGuard implements CallbackReplayGuard {
  readonly #retainMs: number;
  readonly #maxEntries: number;
  readonly #logger: Logger;
  /** jti → digest of the request of its first use, oldest first. */
  readonly #seen = new Map<string, string>();
  /** When each entry of #seen was added (our clock, ms), in the same order; read from #head. */
  #addedAt: number[] = [];
  #head = 0;
  /** When the last "forgetting early" warning was logged, so a sustained overflow logs once a window. */
  #warnedAt = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryReplayGuardOptions) {
    if (!(Number.isInteger(options.retainMs) && options.retainMs > 0)) throw new RangeError(`retainMs must be a positive integer, got ${options.retainMs}`);
    const maxEntries = options.maxEntries ?? DEFAULT_REPLAY_GUARD_ENTRIES;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.#retainMs = options.retainMs;
    this.#maxEntries = maxEntries;
    this.#logger = options.logger;
  }

  get size(): number {
    return this.#seen.size;
  }

  admit(use: TokenUse): ReplayVerdict {
    this.#forget(use.nowMs - this.#retainMs);
    const digest = hash('sha256', use.request, 'base64url');
    const known = this.#seen.get(use.jti);
    if (known !== undefined) return known === digest ? 'repeat' : 'conflict';
    if (this.#seen.size >= this.#maxEntries) this.#overflow(use.nowMs);
    this.#seen.set(use.jti, digest);
    this.#addedAt.push(use.nowMs);
    return 'first';
  }

  /**
   * Drops the entries added at or before `cutoff`. A wall clock that stepped back only keeps
   * entries longer: the queue is read from the front and stops at the first younger entry.
   */
  #forget(cutoff: number): void {
    if (this.#head === this.#addedAt.length || this.#addedAt[this.#head]! > cutoff) return;
    const keys = this.#seen.keys();
    while (this.#head < this.#addedAt.length && this.#addedAt[this.#head]! <= cutoff) {
      this.#seen.delete(keys.next().value!);
      this.#head++;
    }
    this.#compact();
  }

  #overflow(nowMs: number): void {
    this.#seen.delete(this.#seen.keys().next().value!);
    this.#head++;
    this.#compact();
    if (nowMs - this.#warnedAt >= this.#retainMs) {
      this.#warnedAt = nowMs;
      this.#logger.warn('callback replay cache full: forgetting tokens before their freshness window ends', { maxEntries: this.#maxEntries, retainMs: this.#retainMs });
    }
  }

  /** Drops the consumed front of the queue once it is half of it. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#addedAt.length) {
      this.#addedAt = this.#addedAt.slice(this.#head);
      this.#head = 0;
    }
  }
}
