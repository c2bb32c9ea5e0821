import { randomUUID } from 'node:crypto';
import { systemClock } from '../../src/clock/index.js';
import { applyStatusEvent, callStore, CallSignals, ListSettingsBook, runCampaign, webhookUrls, type CampaignResult, type DialerDeps, type StatusPayload } from '../../src/dialer/index.js';
import type { CreateCallRequest, CreateCallResult, GetCallResult, HangupResult, ProviderCall, Telephony } from '../../src/telephony/index.js';
import { TARIFF } from './dialer.js';
import type { TestEnv } from './factories.js';

/** What the fake provider does with a created call: end it at once with this status, or leave it live. */
export type FakeOutcome = StatusPayload | 'live';

/**
 * An in-process provider for unit tests of the dialer loop (end-to-end tests use the sandbox). It
 * records create requests, keeps a status per uuid for GET /v1/calls/:uuid, and delivers the
 * outcome chosen per number as a status event, as the webhook handler would.
 */
export class FakeTelephony implements Telephony {
  readonly created: CreateCallRequest[] = [];
  readonly gets: string[] = [];
  readonly calls = new Map<string, ProviderCall>();
  #deps: DialerDeps | undefined;
  readonly #outcome: (request: CreateCallRequest) => FakeOutcome;

  constructor(outcome: (request: CreateCallRequest) => FakeOutcome = () => ({ status: 'busy' })) {
    this.#outcome = outcome;
  }

  attach(deps: DialerDeps): void {
    this.#deps = deps;
  }

  /** Numbers dialled, in order ('+48…'). */
  get dialled(): string[] {
    return this.created.map((r) => r.toE164);
  }

  async createCall(request: CreateCallRequest): Promise<CreateCallResult> {
    this.created.push(request);
    const uuid = randomUUID();
    this.calls.set(uuid, providerCall(uuid, 'started'));
    const outcome = this.#outcome(request);
    if (outcome !== 'live') {
      // After the 201, as the provider's webhooks would arrive.
      setImmediate(() => this.deliver(refOf(request.eventUrl), { ...outcome, uuid }));
    }
    return { ok: true, uuid, conversationUuid: undefined };
  }

  async getCall(uuid: string): Promise<GetCallResult> {
    this.gets.push(uuid);
    const call = this.calls.get(uuid);
    if (!call) return { ok: false, failure: { kind: 'not_found', status: 404, message: 'Not Found', retryable: false } };
    return { ok: true, call };
  }

  async hangupCall(): Promise<HangupResult> {
    return { ok: true };
  }

  /** A status event for the attempt with this ref, through the same function the webhook uses. */
  deliver(ref: string, payload: StatusPayload): void {
    const deps = this.#deps!;
    const call = callStore(deps.database).byRef(ref);
    if (!call) throw new Error(`no call with ref ${ref}`);
    if (payload.uuid) this.calls.set(payload.uuid, providerCall(payload.uuid, payload.status, payload));
    applyStatusEvent(deps, call, payload, deps.clock.now());
  }
}

export function providerCall(uuid: string, status: string, payload: Partial<StatusPayload> = {}): ProviderCall {
  return {
    uuid,
    status,
    durationSeconds: payload.duration === undefined ? undefined : Number(payload.duration),
    rateMicros: undefined,
    priceMicros: payload.price === undefined ? undefined : Math.round(Number(payload.price) * 1e6),
    startTimeMs: undefined,
    endTimeMs: undefined,
    network: undefined,
  };
}

function refOf(eventUrl: string): string {
  return eventUrl.slice(eventUrl.lastIndexOf('/') + 1);
}

/** Dialer deps over a test environment; tests of the loop pass the fake telephony to runCampaign. */
export function dialerDeps(env: TestEnv): DialerDeps {
  return { database: env.database, clock: env.clock, logger: env.logger, signals: new CallSignals(), lists: new ListSettingsBook(env.database, { defaultTariff: TARIFF }) };
}

/**
 * runCampaign on one list with the fake provider. The pace limiter runs on real time (a manual
 * clock would hold it), so lists under test use a high cps; `maxIdleWaitMs: 0` returns `paused` as
 * soon as nothing is due now.
 */
export function runWithFake(deps: DialerDeps, telephony: FakeTelephony, listId: number, options: { signal?: AbortSignal; maxIdleWaitMs?: number } = {}): Promise<CampaignResult> {
  telephony.attach(deps);
  return runCampaign(deps, {
    listId,
    telephony,
    urls: webhookUrls('https://dialer.example'),
    fromNumber: '447700900000',
    rateClock: systemClock,
    maxIdleWaitMs: options.maxIdleWaitMs ?? 0,
    drainTimeoutMs: 0,
    signal: options.signal,
  });
}
