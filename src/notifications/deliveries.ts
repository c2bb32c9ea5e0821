import { CANCELLED, type Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import type { DeliveryEvent, DeliveryStatus } from '../db/schema/index.js';
import type { Logger } from '../logging/index.js';
import { type DeliveryAttempt, type DeliveryRow, type DeliveryStore } from './delivery-store.js';
import { postWebhook, ReceiverAddresses, type Resolve } from './receivers.js';
import { signPayload, SIGNATURE_HEADER } from './signature.js';

/**
 * Makes the body of a delivery queued without one (a detractor alert waits for its comment);
 * asynchronous, since it reads through a store. A rejection is a failed attempt.
 */
export type PayloadBuilder = (delivery: DeliveryRow) => Promise<Record<string, unknown>>;

export interface WebhookDeliveriesOptions {
  /** The outbox: on either engine. */
  store: DeliveryStore;
  clock: Clock;
  logger: Logger;
  builders: Record<DeliveryEvent, PayloadBuilder>;
  /** How often pending deliveries are looked for, in clock ms (default 5,000). */
  pollIntervalMs?: number;
  /** Attempts before a delivery is `failed` (default 8: about an hour of retries). */
  maxAttempts?: number;
  /** Wait after the first failure, in clock ms; doubles with each further one (default 30,000). */
  firstRetryDelayMs?: number;
  /** The longest wait between two attempts, in clock ms (default 30 minutes). */
  maxRetryDelayMs?: number;
  /** Real ms one request may take before it counts as failed (default 10,000). */
  requestTimeoutMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /**
   * Loopback, private or link-local networks (CIDR) receivers may be in anyway
   * (WEBHOOK_ALLOW_PRIVATE_NETWORKS; default none: public addresses only).
   */
  privateNetworks?: readonly string[];
  /** The resolver behind the receivers' address check (dns.lookup; tests give their own). */
  resolve?: Resolve | undefined;
}

/**
 * A detractor alert waits for its comment recording so that it can carry the link, and for the
 * comment's text while one is pending (so that it carries the words and themes): it goes when
 * the recording is downloaded (or failed) and no text is pending, when the call ended this long ago without a recording
 * webhook (the callee left no comment), or at the latest at its queued due time.
 */
export const RECORDING_GRACE_MS = 30_000;

const BATCH = 32;

/**
 * Delivers the outbox: every pending webhook whose time has come is POSTed to the client's URL with
 * the HMAC-SHA256 signature of its exact bytes; a non-2xx answer, a timeout or a network error is
 * retried with exponential backoff. Every attempt is stored (webhook_attempts) and logged. The body
 * is frozen at the first attempt, so retries send identical bytes with the same `X-Nps-Delivery`
 * id: a receiver that got a delivery whose acknowledgement was lost (or one sent again after a
 * crash between the POST and its record) can recognise the repeat.
 *
 * One worker per database: it runs in the process that holds the dialer lock (`run`, `serve`), and
 * its state changes are conditional on the attempt count, so a stray second worker cannot record
 * an attempt twice.
 */
export class WebhookDeliveries {
  readonly #o: Required<Omit<WebhookDeliveriesOptions, 'resolve'>> & Pick<WebhookDeliveriesOptions, 'resolve'>;
  readonly #addresses: ReceiverAddresses;
  readonly #store: DeliveryStore;
  #closed = new AbortController();
  #wake = new AbortController();
  #loop: Promise<void> | undefined;
  /** Passes run one after another, whoever asks for them (the loop, drain, a test). */
  #chain: Promise<unknown> = Promise.resolve();
  /**
   * Reasons for not sending already logged at info. A client without an alert URL has every one
   * of its alerts skipped: one line says so, the others go to debug (a run with 1,655 detractors
   * printed 1,655 lines through its progress bar), and `run` sums them up at its end.
   */
  readonly #skipReasonsLogged = new Set<string>();

  constructor(options: WebhookDeliveriesOptions) {
    this.#o = {
      pollIntervalMs: 5_000,
      maxAttempts: 8,
      firstRetryDelayMs: 30_000,
      maxRetryDelayMs: 30 * 60_000,
      requestTimeoutMs: 10_000,
      concurrency: 4,
      privateNetworks: [],
      ...options,
    };
    this.#addresses = new ReceiverAddresses(this.#o.privateNetworks);
    this.#store = this.#o.store;
  }

  /** Starts the loop; after `close`, starts it again (a cluster node that leads once more). */
  start(): void {
    if (this.#loop) return;
    this.#closed = new AbortController();
    this.#loop = this.#run(this.#closed.signal);
  }

  /** Look for due deliveries now (a new event was queued in this process). */
  poke(): void {
    this.#wake.abort(CANCELLED);
  }

  /** Makes one attempt for every delivery due now; resolves with the number of attempts made. */
  deliverDue(): Promise<number> {
    const pass = this.#chain.then(() => this.#pass());
    this.#chain = pass.catch(() => undefined);
    return pass;
  }

  /**
   * One attempt now for each of a list's deliveries that were never tried, without waiting for
   * their comment recording or its grace time: `run` calls it last, once the late recordings it
   * could wait for have been waited for, so that a finished list's last alerts do not wait for a
   * next process. Later deliveries of the same list, and failures, are left to the next process.
   */
  flushList(listId: number): Promise<number> {
    const pass = this.#chain.then(async () => this.#attemptAll(await this.#store.neverTried(listId)));
    this.#chain = pass.catch(() => undefined);
    return pass;
  }

  /** Stops the loop after the attempts in flight. Pending deliveries stay for the next process. */
  async close(): Promise<void> {
    this.#closed.abort(CANCELLED);
    this.#wake.abort(CANCELLED);
    await this.#loop;
    this.#loop = undefined;
    await this.#chain;
  }

  async #run(closed: AbortSignal): Promise<void> {
    const { clock, logger, pollIntervalMs } = this.#o;
    while (!closed.aborted) {
      try {
        // A full batch may have more behind it.
        while ((await this.deliverDue()) >= BATCH && !closed.aborted);
      } catch (error) {
        logger.error('webhook delivery pass failed', { error: (error as Error).message });
      }
      this.#wake = new AbortController();
      const nextAt = await this.#store.nextDueAt().catch((error: unknown) => {
        logger.error('webhook delivery pass failed', { error: (error as Error).message });
        return null;
      });
      const sleepMs = nextAt === null ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(0, nextAt - clock.now()));
      await clock.sleep(sleepMs, AbortSignal.any([this.#wake.signal, closed])).catch(() => undefined);
    }
  }

  async #pass(): Promise<number> {
    return this.#attemptAll(await this.#store.due(this.#o.clock.now(), RECORDING_GRACE_MS, BATCH));
  }

  /** Attempts `due`, `concurrency` at a time; resolves with how many were attempted. */
  async #attemptAll(due: DeliveryRow[]): Promise<number> {
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const row = due[next++]!;
        // One delivery's trouble (its record hit a busy database) must not end the pass while the
        // other workers' requests are still in flight: the next pass would pick those up again and
        // send them twice.
        try {
          await this.#attempt(row);
        } catch (error) {
          this.#o.logger.error('webhook delivery attempt could not be made or recorded', { deliveryId: row.id, event: row.event, error: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, due.length) }, worker));
    return due.length;
  }

  async #attempt(row: DeliveryRow): Promise<void> {
    const { clock, logger } = this.#o;
    const log = { deliveryId: row.id, event: row.event, listId: row.listId, attempt: row.attempts + 1 };
    const target = await this.#target(row);
    if ('skip' in target) {
      if (await this.#store.skip(row, target.skip)) {
        const first = !this.#skipReasonsLogged.has(target.skip);
        this.#skipReasonsLogged.add(target.skip);
        if (first) logger.info('webhook not sent; later ones for the same reason are logged at debug', { ...log, reason: target.skip });
        else logger.debug('webhook not sent', { ...log, reason: target.skip });
      }
      return;
    }
    const attempt = row.attempts + 1;
    const startedAt = clock.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      // Inside the try: a body that cannot be built is a failed attempt (retried, then failed),
      // not a pass that throws on every poll.
      const body = await this.#payload(row);
      statusCode = await postWebhook({
        url: new URL(target.url),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'nps-dialer-webhooks/1',
          'X-Nps-Event': row.event,
          'X-Nps-Delivery': String(row.id),
          'X-Nps-Attempt': String(attempt),
          [SIGNATURE_HEADER]: signPayload(target.secret, body),
          ...(target.authorization ? { Authorization: target.authorization } : {}),
        },
        body,
        timeoutMs: this.#o.requestTimeoutMs,
        // Loopback, private and link-local receivers are refused before connecting; redirects are
        // never followed (the signed body goes only where the operator configured it).
        addresses: this.#addresses,
        resolve: this.#o.resolve,
      });
      if (statusCode < 200 || statusCode >= 300) error = `the receiver answered HTTP ${statusCode}`;
    } catch (cause) {
      const e = cause as Error & { code?: string };
      // An error's message may quote the URL (with the receiver's token in its query): never
      // store or log more of it than the target column shows.
      error =
        e.name === 'TimeoutError'
          ? `no answer within ${this.#o.requestTimeoutMs} ms`
          : e.name === 'ReceiverRefused'
            ? `refused: ${withoutUrl(e.message, target)}`
            : `request failed: ${withoutUrl(e.code ?? e.message, target)}`;
    }
    const durationMs = Math.round(performance.now() - started);
    const now = clock.now();
    const failed = error !== null;
    const exhausted = failed && attempt >= this.#o.maxAttempts;
    const retryAt = now + Math.min(this.#o.maxRetryDelayMs, this.#o.firstRetryDelayMs * 2 ** (attempt - 1));
    const recorded = await this.#store.recordAttempt(row, {
      attempt,
      attemptedAt: startedAt,
      target: target.display,
      statusCode,
      error,
      durationMs,
      status: failed ? (exhausted ? 'failed' : 'pending') : 'delivered',
      nextAttemptAt: failed ? retryAt : now,
      deliveredAt: failed ? null : now,
    });
    if (!recorded) return;
    if (!failed) logger.info('webhook delivered', { ...log, statusCode, durationMs });
    else if (exhausted) logger.error('webhook delivery failed for good', { ...log, error, attempts: attempt });
    else logger.warn('webhook delivery failed; will retry', { ...log, error, retryAt: new Date(retryAt).toISOString() });
  }

  /**
   * Where the delivery goes and its signing key, read at each attempt (a corrected URL applies to
   * retries). A user name and password in the URL (`https://user:pass@host/…`) are sent as HTTP
   * Basic authorization, taken out of the URL so that no error message can quote them.
   */
  async #target(row: DeliveryRow): Promise<Target | { skip: string }> {
    if (row.clientId === null) return { skip: 'the list has no client to send it to' };
    const client = await this.#store.receiver(row.clientId);
    const url = row.event === 'report.interim' ? (client?.reportUrl ?? client?.alertUrl) : client?.alertUrl;
    if (!url) return { skip: `client ${row.clientId} has no ${row.event === 'report.interim' ? 'report or alert' : 'alert'} URL (clients set --alert-url)` };
    if (!client?.secret) return { skip: `client ${row.clientId} has no webhook secret (clients set --alert-secret)` };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { skip: `client ${row.clientId} has a webhook URL that is not a valid URL (clients set --alert-url)` };
    }
    let authorization: string | undefined;
    if (parsed.username || parsed.password) {
      authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    return { url: parsed.href, secret: client.secret, display: `${parsed.origin}${parsed.pathname}`, authorization, configured: url };
  }

  /** The body to send: stored, or built now and frozen (whichever write came first wins). */
  async #payload(row: DeliveryRow): Promise<string> {
    if (row.payload !== null) return row.payload;
    return this.#store.freezePayload(row.id, JSON.stringify(await this.#o.builders[row.event](row)));
  }
}

