import { randomUUID } from 'node:crypto';
import { systemClock } from '../../src/clock/index.js';
import { applyStatusEventNow, CallSignals, sqliteCallUnits, webhookUrls, type CallDeps, type StatusPayload } from '../../src/calls/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { runCampaign, SqliteRunStore, type CampaignResult, type DialerDeps } from '../../src/dialer/index.js';
import type { CallListQuery, CreateCallRequest, CreateCallResult, GetCallResult, HangupResult, ListCallsResult, ProviderCall, ProviderFailure, Telephony } from '../../src/telephony/index.js';
import { TARIFF } from './dialer.js';
import type { TestEnv } from './factories.js';

/** What the fake provider does with a created call: end it at once with this status, or leave it live. */
export type FakeOutcome = StatusPayload | 'live';

/**
 * An in-process provider for unit tests of the dialer loop (end-to-end tests use the sandbox). It
 * records create requests, keeps a status per uuid for GET /v1/calls/:uuid and a call list for GET
 * /v1/calls, and delivers the outcome chosen per number as a status event, as the webhook handler
 * would.
 */
export class FakeTelephony implements Telephony {
  readonly created: CreateCallRequest[] = [];
  readonly gets: string[] = [];
  readonly calls = new Map<string, ProviderCall>();
  /** The call list: every call created, and those a test lists as made by an earlier process. */
  readonly listed: { uuid: string; at: number }[] = [];
  /** Every GET /v1/calls asked. */
  readonly lists: CallListQuery[] = [];
  /** When set, GET /v1/calls fails with it (the provider cannot answer). */
  listFailure: ProviderFailure | undefined;
  /** Failures the next GET /v1/calls/:uuid requests get, one each, before the provider answers again. */
  readonly getFailures: ProviderFailure[] = [];
  /** Failures the next create requests get, one each (a 429, say), before the provider creates again. */
  readonly createFailures: ProviderFailure[] = [];
  #deps: CallDeps | undefined;
  readonly #outcome: (request: CreateCallRequest) => FakeOutcome;

  constructor(outcome: (request: CreateCallRequest) => FakeOutcome = () => ({ status: 'busy' })) {
    this.#outcome = outcome;
  }

  attach(deps: CallDeps): void {
    this.#deps = deps;
  }

  /** Numbers dialled, in order ('+48…'). */
  get dialled(): string[] {
    return this.created.map((r) => r.toE164);
  }

  async createCall(request: CreateCallRequest): Promise<CreateCallResult> {
    const failure = this.createFailures.shift();
    if (failure) return { ok: false, failure };
    this.created.push(request);
    const uuid = randomUUID();
    this.calls.set(uuid, providerCall(uuid, 'started', {}, request.toE164));
    this.listed.push({ uuid, at: this.#deps?.clock.now() ?? 0 });
    const outcome = this.#outcome(request);
    if (outcome !== 'live') {
      // After the 201, as the provider's webhooks would arrive.
      setImmediate(() => void this.deliver(refOf(request.eventUrl), { ...outcome, uuid }));
    }
    return { ok: true, uuid, conversationUuid: undefined };
  }

  async getCall(uuid: string): Promise<GetCallResult> {
    this.gets.push(uuid);
    const failure = this.getFailures.shift();
    if (failure) return { ok: false, failure };
    const call = this.calls.get(uuid);
    if (!call) return { ok: false, failure: { kind: 'not_found', status: 404, message: 'Not Found', retryable: false } };
    return { ok: true, call };
  }

  async listCalls(query: CallListQuery): Promise<ListCallsResult> {
    this.lists.push(query);
    if (this.listFailure) return { ok: false, failure: this.listFailure };
    const matching = this.listed.filter((l) => l.at >= query.fromMs && l.at <= query.toMs).map((l) => this.calls.get(l.uuid)!);
    const next = query.recordIndex + query.pageSize;
    return { ok: true, page: { calls: matching.slice(query.recordIndex, next), total: matching.length, nextRecordIndex: next < matching.length ? next : undefined } };
  }

  /** A call an earlier process created (to `phone`, dated `at`), as GET /v1/calls and GET /v1/calls/:uuid show it. */
  list(uuid: string, phone: string, at: number, status = 'started', payload: Partial<StatusPayload> = {}): void {
    this.calls.set(uuid, providerCall(uuid, status, payload, phone));
    this.listed.push({ uuid, at });
  }

  /** As the provider: a call it knows is hung up (even one already over); an unknown uuid is not found. */
  async hangupCall(uuid: string): Promise<HangupResult> {
    if (!this.calls.has(uuid)) return { ok: false, failure: { kind: 'not_found', status: 404, message: 'Not Found', retryable: false } };
    return { ok: true };
  }

  /** A status event for the attempt with this ref, through the same function the webhook uses. */
  async deliver(ref: string, payload: StatusPayload): Promise<void> {
    const deps = this.#deps!;
    if (payload.uuid) this.calls.set(payload.uuid, providerCall(payload.uuid, payload.status, payload, this.calls.get(payload.uuid)?.toNumber));
    const call = await deps.units.stores.calls.byRef(ref);
    if (!call) throw new Error(`no call with ref ${ref}`);
    await applyStatusEventNow(deps, call, payload, deps.clock.now());
  }
}

export const RATE_LIMITED: ProviderFailure = { kind: 'rate_limited', status: 429, message: 'Too Many Requests', retryable: true };

export function providerCall(uuid: string, status: string, payload: Partial<StatusPayload> = {}, phone?: string): ProviderCall {
  return {
    uuid,
    status,
    toNumber: phone?.replace(/^\+/, ''),
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
  return { runs: new SqliteRunStore(env.database), units: sqliteCallUnits(env.database), clock: env.clock, logger: env.logger, signals: new CallSignals(), lists: new ListSettingsBook(sqliteReader(env.database), { defaultTariff: TARIFF }) };
}

/**
 * runCampaign on one list with the fake provider. The pace limiter runs on real time (a manual
 * clock would hold it), so lists under test use a high cps; `maxIdleWaitMs: 0` returns `paused` as
 * soon as nothing is due now.
 */
export function runWithFake(
  deps: DialerDeps,
  telephony: FakeTelephony,
  listId: number,
  options: { signal?: AbortSignal; maxIdleWaitMs?: number; drainTimeoutMs?: number; onStartsSettled?: () => void } = {},
): Promise<CampaignResult> {
  telephony.attach(deps);
  return runCampaign(deps, {
    listId,
    telephony,
    urls: webhookUrls('https://dialer.example'),
    fromNumber: '447700900000',
    rateClock: systemClock,
    maxIdleWaitMs: options.maxIdleWaitMs ?? 0,
    drainTimeoutMs: options.drainTimeoutMs ?? 0,
    signal: options.signal,
    onStartsSettled: options.onStartsSettled,
  });
}
