import type { AuthInterface } from '@vonage/auth';
import { Vonage } from '@vonage/server-sdk';
import { HttpMethod, MachineDetectionBehavior } from '@vonage/voice';
import type { Logger } from '../logging/index.js';
import { decimalToMicros, parseProviderTime, parseSeconds } from './money.js';
import type {
  CallListQuery,
  CreateCallRequest,
  CreateCallResult,
  GetCallResult,
  HangupResult,
  ListCallsResult,
  ProviderCall,
  ProviderFailure,
  RequestPacer,
  Telephony,
} from './types.js';

export interface VonageTelephonyOptions {
  /** Signs every REST request (see ReusingAuth). */
  auth: AuthInterface;
  /** e.g. https://api.nexmo.com or the sandbox's http://127.0.0.1:4010 (no trailing slash). */
  apiHost: string;
  /** Per-request timeout; the SDK has none by default, and a hung request would hold a call slot. */
  requestTimeoutMs?: number;
  /**
   * Paces every request but creates (look-ups, the call list, hang-ups) and retries a look-up the
   * provider refused. The dialer's runtime passes one limiter for the whole process at the
   * provider's 15 a second (reference §9); without one (the create worker, which only creates),
   * nothing is paced or retried.
   */
  pacer?: RequestPacer | undefined;
  logger: Logger;
}

/** Requests other than creates the provider accepts per rolling second (reference §9). */
export const VONAGE_OTHER_REQUESTS_PER_SECOND = 15;

/** Tries of a look-up refused with 429, a 5xx or a network error, the first included. */
const LOOKUP_TRIES = 6;
/** The pause before the second try, in ms, doubled before each further one: 0.25 s … 4 s, 7.75 s in all. */
const FIRST_LOOKUP_BACKOFF_MS = 250;

type LookUp<T> = { ok: true; value: T } | { ok: false; failure: ProviderFailure };

/** The production Telephony: the real @vonage/server-sdk, pointed at `apiHost`. */
export class VonageTelephony implements Telephony {
  readonly #vonage: Vonage;
  readonly #apiHost: string;
  readonly #pacer: RequestPacer | undefined;
  readonly #logger: Logger;

  constructor(options: VonageTelephonyOptions) {
    this.#vonage = new Vonage(options.auth, { apiHost: options.apiHost, timeout: options.requestTimeoutMs ?? 10_000 });
    this.#apiHost = options.apiHost;
    this.#pacer = options.pacer;
    this.#logger = options.logger;
  }

