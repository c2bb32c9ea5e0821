import http from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { onAbort, type Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import { signCallback, type CallbackSignerOptions } from './auth.js';
import type { Random } from './random.js';
import type { WebhookStats } from './types.js';

/**
 * How a failed delivery is retried (reference §5):
 * - `status`: plain notifications (call status, recording, transcription, error) get one more
 *   try after a 5xx, a timeout or a connection error; their response body is ignored.
 * - `ncco`: hooks whose response is an NCCO (answer, input, notify) get two tries in all, again
 *   after a timeout or connection error but only after 429, 503 or 504 among HTTP errors.
 */
export type RetryPolicy = 'status' | 'ncco';

export interface WebhookRequest {
  url: string;
  method: 'GET' | 'POST';
  payload: Record<string, unknown>;
  /** For logs and stats: 'started', 'answer', 'input', 'record' ... */
  kind: string;
  retry: RetryPolicy;
  timeoutMs: number;
  /** The Authorization to send instead of a new signature: a redelivery under the same token. */
  authorization?: string;
}

export interface WebhookResult {
  ok: boolean;
  status: number | null;
  /** The response body of the last attempt, when there was one. */
  bodyText: string | null;
  attempts: number;
  /** Why the last attempt failed, for error events and logs. */
  failure: string | null;
  /** The Authorization header of the last attempt. */
  authorization: string | null;
}

const NCCO_RETRY_STATUSES = new Set([429, 503, 504]);

/** Builds the request Vonage would send: JSON body for POST, query parameters for GET. */
export function encodeWebhook(request: Pick<WebhookRequest, 'url' | 'method' | 'payload'>): { url: string; body: string } {
  if (request.method === 'POST') return { url: request.url, body: JSON.stringify(request.payload) };
  const url = new URL(request.url);
  for (const [key, value] of Object.entries(request.payload)) {
    // Nested objects (dtmf, speech, payload) travel as JSON strings in a GET query (reference §5).
    if (value === null || value === undefined) continue;
    url.searchParams.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return { url: url.toString(), body: '' };
}

/**
 * Whether a retry or a duplicate delivery is signed anew (`new`: a new jti and iat) or carries the
 * first attempt's token again (`same`). Vonage's choice is UNCONFIRMED; the app must take both.
 */
export const REDELIVERY_TOKENS = ['new', 'same'] as const;
export type RedeliveryToken = (typeof REDELIVERY_TOKENS)[number];

export interface WebhookSenderOptions {
  signer: CallbackSignerOptions;
  /** The wall clock stamped into each token's `iat` (see SandboxOptions.tokenClock). */
  tokenClock: Clock;
  redeliveryToken: RedeliveryToken;
  stats: WebhookStats;
  logger: Logger;
  /** Aborts every request in flight when the sandbox closes. */
  closeSignal: AbortSignal;
  /** Real milliseconds between a failed try and the retry (one simulated second). */
  retryDelayMs: number;
}

/** Sends signed webhooks with Vonage's retry rules and counts what happened. */
export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #agents: Agents;

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
    this.#agents = keepAliveAgents(options.closeSignal);
  }

  async send(request: WebhookRequest): Promise<WebhookResult> {
    const { stats, logger } = this.#options;
    let result: WebhookResult = { ok: false, status: null, bodyText: null, attempts: 0, failure: null, authorization: null };
    let authorization = request.authorization;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (this.#options.closeSignal.aborted) break;
      if (attempt > 1) {
        stats.retried++;
        try {
          await delay(this.#options.retryDelayMs, undefined, { signal: this.#options.closeSignal });
        } catch {
          break;
        }
      }
      result = { ...(await this.#attempt(request, authorization)), attempts: attempt };
      if (this.#options.redeliveryToken === 'same') authorization = result.authorization ?? undefined;
      if (result.ok || !this.#shouldRetry(request.retry, result.status)) break;
    }
    if (!result.ok) {
      stats.failed++;
      // Deliveries cut short by the sandbox closing are expected at the end of a run, not a fault.
      const closing = this.#options.closeSignal.aborted;
      logger[closing ? 'debug' : 'warn'](closing ? 'webhook delivery abandoned: the sandbox closed' : 'webhook delivery failed', {
        kind: request.kind,
        status: result.status,
        failure: result.failure,
        attempts: result.attempts,
      });
    }
    return result;
  }

  #shouldRetry(policy: RetryPolicy, status: number | null): boolean {
    if (status === null) return true; // timeout or connection error
    return policy === 'status' ? status >= 500 : NCCO_RETRY_STATUSES.has(status);
  }

  /** Whether a duplicate delivery of a callback carries the token of the first one. */
  get reusesTokens(): boolean {
    return this.#options.redeliveryToken === 'same';
  }

  async #attempt(request: WebhookRequest, reusedAuthorization: string | undefined): Promise<Omit<WebhookResult, 'attempts'>> {
    const { url, body } = encodeWebhook(request);
    const authorization = reusedAuthorization ?? `Bearer ${signCallback(this.#options.signer, body, this.#options.tokenClock.now())}`;
    const headers: Record<string, string> = {
      authorization,
      'user-agent': 'Vonage-Sandbox/1.0 (nps-dialer)',
      accept: 'application/json',
    };
    if (request.method === 'POST') headers['content-type'] = 'application/json';
    this.#options.stats.sent++;
    try {
      const response = await httpExchange({
        agents: this.#agents,
        url,
        method: request.method,
        headers,
        body: request.method === 'POST' ? body : undefined,
        timeoutMs: request.timeoutMs,
        closeSignal: this.#options.closeSignal,
      });
      const ok = response.status >= 200 && response.status <= 299;
      return { ok, status: response.status, bodyText: response.bodyText, failure: ok ? null : `HTTP ${response.status}`, authorization };
    } catch (error) {
      const failure = error instanceof RequestTimeout ? `no response within ${request.timeoutMs} ms` : `connection failed: ${(error as Error).message}`;
      return { ok: false, status: null, bodyText: null, failure, authorization };
    }
  }
}

class RequestTimeout extends Error {}

/**
 * Keep-alive connections to the application's webhook server, as Vonage keeps them, closed with
 * the sandbox. node:http rather than fetch: at 200 calls/s undici's streams, abort signals and
 * transfer machinery were a third of the sandbox's CPU (profiled), and the sandbox shares the
 * machine with the dialer.
 */
interface Agents {
  http: http.Agent;
  https: https.Agent;
}

function keepAliveAgents(closeSignal: AbortSignal): Agents {
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 512 }), https: new https.Agent({ keepAlive: true, maxSockets: 512 }) };
  closeSignal.addEventListener(
    'abort',
    () => {
      agents.http.destroy();
      agents.https.destroy();
    },
    { once: true },
  );
  return agents;
}

