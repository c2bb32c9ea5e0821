import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import { SandboxCall } from './call.js';
import { createCalleeResolver, type CalleeResolver } from './callee.js';
import { validateCreateCall, type InvalidParameter } from './create-call.js';
import { DEFAULT_CALL_RETENTION_SECONDS, resolveFaults } from './faults.js';
import { FileStore, type FileResponse } from './files.js';
import { seededRandom } from './random.js';
import type { ResolvedSpeech } from './speech.js';
import type { Synthesizer } from './synth.js';
import { RollingWindowLimiter, RollingWindowMeter } from './rate-limit.js';
import { realNowMs } from './real-time.js';
import type { FaultOptions, PopulationOptions, Scenario } from './scenario.js';
import { normaliseNumber } from './scenario.js';
import { CALL_STATUSES, TERMINAL_STATUSES, type SandboxCallRecord, type SandboxStats, type TerminalStatus } from './types.js';
import { WebhookSender, type RedeliveryToken } from './webhooks.js';
import type { CallbackSignerOptions } from './auth.js';

/** What a route sends back; an undefined body means an empty one (the 204 of a hangup). */
export interface HttpReply {
  status: number;
  body?: unknown;
}

// Error bodies in the shape of Vonage's API gateway (reference §3). The 429 and 404 bodies are
// UNCONFIRMED guesses by analogy.
export const ERROR_BODIES = {
  unauthorized: { type: 'UNAUTHORIZED', error_title: 'Unauthorized' },
  tooManyRequests: { type: 'TOO_MANY_REQUESTS', error_title: 'Too Many Requests' },
  badRequest: { type: 'BAD_REQUEST', error_title: 'Bad Request' },
  notFound: { type: 'NOT_FOUND', error_title: 'Not Found' },
  methodNotAllowed: { type: 'METHOD_NOT_ALLOWED', error_title: 'Method Not Allowed' },
  internal: { type: 'INTERNAL_SERVER_ERROR', error_title: 'Internal Server Error' },
} as const;

const badRequest = (invalidParameters?: InvalidParameter[]): HttpReply => ({
  status: 400,
  body: invalidParameters ? { ...ERROR_BODIES.badRequest, invalid_parameters: invalidParameters } : ERROR_BODIES.badRequest,
});

/** The number used when a create asks for random_from_number. */
const RANDOM_FROM_NUMBER = '447700900000';

export interface EngineConfig {
  baseUrl: string;
  applicationId: string;
  signer: CallbackSignerOptions;
  /** The wall clock of the callback tokens' `iat` (SandboxOptions.tokenClock). */
  tokenClock: Clock;
  redeliveryToken: RedeliveryToken;
  cps: number;
  otherRequestsPerSecond: number;
  maxLiveCalls: number | undefined;
  timeScale: number;
  clock: Clock;
  seed: number;
  scenario: Scenario;
  population: PopulationOptions;
  faults: FaultOptions;
  ratePerMinute: string;
  answerWebhookTimeoutMs: number;
  eventWebhookTimeoutMs: number;
  maxLengthTimerSeconds: number;
  speech: ResolvedSpeech;
  synthesizer: Synthesizer;
  logger: Logger;
}

const ListQuery = z.object({
  page_size: z.coerce.number().int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(10),
  record_index: z.coerce.number().int().min(0, 'must be 0 or more').default(0),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).default('asc'),
  status: z.enum([...CALL_STATUSES, 'machine'], { error: `must be one of ${CALL_STATUSES.join(', ')}, machine` }).optional(),
  date_start: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time such as 2026-01-05T10:00:00Z' }).optional(),
  date_end: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time such as 2026-01-05T10:00:00Z' }).optional(),
  conversation_uuid: z.string().optional(),
});

const UpdateBody = z.looseObject({
  action: z.enum(['hangup', 'mute', 'unmute', 'earmuff', 'unearmuff', 'transfer'], {
    error: 'must be one of hangup, mute, unmute, earmuff, unearmuff, transfer',
  }),
});

/**
 * The sandbox's state and REST semantics, independent of express: the routes in server.ts only
 * translate HTTP to these calls.
 */
