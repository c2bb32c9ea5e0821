import type { Clock } from '../clock/index.js';

/**
 * What this process saw in the last minute and lives only in its memory: the provider's 429s on
 * creates, and the time each webhook spent in our server. The operator's console shows them beside
 * the database's figures. Times come from the clock it is given: a real one (the demo's context
 * clock is simulated, and a minute of it lasts a fifth of a second).
 */
export interface GaugeSnapshot {
  /** 429s on create requests in the last 60 s, and since the process started. */
  rateLimitedLastMinute: number;
  rateLimitedTotal: number;
  /** Webhooks answered in the last 60 s and their time in our server, p50 and p99 (null without any). */
  webhooksLastMinute: number;
  webhookP50Ms: number | null;
  webhookP99Ms: number | null;
}

const WINDOW_MS = 60_000;
/** At most this many webhook times are kept (a minute at ~1,700 webhooks a second). */
const MAX_SAMPLES = 100_000;

export class DialerGauges {
  readonly #clock: Clock;
  #rateLimited: number[] = [];
  #rateLimitedTotal = 0;
  #webhookAt: number[] = [];
  #webhookMs: number[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  rateLimited(): void {
    this.#rateLimitedTotal++;
    this.#rateLimited.push(this.#clock.now());
    if (this.#rateLimited.length > MAX_SAMPLES) this.#rateLimited.shift();
  }

  /** Call at a webhook's arrival; call the result when its answer has been sent. */
  webhookStarted(): () => void {
    const started = this.#clock.monotonicMs();
    return () => this.#webhook(this.#clock.monotonicMs() - started, this.#clock.now());
  }

  #webhook(ms: number, at: number): void {
    this.#webhookAt.push(at);
    this.#webhookMs.push(ms);
    if (this.#webhookAt.length > MAX_SAMPLES) {
      this.#webhookAt.splice(0, this.#webhookAt.length - MAX_SAMPLES);
      this.#webhookMs.splice(0, this.#webhookMs.length - MAX_SAMPLES);
    }
  }

  snapshot(): GaugeSnapshot {
    const since = this.#clock.now() - WINDOW_MS;
    const dropRate = this.#rateLimited.findIndex((t) => t > since);
    this.#rateLimited = dropRate < 0 ? [] : this.#rateLimited.slice(dropRate);
    const dropHooks = this.#webhookAt.findIndex((t) => t > since);
    if (dropHooks < 0) {
      this.#webhookAt = [];
      this.#webhookMs = [];
    } else if (dropHooks > 0) {
      this.#webhookAt = this.#webhookAt.slice(dropHooks);
      this.#webhookMs = this.#webhookMs.slice(dropHooks);
    }
    const sorted = [...this.#webhookMs].sort((a, b) => a - b);
    const quantile = (q: number) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! * 10) / 10);
    return {
      rateLimitedLastMinute: this.#rateLimited.length,
      rateLimitedTotal: this.#rateLimitedTotal,
      webhooksLastMinute: sorted.length,
      webhookP50Ms: quantile(0.5),
      webhookP99Ms: quantile(0.99),
    };
  }
}