/**
 * One HTTP request with a deadline for the whole exchange (headers and body). A keep-alive socket
 * the server closed while idle fails at once with ECONNRESET; that request never reached the
 * application, so it is sent again on a new connection, once, as HTTP clients do.
 */
async function httpExchange(request: HttpExchange): Promise<{ status: number; bodyText: string }> {
  try {
    return await exchange(request);
  } catch (error) {
    if (error instanceof StaleSocket) return exchange(request);
    throw error;
  }
}

class StaleSocket extends Error {}

interface HttpExchange {
  agents: Agents;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  closeSignal: AbortSignal;
}

function exchange({ agents, url, method, headers, body, timeoutMs, closeSignal }: HttpExchange): Promise<{ status: number; bodyText: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? agents.https : agents.http;
    const requestHeaders = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = transport.request(target, { method, headers: requestHeaders, agent });
    // Destroyed if the sandbox closes first; one listener for all requests in flight (see onAbort).
    request.once('close', onAbort(closeSignal, () => request.destroy(new Error('the sandbox is closing'))));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new RequestTimeout(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, bodyText: text });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(timedOut ? new RequestTimeout(error.message) : error);
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(request.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocket(error.message) : error);
    });
    request.end(body);
  });
}

export interface QueueFaults {
  duplicateRate: number;
  outOfOrderRate: number;
  webhookDelayMs: [number, number] | null;
  dropStatusRate: number;
}

