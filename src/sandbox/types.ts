import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { BodilessPayloadHash } from './auth.js';
import type { FaultOptions, PopulationOptions, Scenario, SpeechOptions } from './scenario.js';
import type { RedeliveryToken } from './webhooks.js';

/** Vonage call-leg statuses the sandbox reports on the event_url and in GET /v1/calls. */
export const CALL_STATUSES = [
  'started',
  'ringing',
  'answered',
  'completed',
  'busy',
  'cancelled',
  'failed',
  'rejected',
  'timeout',
  'unanswered',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Statuses after which nothing more happens to a leg. */
export const TERMINAL_STATUSES = ['completed', 'busy', 'cancelled', 'failed', 'rejected', 'timeout', 'unanswered'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export interface SandboxOptions {
  /** JWTs on REST requests must carry this application_id; callbacks carry it too. */
  applicationId: string;
  /** PEM; requests are verified (RS256) with the public key derived from it. */
  privateKey: string;
  /** HS256 secret the sandbox signs callbacks with, as Vonage does with the account signature secret. */
  signatureSecret: string;
  /** Goes into the callback claims. Default 'sandbox'. */
  apiKey?: string;
  /** 0 = ephemeral (default). The server always binds 127.0.0.1. */
  port?: number;
  /** POST /v1/calls accepted per rolling real-time second; more get 429. Default 3. */
  cps?: number;
  /** Other /v1/calls requests per rolling real-time second. Default 15. */
  otherRequestsPerSecond?: number;
  /** Simultaneous live calls; a create beyond it gets 429. Unlimited by default, as on Vonage. */
  maxLiveCalls?: number;
  /** Simulated seconds per real second (default 1). Rate limits and webhook timeouts stay real. */
  timeScale?: number;
  /** Wall time for timestamps and call retention. Default: system time running `timeScale` times faster. */
  clock?: Clock;
  /**
   * Wall time stamped into each callback token's `iat`. Default: the system clock, as Vonage's
   * real clock, whatever `clock` and `timeScale` simulate; the application reads a token's age on
   * the system clock too. A test whose application reads it on a manual clock passes that clock.
   */
  tokenClock?: Clock;
  /** `payload_hash` of a bodiless (GET) callback: `empty-body` (default) or `omitted` (UNCONFIRMED, reference §8). */
  bodilessPayloadHash?: BodilessPayloadHash;
  /** Whether retries and duplicate deliveries are signed anew (`new`, default) or carry the first token (`same`); UNCONFIRMED. */
  redeliveryToken?: RedeliveryToken;
  /** Same seed and scenario give the same outcome per number and attempt, whatever the call order. Default 1. */
  seed?: number;
  /** Explicit callees by number; its `population` and `faults` are defaults under the options' own. */
  scenario?: Scenario;
  /** Seeded random behaviour for numbers the scenario does not list. */
  population?: PopulationOptions;
  faults?: FaultOptions;
  /** Speech recognition, transcription and speech audio; overrides the scenario's `speech` field by field. */
  speech?: SpeechOptions;
  /** Price per minute reported on completed calls, 8 decimals. Default '0.01400000'. */
  ratePerMinute?: string;
  /** Real milliseconds the sandbox waits for the answer_url to return an NCCO before a retry. Default 5000. */
  answerWebhookTimeoutMs?: number;
  /** Real milliseconds the sandbox waits for any other webhook before a retry. Default 10000. */
  eventWebhookTimeoutMs?: number;
  /** Largest length_timer accepted on create (the limit is UNCONFIRMED: 7200 in the 2021 spec). Default 7200. */
  maxLengthTimerSeconds?: number;
  logger?: Logger;
}

export interface WebhookStats {
  /** HTTP requests made, including retries and duplicates. */
  sent: number;
  /** Deliveries that never got a 2xx, after retries. */
  failed: number;
  /** Extra attempts made after a 5xx, 429, timeout or connection error. */
  retried: number;
  /** Status webhooks the `dropStatusRate` fault swallowed. */
  dropped: number;
  /** Deliveries sent a second time by the `duplicateRate` fault. */
  duplicated: number;
}

export interface SandboxStats {
  callsCreated: number;
  activeCalls: number;
  /** Calls that ended, by terminal status. */
  completedByOutcome: Record<TerminalStatus, number>;
  /** Answered calls where a machine answered (whether or not detection was asked for). */
  answeredByMachine: number;
  /** 429 responses of any kind (CPS, other verbs, storms, live-call limit). */
  rateLimited: number;
  /** Of those, the 429s to GET/PUT requests past the 15 a second of the other verbs (reference §9). */
  otherRequestsRateLimited: number;
  /** 429 responses because `maxLiveCalls` was reached. */
  liveCallLimitRejected: number;
  /** 5xx responses injected by the `createServerErrorRate` fault. */
  serverErrors: number;
  unauthorized: number;
  badRequests: number;
  /** Most POST /v1/calls requests (authenticated, before any limit) seen in any rolling real second. */
  maxCreatesInAnyRollingSecond: number;
  /** Most calls live at the same moment. */
  maxLiveCalls: number;
  /** Most live calls to one number at the same moment; above 1 means someone was dialled twice at once. */
  maxConcurrentCallsPerNumber: number;
  webhooks: WebhookStats;
  recordingDownloads: number;
  /** Every invalid or unsupported NCCO the app sent, with the call and the reason. */
  nccoProblems: string[];
}

export interface SandboxTimelineEntry {
  status: string;
  /** ISO-8601 wall time of the event. */
  timestamp: string;
  /** Simulated seconds since the call was created. */
  atSeconds: number;
}

export interface SandboxInputRecord {
  /** Zero-based index of the input action within the call. */
  prompt: number;
  digits: string;
  timedOut: boolean;
  /** Only for a speech-only input: the recognised text ('' when the callee said nothing). */
  speechText?: string;
  /** The input webhook got a 2xx (after the provider's retries): the app has the keys. */
  delivered: boolean;
}

export interface SandboxRecordingRecord {
  fileId: string;
  recordingUuid: string;
  url: string;
  format: 'mp3' | 'wav' | 'ogg';
  durationSeconds: number;
  sizeBytes: number;
}

export interface SandboxCallRecord {
  uuid: string;
  conversationUuid: string;
  to: string;
  from: string;
  /** One-based attempt number for this destination within this sandbox. */
  attempt: number;
  /** What the virtual callee was scripted to do. */
  scriptedOutcome: string;
  status: CallStatus;
  timeline: SandboxTimelineEntry[];
  answered: boolean;
  /** True/false once machine detection ran, null when it was not asked for. */
  machine: boolean | null;
  inputs: SandboxInputRecord[];
  recordings: SandboxRecordingRecord[];
  /** Billed seconds from answer to hang-up; null until the call completes. */
  durationSeconds: number | null;
  price: string | null;
  rate: string | null;
  disconnectedBy: 'user' | 'platform' | null;
  nccoProblems: string[];
}

export interface Sandbox {
  /** Base URL without a trailing slash, for the SDK's `apiHost`. */
  url: string;
  port: number;
  stats(): SandboxStats;
  calls(): SandboxCallRecord[];
  /** Resolves once no call is live and no webhook is pending. */
  onIdle(): Promise<void>;
  close(): Promise<void>;
}