  async createCall(request: CreateCallRequest): Promise<CreateCallResult> {
    try {
      const result = await this.#vonage.voice.createOutboundCall({
        to: [{ type: 'phone', number: request.toE164.replace(/^\+/, '') }],
        from: { type: 'phone', number: request.fromNumber },
        answerUrl: [request.answerUrl],
        answerMethod: request.answerMethod === 'POST' ? HttpMethod.POST : HttpMethod.GET,
        eventUrl: [request.eventUrl],
        eventMethod: HttpMethod.POST,
        machineDetection: request.machineDetection === 'hangup' ? MachineDetectionBehavior.HANGUP : MachineDetectionBehavior.CONTINUE,
        ringingTimer: request.ringingTimerSeconds,
        lengthTimer: request.lengthTimerSeconds,
      });
      // The SDK camel-cases the response but keeps the snake keys; take whichever is there.
      const raw = result as unknown as { uuid?: string; conversationUUID?: string; conversation_uuid?: string };
      if (!raw.uuid) return { ok: false, failure: { kind: 'server_error', status: 201, message: 'create response without uuid', retryable: true } };
      return { ok: true, uuid: raw.uuid, conversationUuid: raw.conversationUUID ?? raw.conversation_uuid };
    } catch (error) {
      return { ok: false, failure: await this.#failure(error, 'create call') };
    }
  }

  async getCall(uuid: string): Promise<GetCallResult> {
    const result = await this.#lookUp('get call', () => this.#vonage.voice.getCall(uuid));
    if (!result.ok) return result;
    return { ok: true, call: providerCall(result.value as unknown as Record<string, unknown>, uuid) };
  }

  async listCalls(query: CallListQuery): Promise<ListCallsResult> {
    const result = await this.#lookUp('list calls', () =>
      this.#vonage.voice.getCallsPage({
        dateStart: isoSeconds(Math.floor(query.fromMs / 1000)),
        dateEnd: isoSeconds(Math.ceil(query.toMs / 1000)),
        recordIndex: query.recordIndex,
        pageSize: query.pageSize,
        order: 'asc',
      }),
    );
    if (!result.ok) return result;
    // getCallsPage hands back the raw snake_case body (reference §0).
    const body = result.value as unknown as { count?: unknown; _embedded?: { calls?: unknown }; _links?: { next?: { href?: unknown } } };
    const raw = Array.isArray(body._embedded?.calls) ? (body._embedded.calls as Record<string, unknown>[]) : [];
    const calls = raw.filter((call) => typeof call.uuid === 'string').map((call) => providerCall(call, String(call.uuid)));
    const href = body._links?.next?.href;
    // The next page's index is in its link; a link that does not move forward ends the walk.
    const next = typeof href === 'string' ? Number(new URL(href, this.#apiHost).searchParams.get('record_index') ?? query.recordIndex + raw.length) : undefined;
    return {
      ok: true,
      page: {
        calls,
        total: typeof body.count === 'number' ? body.count : calls.length,
        nextRecordIndex: next !== undefined && Number.isInteger(next) && next > query.recordIndex ? next : undefined,
      },
    };
  }

  async hangupCall(uuid: string): Promise<HangupResult> {
    const turn = await this.#pacer?.acquire();
    try {
      await this.#vonage.voice.hangupCall(uuid);
      return { ok: true };
    } catch (error) {
      return { ok: false, failure: await this.#failure(error, 'hang up call') };
    } finally {
      turn?.release();
    }
  }

  /**
   * A read request at the pacer's pace. A refusal that may pass (429, 5xx, no answer) is tried
   * again after a growing pause, which holds every other look-up too: the provider asked us to
   * slow down, or is not answering anyone.
   */
  async #lookUp<T>(what: string, send: () => Promise<T>): Promise<LookUp<T>> {
    for (let tries = 1; ; tries++) {
      const result = await this.#paced(what, send);
      if (result.ok || !this.#pacer || !result.failure.retryable || tries >= LOOKUP_TRIES) return result;
      const backoffMs = FIRST_LOOKUP_BACKOFF_MS * 2 ** (tries - 1);
      this.#pacer.backoff(backoffMs);
      this.#logger.warn('provider refused a look-up; retrying', { what, kind: result.failure.kind, status: result.failure.status, tries, backoffMs });
    }
  }

  async #paced<T>(what: string, send: () => Promise<T>): Promise<LookUp<T>> {
    const turn = await this.#pacer?.acquire();
    try {
      return { ok: true, value: await send() };
    } catch (error) {
      return { ok: false, failure: await this.#failure(error, what) };
    } finally {
      turn?.release();
    }
  }

  /** Turns the SDK's VetchError (or a network error) into a ProviderFailure. */
  async #failure(error: unknown, what: string): Promise<ProviderFailure> {
    const response = (error as { response?: { status?: number; text?: () => Promise<string> } }).response;
    const status = typeof response?.status === 'number' ? response.status : undefined;
    let body = '';
    try {
      body = (await response?.text?.())?.slice(0, 500) ?? '';
    } catch {
      // The body may already be consumed or the socket gone; the status is what matters.
    }
    const message = `${what} failed${status ? ` with HTTP ${status}` : ''}: ${body || (error as Error).message}`;
    const failure: ProviderFailure =
      status === undefined
        ? { kind: 'network', status, message, retryable: true }
        : status === 429
          ? { kind: 'rate_limited', status, message, retryable: true }
          : status >= 500
            ? { kind: 'server_error', status, message, retryable: true }
            : status === 401 || status === 403
              ? { kind: 'unauthorized', status, message, retryable: false }
              : status === 404
                ? { kind: 'not_found', status, message, retryable: false }
                : { kind: 'invalid_request', status, message, retryable: false };
    if (failure.kind !== 'rate_limited') this.#logger.warn('provider request failed', { what, kind: failure.kind, status, detail: message });
    return failure;
  }
}

/** The provider's call object (GET /v1/calls/:uuid, or one item of the list) in our terms. */
function providerCall(detail: Record<string, unknown>, uuid: string): ProviderCall {
  const to = detail.to as { number?: unknown } | undefined;
  return {
    uuid: String(detail.uuid ?? uuid),
    status: String(detail.status ?? ''),
    toNumber: typeof to?.number === 'string' ? to.number : undefined,
    durationSeconds: parseSeconds(detail.duration),
    rateMicros: decimalToMicros(detail.rate),
    priceMicros: decimalToMicros(detail.price),
    startTimeMs: parseProviderTime(detail.start_time ?? detail.startTime),
    endTimeMs: parseProviderTime(detail.end_time ?? detail.endTime),
    network: typeof detail.network === 'string' ? detail.network : undefined,
  };
}

/** '2026-01-05T10:00:00Z': the list's date filters as the reference's examples write them. */
function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