interface Target {
  /** The URL requested, without credentials. */
  url: string;
  secret: string;
  /** Scheme, host and path: what is stored and shown of the URL. */
  display: string;
  /** HTTP Basic credentials taken from the configured URL, if it had any. */
  authorization: string | undefined;
  /** The URL as configured (possibly with credentials): never stored or logged. */
  configured: string;
}

/** An error message with every form of the target's URL replaced by its displayable part. */
function withoutUrl(message: string, target: Target): string {
  let out = message;
  for (const form of [target.configured, target.url]) out = out.split(form).join(target.display);
  return out;
}

/** A list's webhooks by outcome, for the end of `run`. */
export interface ListDeliverySummary {
  delivered: number;
  /** Still to be tried (or retried) by the next `run` or `serve`. */
  pending: number;
  failed: number;
  /** Never sent, by reason (no client, no URL, no secret). */
  skipped: { reason: string; deliveries: number }[];
}

export function listDeliverySummary(database: AppDatabase, listId: number): ListDeliverySummary {
  const rows = prepared(
    database,
    `SELECT status, CASE WHEN status = 'skipped' THEN last_error END AS reason, count(*) AS n
     FROM webhook_deliveries WHERE list_id = ? GROUP BY 1, 2 ORDER BY n DESC`,
  ).all(listId) as { status: DeliveryStatus; reason: string | null; n: number }[];
  const total = (status: DeliveryStatus) => rows.filter((r) => r.status === status).reduce((sum, r) => sum + r.n, 0);
  return {
    delivered: total('delivered'),
    pending: total('pending'),
    failed: total('failed'),
    skipped: rows.filter((r) => r.status === 'skipped').map((r) => ({ reason: r.reason ?? 'unknown', deliveries: r.n })),
  };
}

/** The attempts of some deliveries, by delivery id. */
export function deliveryAttempts(database: AppDatabase, deliveryIds: number[]): Map<number, DeliveryAttempt[]> {
  const byDelivery = new Map<number, DeliveryAttempt[]>();
  const statement = prepared(
    database,
    `SELECT attempt, attempted_at AS attemptedAt, target, status_code AS statusCode, error, duration_ms AS durationMs
     FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`,
  );
  for (const id of deliveryIds) byDelivery.set(id, statement.all(id) as DeliveryAttempt[]);
  return byDelivery;
}
