/** Our view of the telephony provider: what the dialer needs, in our vocabulary. */

export interface CreateCallRequest {
  /** E.164 with the plus, as stored on the contact. */
  toE164: string;
  /** Digits only, as configured. */
  fromNumber: string;
  answerUrl: string;
  answerMethod: 'GET' | 'POST';
  eventUrl: string;
  machineDetection: 'hangup' | 'continue';
  ringingTimerSeconds: number;
  lengthTimerSeconds: number;
}

export type ProviderFailureKind = 'rate_limited' | 'server_error' | 'network' | 'unauthorized' | 'invalid_request' | 'not_found';

/** A request the provider did not carry out; data, because 429s and 5xx are part of normal life. */
export interface ProviderFailure {
  kind: ProviderFailureKind;
  /** HTTP status when there was a response. */
  status: number | undefined;
  message: string;
  /** The same request may succeed later (429, 5xx, network). */
  retryable: boolean;
}

export type CreateCallResult = { ok: true; uuid: string; conversationUuid: string | undefined } | { ok: false; failure: ProviderFailure };

/** A call as the provider reports it (GET /v1/calls/:uuid and the call list), money in micro-units. */
export interface ProviderCall {
  uuid: string;
  status: string;
  /** The callee's number, digits only as the provider writes it ('48501234567'). */
  toNumber: string | undefined;
  durationSeconds: number | undefined;
  rateMicros: number | undefined;
  priceMicros: number | undefined;
  startTimeMs: number | undefined;
  endTimeMs: number | undefined;
  network: string | undefined;
}

export type GetCallResult = { ok: true; call: ProviderCall } | { ok: false; failure: ProviderFailure };

/** One page of the provider's call list (GET /v1/calls), oldest first. */
export interface CallListQuery {
  /** Calls the provider dates at or after this instant (epoch ms; sent as `date_start`). */
  fromMs: number;
  /** ... and at or before this one (`date_end`). */
  toMs: number;
  /** Zero-based index of the page's first call in the whole list (`record_index`). */
  recordIndex: number;
  /** Calls per page, 1 to 100 (`page_size`). */
  pageSize: number;
}

export interface CallListPage {
  calls: ProviderCall[];
  /** Calls matching the query in all pages. */
  total: number;
  /** The record index of the next page; undefined on the last one. */
  nextRecordIndex: number | undefined;
}

export type ListCallsResult = { ok: true; page: CallListPage } | { ok: false; failure: ProviderFailure };
export type HangupResult = { ok: true } | { ok: false; failure: ProviderFailure };

/** The seam between the dialer and a provider; VonageTelephony is the production implementation. */
export interface Telephony {
  createCall(request: CreateCallRequest): Promise<CreateCallResult>;
  getCall(uuid: string): Promise<GetCallResult>;
  listCalls(query: CallListQuery): Promise<ListCallsResult>;
  hangupCall(uuid: string): Promise<HangupResult>;
}

/**
 * Spaces the requests the provider counts against its limit for everything but creates (Vonage: 15
 * a second, reference §9). The dialer's RollingWindowLimiter has this shape.
 */
export interface RequestPacer {
  /** Waits for a turn; the turn is released once the response is in. */
  acquire(signal?: AbortSignal): Promise<{ release(): void }>;
  /** After a refusal: no request starts for `ms`. */
  backoff(ms: number): void;
}