export interface PendingTracker {
  begin(): void;
  end(): void;
}

interface QueuedDelivery {
  request: WebhookRequest;
  delayMs: number;
  duplicate: boolean;
  done: () => void;
}

/**
 * One call's asynchronous webhooks (status events, recordings, transcriptions, errors), delivered
 * one after another in the order they happened unless a fault says otherwise. Every fault is
 * drawn when the event is queued, from the call's seeded stream, so a run is reproducible.
 */
export class CallWebhookQueue {
  readonly #sender: WebhookSender;
  readonly #faults: QueueFaults;
  readonly #random: Random;
  readonly #stats: WebhookStats;
  readonly #tracker: PendingTracker;
  readonly #closeSignal: AbortSignal;
  #chain: Promise<void> = Promise.resolve();
  #held: QueuedDelivery | null = null;

  constructor(options: { sender: WebhookSender; faults: QueueFaults; random: Random; stats: WebhookStats; tracker: PendingTracker; closeSignal: AbortSignal }) {
    this.#sender = options.sender;
    this.#faults = options.faults;
    this.#random = options.random;
    this.#stats = options.stats;
    this.#tracker = options.tracker;
    this.#closeSignal = options.closeSignal;
  }

  /**
   * Queues a webhook; resolves once it was delivered, dropped or given up on. Status events are
   * `reorderable` (subject to the drop and out-of-order faults); recordings and errors are not.
   */
  enqueue(request: WebhookRequest, options: { reorderable: boolean }): Promise<void> {
    const dropped = options.reorderable && this.#random.chance(this.#faults.dropStatusRate);
    const holdBack = options.reorderable && this.#held === null && this.#random.chance(this.#faults.outOfOrderRate);
    const range = this.#faults.webhookDelayMs;
    const delayMs = range ? Math.round(this.#random.between(range[0], range[1])) : 0;
    const duplicate = this.#random.chance(this.#faults.duplicateRate);
    if (dropped) {
      this.#stats.dropped++;
      return Promise.resolve();
    }
    this.#tracker.begin();
    return new Promise<void>((resolve) => {
      const delivery: QueuedDelivery = {
        request,
        delayMs,
        duplicate,
        done: () => {
          this.#tracker.end();
          resolve();
        },
      };
      if (holdBack) {
        this.#held = delivery;
        return;
      }
      this.#schedule(delivery);
      this.#releaseHeld();
    });
  }

  /**
   * Resolves when everything queued so far has been delivered (a held-back event excepted). The
   * call awaits this before an answer/input/notify request, so by default the app sees `answered`
   * before the answer request and every status before the input it led to.
   */
  drained(): Promise<void> {
    return this.#chain;
  }

  /** Sends an event held back for out-of-order delivery; called when the call has ended. */
  flush(): void {
    this.#releaseHeld();
  }

  #releaseHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    this.#schedule(held);
  }

  #schedule(delivery: QueuedDelivery): void {
    this.#chain = this.#chain.then(async () => {
      try {
        if (delivery.delayMs > 0) await delay(delivery.delayMs, undefined, { signal: this.#closeSignal });
        const first = await this.#sender.send(delivery.request);
        if (delivery.duplicate && !this.#closeSignal.aborted) {
          this.#stats.duplicated++;
          const reused = this.#sender.reusesTokens ? first.authorization : null;
          await this.#sender.send(reused ? { ...delivery.request, authorization: reused } : delivery.request);
        }
      } catch {
        // Only the close signal lands here; the sandbox is shutting down.
      } finally {
        delivery.done();
      }
    });
  }
}
