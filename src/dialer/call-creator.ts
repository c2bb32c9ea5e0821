import type { Worker } from 'node:worker_threads';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { CreateCallRequest, CreateCallResult, Telephony } from '../telephony/index.js';
import { startModuleWorker } from '../threads/index.js';
import type { CreateWorkerData, CreateWorkerReply, CreateWorkerRequest } from './create-worker.js';
import { limiterForCps, type RateLane, type RollingWindowLimiter } from './rate-limiter.js';

/** A create request's turn. The attempt row is written between `reserve()` and `send()`. */
export interface CreateTurn {
  /** Sends the request; undefined when the run stopped before it was sent (nothing reached the provider). */
  send(request: CreateCallRequest): Promise<CreateCallResult | undefined>;
}

/** Sends one run's create-call requests: its lane of the account's pace. */
export interface CallCreator {
  /** Waits for a turn; undefined once the run stops. */
  reserve(): Promise<CreateTurn | undefined>;
  /** After a 429: nothing is sent for `ms`, by any run (the provider counts the account). */
  backoff(ms: number): void;
  /** Leaves the pace (the run ended); a request still unanswered fails. */
  close(): Promise<void>;
}

/** A run's claim on the account's pace. */
export interface LaneSpec {
  listId: number;
  /** The list's `cps`: a ceiling within the account's pace, never more in any rolling second. */
  cps: number;
}

/** The account's pace: what the provider allows, in create-call requests per rolling second. */
export interface AccountPace {
  cps: number;
  /** Added to each limiter window, in ms, for clock granularity. Default 0. */
  marginMs?: number;
}

/**
 * Every create-call request of the process goes through one AccountPacer, because the provider
 * counts the account, not the list: runs dialling at once (schedules, triggered lists) each open a
 * lane and take turns, fairly (round-robin among the lanes with a request waiting), each at most at
 * its list's cps, together never more than the account's (docs/adr/0002-pacing.md, addendum
 * 2026-12). One process dials a database (the dialer lock); a pacer shared by several processes
 * or nodes on one account would implement this same interface.
 */
export interface AccountPacer {
  /** A run's lane; `stop` is the run's stop signal. */
  open(lane: LaneSpec, stop: AbortSignal): CallCreator;
  /** Ends the pacer (the process stops dialing); requests still unanswered fail. */
  close(): Promise<void>;
}

/** How many creates one lane may have handed over at once: a window's worth of its ceiling, at most the account's. */
function laneDepth(lane: LaneSpec, pace: AccountPace): number {
  return Math.max(1, Math.floor(Math.min(lane.cps, pace.cps)));
}

/**
 * Creates calls in this thread: a turn is a rate slot of the run's lane (RollingWindowLimiter),
 * held from before the attempt row is written until the provider's answer is in. The limiter's
 * clock may be a ManualClock, which is what the dialer's tests drive.
 */
export class PacedCreator implements CallCreator {
  readonly #lane: RateLane;
  readonly #limiter: RollingWindowLimiter;
  readonly #telephony: Telephony;
  readonly #stop: AbortSignal;

  constructor(options: { lane: RateLane; limiter: RollingWindowLimiter; telephony: Telephony; stop: AbortSignal }) {
    this.#lane = options.lane;
    this.#limiter = options.limiter;
    this.#telephony = options.telephony;
    this.#stop = options.stop;
  }

  async reserve(): Promise<CreateTurn | undefined> {
    let slot;
    try {
      slot = await this.#lane.acquire(this.#stop);
    } catch {
      return undefined;
    }
    return {
      send: async (request) => {
        try {
          return await this.#telephony.createCall(request);
        } finally {
          slot.release();
        }
      },
    };
  }

  backoff(ms: number): void {
    this.#limiter.backoff(ms);
  }

  async close(): Promise<void> {
    this.#lane.close();
  }
}

/** The account's pace in this thread, on `clock`: tests with a ManualClock, runs with an injected Telephony. */
export class LocalPacer implements AccountPacer {
  readonly #limiter: RollingWindowLimiter;
  readonly #telephony: Telephony;

  constructor(options: { telephony: Telephony; clock: Clock; pace: AccountPace }) {
    this.#limiter = limiterForCps(options.pace.cps, options.clock, options.pace.marginMs ?? 0);
    this.#telephony = options.telephony;
  }

