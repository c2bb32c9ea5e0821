import type { AuthInterface } from '@vonage/auth';
import { Vonage } from '@vonage/server-sdk';
import { HttpMethod, MachineDetectionBehavior } from '@vonage/voice';
import type { Logger } from '../logging/index.js';
import { decimalToMicros, parseProviderTime, parseSeconds } from './money.js';
import type { CreateCallRequest, CreateCallResult, GetCallResult, HangupResult, ProviderFailure, Telephony } from './types.js';

export interface VonageTelephonyOptions {
  /** Signs every REST request (see ReusingAuth). */
  auth: AuthInterface;
  /** e.g. https://api.nexmo.com or the sandbox's http://127.0.0.1:4010 (no trailing slash). */
  apiHost: string;
  /** Per-request timeout; the SDK has none by default, and a hung request would hold a call slot. */
  requestTimeoutMs?: number;
  logger: Logger;
}

/** The production Telephony: the real @vonage/server-sdk, pointed at `apiHost`. */
export class VonageTelephony implements Telephony {
  readonly #vonage: Vonage;
  readonly #logger: Logger;

  constructor(options: VonageTelephonyOptions) {
    this.#vonage = new Vonage(options.auth, { apiHost: options.apiHost, timeout: options.requestTimeoutMs ?? 10_000 });
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
    try {
      const detail = (await this.#vonage.voice.getCall(uuid)) as unknown as Record<string, unknown>;
      return {
        ok: true,
        call: {
          uuid: String(detail.uuid ?? uuid),
          status: String(detail.status ?? ''),
          durationSeconds: parseSeconds(detail.duration),
          rateMicros: decimalToMicros(detail.rate),
          priceMicros: decimalToMicros(detail.price),
          startTimeMs: parseProviderTime(detail.start_time ?? detail.startTime),
          endTimeMs: parseProviderTime(detail.end_time ?? detail.endTime),
          network: typeof detail.network === 'string' ? detail.network : undefined,
        },
      };
    } catch (error) {
      return { ok: false, failure: await this.#failure(error, 'get call') };
    }
  }

  async hangupCall(uuid: string): Promise<HangupResult> {
    try {
      await this.#vonage.voice.hangupCall(uuid);
      return { ok: true };
    } catch (error) {
      return { ok: false, failure: await this.#failure(error, 'hang up call') };
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
