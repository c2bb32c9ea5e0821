import type { Worker } from 'node:worker_threads';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { CreateCallRequest, CreateCallResult, Telephony } from '../telephony/index.js';
import { startModuleWorker } from '../threads/index.js';
import type { CreateWorkerData, CreateWorkerReply, CreateWorkerRequest } from './create-worker.js';
import { limiterForCps, type RollingWindowLimiter } from './rate-limiter.js';

/** A create request's turn. The attempt row is written between `reserve()` and `send()`. */
export interface CreateTurn {
  /** Sends the request; undefined when the run stopped before it was sent (nothing reached the provider). */
  send(request: CreateCallRequest): Promise<CreateCallResult | undefined>;
}

/** Sends one run's create-call requests at the provider's pace. */
export interface CallCreator {
  /** Waits for a turn; undefined once the run stops. */
  reserve(): Promise<CreateTurn | undefined>;
  /** After a 429: nothing is sent for `ms`. */
  backoff(ms: number): void;
  close(): Promise<void>;
}

export interface Pacing {
  cps: number;
  /** Added to each limiter window, in ms. */
  marginMs: number;
}

/** Builds the creator of one run; `stop` is the run's stop signal. */
export type CallCreatorFactory = (pacing: Pacing, stop: AbortSignal) => CallCreator;

/**
 * Creates calls in this thread: a turn is a rate slot (RollingWindowLimiter), held from before
 * the attempt row is written until the provider's answer is in. The limiter's clock may be a
 * ManualClock, which is what the dialer's tests drive.
 */
export class PacedCreator implements CallCreator {
  readonly #limiter: RollingWindowLimiter;
  readonly #telephony: Telephony;
  readonly #stop: AbortSignal;

  constructor(limiter: RollingWindowLimiter, telephony: Telephony, stop: AbortSignal) {
    this.#limiter = limiter;
    this.#telephony = telephony;
    this.#stop = stop;
  }

  async reserve(): Promise<CreateTurn | undefined> {
    let slot;
    try {
      slot = await this.#limiter.acquire(this.#stop);
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

  async close(): Promise<void> {}
}

/** Creators that pace in this thread, on `clock`. */
export function pacedCreators(telephony: Telephony, clock: Clock): CallCreatorFactory {
  return (pacing, stop) => new PacedCreator(limiterForCps(pacing.cps, clock, pacing.marginMs), telephony, stop);
}

/** What the create-call worker needs besides the pacing: the SDK's credentials and host. */
export type CreateWorkerSettings = Omit<CreateWorkerData, 'pacing'>;

/**
 * Creators whose limiter and SDK client run in a worker thread of their own.
 *
 * The limiter frees a slot one window after the provider's answer *arrived*, and on the dialer's
 * thread "arrived" means "was read": at 200 calls/s that thread also serves ~1,400 webhooks a
 * second, its event loop read a create's answer ~100 ms late on average, and every slot lost that much
 * of each window (0.87 of the configured rate, docs/performance.md). The worker's own event loop
 * is nearly idle, so it reads answers as they come.
 *
 * This thread still writes each attempt row before its request is sent; it hands the worker at
 * most one window's worth of requests (`limit`, as many as the in-thread limiter has slots), so no
 * more attempts than before can be in doubt after a crash.
 */
export function workerCreators(settings: CreateWorkerSettings, logger: Logger): CallCreatorFactory {
  return (pacing, stop) => {
    const worker = startModuleWorker(import.meta.url, 'create-worker', { workerData: { ...settings, pacing } satisfies CreateWorkerData });
    return new WorkerCreator(worker, Math.max(1, Math.floor(pacing.cps)), stop, logger);
  };
}

/** The dialer thread's side of the create-call worker. */
export class WorkerCreator implements CallCreator {
  readonly #worker: Worker;
  readonly #permits: Permits;
  readonly #replies = new Map<number, { resolve: (result: CreateCallResult | undefined) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(worker: Worker, maxOutstanding: number, stop: AbortSignal, logger: Logger) {
    this.#worker = worker;
    this.#permits = new Permits(maxOutstanding, stop);
    worker.on('message', (message: CreateWorkerReply) => {
      if (message.type === 'log') {
        logger.log(message.level, message.message, message.meta);
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
    // Requests still waiting there for a slot are answered "not sent"; sent ones finish.
    stop.addEventListener('abort', () => this.#post({ type: 'stop' }), { once: true });
  }

  async reserve(): Promise<CreateTurn | undefined> {
    if (this.#failure) throw this.#failure;
    if (!(await this.#permits.acquire())) return undefined;
    return {
      send: (request) => this.#send(request).finally(() => this.#permits.release()),
    };
  }

  backoff(ms: number): void {
    this.#post({ type: 'backoff', ms });
  }

  /** Ends the worker; a request still unanswered (the run's drain time ran out) fails. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#fail(new Error('the create-call worker was closed before the provider answered'));
    await this.#worker.terminate();
  }

  #send(request: CreateCallRequest): Promise<CreateCallResult | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#post({ type: 'create', id, request });
    });
  }

  #post(message: CreateWorkerRequest): void {
    if (!this.#closed) this.#worker.postMessage(message);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const reply of this.#replies.values()) reply.reject(error);
    this.#replies.clear();
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