  open(lane: LaneSpec, stop: AbortSignal): CallCreator {
    return new PacedCreator({ lane: this.#limiter.lane(lane.cps), limiter: this.#limiter, telephony: this.#telephony, stop });
  }

  async close(): Promise<void> {}
}

/** What the create-call worker needs besides the pace: the SDK's credentials and host. */
export type CreateWorkerSettings = Omit<CreateWorkerData, 'pace'>;

/**
 * The account's pace in a worker thread of its own, with the SDK client: one worker for every run
 * of the process, started with the first lane.
 *
 * The limiter frees a slot one window after the provider's answer *arrived*, and on the dialer's
 * thread "arrived" means "was read": at 200 calls/s that thread also serves ~1,400 webhooks a
 * second, its event loop read a create's answer ~100 ms late on average, and every slot lost that
 * much of each window (0.87 of the configured rate, docs/performance.md). The worker's own event
 * loop is nearly idle, so it reads answers as they come.
 *
 * This thread still writes each attempt row before its request is sent; it hands the worker at
 * most one window's worth of each lane's requests (its ceiling, at most the account's cps), so no
 * more attempts than before can be in doubt after a crash.
 */
export class WorkerPacer implements AccountPacer {
  readonly #settings: CreateWorkerSettings;
  readonly #pace: AccountPace;
  readonly #logger: Logger;
  #worker: Worker | undefined;
  readonly #replies = new Map<number, { lane: number; resolve: (result: CreateCallResult | undefined) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #nextLane = 0;
  #failure: Error | undefined;
  #closed = false;
  /** Create requests the worker has taken so far, and who waits for that count to reach theirs. */
  #received = 0;
  #receivedWaiters: { count: number; resolve: () => void }[] = [];

  constructor(settings: CreateWorkerSettings, pace: AccountPace, logger: Logger) {
    this.#settings = settings;
    this.#pace = pace;
    this.#logger = logger;
  }

  open(spec: LaneSpec, stop: AbortSignal): CallCreator {
    if (this.#closed) throw new Error('the create-call worker is closed');
    const lane = this.#nextLane++;
    const permits = new Permits(laneDepth(spec, this.#pace), stop);
    this.#post({ type: 'open', lane, cps: spec.cps });
    // Requests still waiting there for a slot are answered "not sent"; sent ones finish.
    const onStop = () => this.#post({ type: 'stop', lane });
    stop.addEventListener('abort', onStop, { once: true });
    return {
      reserve: async () => {
        if (this.#failure) throw this.#failure;
        if (!(await permits.acquire())) return undefined;
        return { send: (request) => this.#send(lane, request).finally(() => permits.release()) };
      },
      backoff: (ms) => this.#post({ type: 'backoff', ms }),
      close: async () => {
        stop.removeEventListener('abort', onStop);
        this.#post({ type: 'close', lane });
        this.#failReplies(new Error('the run ended before the provider answered its create request'), lane);
      },
    };
  }

  /**
   * Resolves once the worker has taken `count` create requests in all, from every lane: a request
   * it has taken and not answered waits there for a slot. Tests await this instead of sleeping.
   */
  workerReceived(count: number): Promise<void> {
    if (this.#received >= count) return Promise.resolve();
    return new Promise((resolve) => this.#receivedWaiters.push({ count, resolve }));
  }

  /** Ends the worker; a request still unanswered fails, and so does every later one. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#fail(new Error('the create-call worker was closed before the provider answered'));
    await this.#worker?.terminate();
  }

  #start(): Worker {
    const worker = startModuleWorker(import.meta.url, 'create-worker', { workerData: { ...this.#settings, pace: this.#pace } satisfies CreateWorkerData });
    worker.on('message', (message: CreateWorkerReply) => {
      if (message.type === 'log') {
        this.#logger.log(message.level, message.message, message.meta);
        return;
      }
      if (message.type === 'received') {
        this.#received++;
        const due = this.#receivedWaiters.filter((waiter) => waiter.count <= this.#received);
        this.#receivedWaiters = this.#receivedWaiters.filter((waiter) => waiter.count > this.#received);
        for (const waiter of due) waiter.resolve();
        return;
      }
      const reply = this.#replies.get(message.id);
      this.#replies.delete(message.id);
      reply?.resolve(message.result ?? undefined);
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new Error(`the create-call worker exited with code ${code}`));
    });
    return worker;
  }

  #send(lane: number, request: CreateCallRequest): Promise<CreateCallResult | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { lane, resolve, reject });
      this.#post({ type: 'create', id, lane, request });
    });
  }

  #post(message: CreateWorkerRequest): void {
    if (this.#closed || this.#failure) return;
    this.#worker ??= this.#start();
    this.#worker.postMessage(message);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#failReplies(error);
  }

  /** Rejects the unanswered requests of one lane, or of all. */
  #failReplies(error: Error, lane?: number): void {
    for (const [id, reply] of this.#replies) {
      if (lane !== undefined && reply.lane !== lane) continue;
      this.#replies.delete(id);
      reply.reject(error);
    }
  }
}

/** A counting semaphore whose waiters all give up when the run stops (one listener for them all). */
class Permits {
  #free: number;
  #waiters: ((granted: boolean) => void)[] = [];
  readonly #stop: AbortSignal;

  constructor(count: number, stop: AbortSignal) {
    this.#free = count;
    this.#stop = stop;
    stop.addEventListener(
      'abort',
      () => {
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const waiter of waiters) waiter(false);
      },
      { once: true },
    );
  }

  acquire(): Promise<boolean> {
    if (this.#stop.aborted) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next(true);
    else this.#free++;
  }
}
