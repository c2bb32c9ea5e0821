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

/** A call as the provider reports it (GET /v1/calls/:uuid), money in micro-units. */
export interface ProviderCall {
  uuid: string;
  status: string;
  durationSeconds: number | undefined;
  rateMicros: number | undefined;
  priceMicros: number | undefined;
  startTimeMs: number | undefined;
  endTimeMs: number | undefined;
  network: string | undefined;
}

export type GetCallResult = { ok: true; call: ProviderCall } | { ok: false; failure: ProviderFailure };
export type HangupResult = { ok: true } | { ok: false; failure: ProviderFailure };

/** The seam between the dialer and a provider; VonageTelephony is the production implementation. */
export interface Telephony {
  createCall(request: CreateCallRequest): Promise<CreateCallResult>;
  getCall(uuid: string): Promise<GetCallResult>;
  hangupCall(uuid: string): Promise<HangupResult>;
}