export class SandboxEngine {
  readonly #config: EngineConfig;
  readonly #resolver: CalleeResolver;
  readonly #close = new AbortController();
  readonly #files = new FileStore();
  readonly #sender: WebhookSender;
  /**
   * Create requests seen so far (past the JWT check): the 429 storms are placed by this count, not
   * by real time, which on a loaded machine could end before the dialer's first create.
   */
  #createRequests = 0;
  readonly #createLimiter: RollingWindowLimiter;
  readonly #otherLimiter: RollingWindowLimiter;
  readonly #createMeter = new RollingWindowMeter();
  readonly #calls = new Map<string, SandboxCall>();
  /** Calls in creation order, for listing. */
  readonly #callOrder: SandboxCall[] = [];
  /** Next zero-based attempt per destination. */
  readonly #attempts = new Map<string, number>();
  /** 5xx faults already given per (number, attempt), so a retry draws afresh but reproducibly. */
  readonly #createErrors = new Map<string, number>();
  readonly #liveByNumber = new Map<string, number>();
  #live = 0;
  #pending = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #stats: SandboxStats;

  constructor(config: EngineConfig) {
    this.#config = config;
    // Every callback in flight and every retry wait listens for the sandbox closing and stops
    // listening when it ends: hundreds at a time at high cps, none left behind (not a leak).
    setMaxListeners(0, this.#close.signal);
    this.#resolver = createCalleeResolver({ seed: config.seed, scenario: config.scenario, population: config.population });
    this.#createLimiter = new RollingWindowLimiter(config.cps);
    this.#otherLimiter = new RollingWindowLimiter(config.otherRequestsPerSecond);
    this.#stats = {
      callsCreated: 0,
      activeCalls: 0,
      completedByOutcome: Object.fromEntries(TERMINAL_STATUSES.map((status) => [status, 0])) as Record<TerminalStatus, number>,
      answeredByMachine: 0,
      rateLimited: 0,
      otherRequestsRateLimited: 0,
      liveCallLimitRejected: 0,
      serverErrors: 0,
      unauthorized: 0,
      badRequests: 0,
      maxCreatesInAnyRollingSecond: 0,
      maxLiveCalls: 0,
      maxConcurrentCallsPerNumber: 0,
      webhooks: { sent: 0, failed: 0, retried: 0, dropped: 0, duplicated: 0 },
      recordingDownloads: 0,
      nccoProblems: [],
    };
    this.#sender = new WebhookSender({
      signer: config.signer,
      tokenClock: config.tokenClock,
      redeliveryToken: config.redeliveryToken,
      stats: this.#stats.webhooks,
      logger: config.logger,
      closeSignal: this.#close.signal,
      // Vonage retries about a second later (reference §5); a simulated second here.
      retryDelayMs: 1000 / config.timeScale,
    });
  }

  stats(): SandboxStats {
    return {
      ...this.#stats,
      activeCalls: this.#live,
      maxCreatesInAnyRollingSecond: this.#createMeter.max,
      completedByOutcome: { ...this.#stats.completedByOutcome },
      webhooks: { ...this.#stats.webhooks },
      nccoProblems: [...this.#stats.nccoProblems],
    };
  }

  calls(): SandboxCallRecord[] {
    return this.#callOrder.map((call) => call.record());
  }

  countUnauthorized(): void {
    this.#stats.unauthorized++;
  }

  countBadRequest(): void {
    this.#stats.badRequests++;
  }

  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#close.abort();
    await Promise.all(this.#callOrder.map((call) => call.settled()));
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  // ---- POST /v1/calls ---------------------------------------------------------------------------

  async createCall(body: unknown): Promise<HttpReply> {
    const nowMs = realNowMs();
    this.#createMeter.record(nowMs);
    if (this.#inStorm(this.#createRequests++)) return this.#tooManyRequests();
    if (this.#config.maxLiveCalls !== undefined && this.#live >= this.#config.maxLiveCalls) {
      this.#stats.liveCallLimitRejected++;
      return this.#tooManyRequests();
    }
    if (!this.#createLimiter.tryAcquire(nowMs)) return this.#tooManyRequests();

    const validation = validateCreateCall(body, { maxLengthTimerSeconds: this.#config.maxLengthTimerSeconds });
    if (!validation.ok) {
      this.#stats.badRequests++;
      return badRequest(validation.invalidParameters);
    }
    const request = validation.request;
    const to = normaliseNumber(request.to[0]!.number);
    const from = request.from ? normaliseNumber(request.from.number) : RANDOM_FROM_NUMBER;
    const attemptIndex = this.#attempts.get(to) ?? 0;
    const resolved = this.#resolver.script(to, attemptIndex);
    const faults = resolveFaults(this.#config.faults, resolved.faults);

    const errorKey = `${to}#${attemptIndex}`;
    const errorsSoFar = this.#createErrors.get(errorKey) ?? 0;
    if (seededRandom(this.#config.seed, to, attemptIndex, 'create-error', errorsSoFar).chance(faults.createServerErrorRate)) {
      this.#createErrors.set(errorKey, errorsSoFar + 1);
      this.#stats.serverErrors++;
      return { status: 500, body: ERROR_BODIES.internal };
    }

    this.#attempts.set(to, attemptIndex + 1);
    const random = seededRandom(this.#config.seed, to, attemptIndex, 'faults');
    const call = new SandboxCall({
      uuid: randomUUID(),
      request,
      to,
      from,
      attemptIndex,
      script: resolved.script,
      faults,
      random,
      speechRandom: seededRandom(this.#config.seed, to, attemptIndex, 'speech'),
      context: {
        speech: this.#config.speech,
        synthesizer: this.#config.synthesizer,
        baseUrl: this.#config.baseUrl,
        timeScale: this.#config.timeScale,
        clock: this.#config.clock,
        sender: this.#sender,
        files: this.#files,
        tracker: { begin: () => this.#pending++, end: () => this.#taskDone() },
        webhookStats: this.#stats.webhooks,
        ratePerMinute: this.#config.ratePerMinute,
        answerWebhookTimeoutMs: this.#config.answerWebhookTimeoutMs,
        eventWebhookTimeoutMs: this.#config.eventWebhookTimeoutMs,
        closeSignal: this.#close.signal,
        logger: this.#config.logger,
        reportNccoProblem: (problemCall, problem) => this.#stats.nccoProblems.push(`call ${problemCall.uuid}: ${problem}`),
        onFinished: (finished) => this.#callFinished(finished),
      },
    });
    this.#register(call);
    // Vonage may deliver `started` before the 201 reaches the app (reference §5, UNCONFIRMED);
    // the fault makes that order certain by waiting for the app to take the event first.
    if (random.chance(faults.startedBeforeCreateResponse)) await call.deliverStartedEarly();
    call.start();
    return {
      status: 201,
      body: { uuid: call.uuid, status: 'started', direction: 'outbound', conversation_uuid: call.conversationUuid },
    };
  }

  #register(call: SandboxCall): void {
    this.#calls.set(call.uuid, call);
    this.#callOrder.push(call);
    this.#stats.callsCreated++;
    this.#live++;
    this.#stats.maxLiveCalls = Math.max(this.#stats.maxLiveCalls, this.#live);
    const perNumber = (this.#liveByNumber.get(call.to) ?? 0) + 1;
    this.#liveByNumber.set(call.to, perNumber);
    this.#stats.maxConcurrentCallsPerNumber = Math.max(this.#stats.maxConcurrentCallsPerNumber, perNumber);
  }

  #callFinished(call: SandboxCall): void {
    this.#live--;
    const perNumber = (this.#liveByNumber.get(call.to) ?? 1) - 1;
    if (perNumber > 0) this.#liveByNumber.set(call.to, perNumber);
    else this.#liveByNumber.delete(call.to);
    const status = call.status;
    if ((TERMINAL_STATUSES as readonly string[]).includes(status)) this.#stats.completedByOutcome[status as TerminalStatus]++;
    if (call.script.outcome === 'machine' && status === 'completed') this.#stats.answeredByMachine++;
    this.#checkIdle();
  }

  /** Whether the create request with this zero-based number falls in a storm. */
  #inStorm(requestIndex: number): boolean {
    return (this.#config.faults.tooManyRequestsStorms ?? []).some(
      (storm) => requestIndex >= storm.afterCreates && requestIndex < storm.afterCreates + storm.creates,
    );
  }

  #tooManyRequests(): HttpReply {
    this.#stats.rateLimited++;
    return { status: 429, body: ERROR_BODIES.tooManyRequests };
  }

  // ---- other verbs ------------------------------------------------------------------------------

  /** The 15-per-second limit on GET/PUT (reference §9); null when the request may go on. */
  limitOtherRequest(): HttpReply | null {
    if (this.#otherLimiter.tryAcquire(realNowMs())) return null;
    this.#stats.otherRequestsRateLimited++;
    return this.#tooManyRequests();
  }

  getCall(uuid: string): HttpReply {
    const call = this.#visibleCall(uuid);
    if (!call) return { status: 404, body: ERROR_BODIES.notFound };
    return { status: 200, body: call.restView() };
  }

  listCalls(query: Record<string, unknown>): HttpReply {
    const parsed = ListQuery.safeParse(query);
    if (!parsed.success) {
      this.#stats.badRequests++;
      return badRequest(parsed.error.issues.map((issue) => ({ name: String(issue.path[0] ?? 'query'), reason: issue.message })));
    }
    const q = parsed.data;
    const startMs = q.date_start ? Date.parse(q.date_start) : Number.NEGATIVE_INFINITY;
    const endMs = q.date_end ? Date.parse(q.date_end) : Number.POSITIVE_INFINITY;
    let matching = this.#callOrder.filter(
      (call) =>
        this.#retained(call) &&
        (q.status === undefined || call.status === q.status) &&
        (q.conversation_uuid === undefined || call.conversationUuid === q.conversation_uuid) &&
        call.createdWallMs >= startMs &&
        call.createdWallMs <= endMs,
    );
    if (q.order === 'desc') matching = [...matching].reverse();
    const page = matching.slice(q.record_index, q.record_index + q.page_size);
    // getAllCalls() follows next.href with `new URL(...)`, so it must be absolute (reference §0).
    const href = (recordIndex: number): string => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(q)) if (value !== undefined && key !== 'record_index') params.set(key, String(value));
      params.set('record_index', String(recordIndex));
      return `${this.#config.baseUrl}/v1/calls?${params.toString()}`;
    };
    const links: Record<string, { href: string }> = { self: { href: href(q.record_index) } };
    if (q.record_index + q.page_size < matching.length) links.next = { href: href(q.record_index + q.page_size) };
    return {
      status: 200,
      body: {
        count: matching.length,
        page_size: q.page_size,
        record_index: q.record_index,
        _links: links,
        _embedded: { calls: page.map((call) => call.restView()) },
      },
    };
  }

  updateCall(uuid: string, body: unknown): HttpReply {
    const call = this.#visibleCall(uuid);
    if (!call) return { status: 404, body: ERROR_BODIES.notFound };
    const parsed = UpdateBody.safeParse(body);
    if (!parsed.success) {
      this.#stats.badRequests++;
      return badRequest([{ name: 'action', reason: parsed.error.issues[0]?.message ?? 'invalid' }]);
    }
    const action = parsed.data.action;
    if (action === 'transfer') {
      this.#stats.badRequests++;
      return badRequest([{ name: 'action', reason: 'transfer is not simulated by the sandbox' }]);
    }
    // Modifying a call that is no longer active gave 400 on the real API (reference §2).
    if (!call.isLive) {
      this.#stats.badRequests++;
      return badRequest();
    }
    if (action === 'hangup') {
      // Vonage rejects a hangup within about 1-2 s of create (reference §2); optional fidelity.
      if (call.faults.hangupTooSoonSeconds > 0 && call.elapsedSimulatedMs() < call.faults.hangupTooSoonSeconds * 1000) {
        this.#stats.badRequests++;
        return badRequest();
      }
      call.hangup();
    }
    return { status: 204 };
  }

  async download(id: string): Promise<FileResponse> {
    const file = await this.#files.download(id);
    if (file.found) this.#stats.recordingDownloads++;
    return file;
  }

  /** A call within the retention window (reference §2: legs vanish after about two days). */
  #visibleCall(uuid: string): SandboxCall | undefined {
    const call = this.#calls.get(uuid);
    return call && this.#retained(call) ? call : undefined;
  }

  #retained(call: SandboxCall): boolean {
    const retentionSeconds = this.#config.faults.callRetentionSeconds ?? DEFAULT_CALL_RETENTION_SECONDS;
    return this.#config.clock.now() - call.createdWallMs <= retentionSeconds * 1000;
  }

  // ---- idleness ---------------------------------------------------------------------------------

  #taskDone(): void {
    this.#pending--;
    this.#checkIdle();
  }

  #isIdle(): boolean {
    return this.#live === 0 && this.#pending === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
