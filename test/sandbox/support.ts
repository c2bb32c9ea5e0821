import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@vonage/jwt';
import { Vonage } from '@vonage/server-sdk';
import express from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';

export const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
export const SIGNATURE_SECRET = 'sandbox-test-signature-secret-0123456789';
export const FROM_NUMBER = '447700900000';

let cachedKeys: { privateKey: string; otherPrivateKey: string } | undefined;

/** Two RSA key pairs per test file: the application's, and a stranger's for the 401 cases. */
export function testKeys(): { privateKey: string; otherPrivateKey: string } {
  const make = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
  cachedKeys ??= { privateKey: make(), otherPrivateKey: make() };
  return cachedKeys;
}

/**
 * A sandbox with test credentials; simulated time runs 500× so a two-minute call takes ~0.25 s.
 * Speech audio synthesis is off unless a test asks for it (`speech: { synthesis: 'espeak' }`).
 */
export function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return startSandbox({
    applicationId: APPLICATION_ID,
    privateKey: testKeys().privateKey,
    signatureSecret: SIGNATURE_SECRET,
    apiKey: 'testkey',
    timeScale: 500,
    ...options,
    speech: { synthesis: 'off', ...options.speech },
  });
}

export function vonageFor(sandbox: Sandbox, privateKey = testKeys().privateKey, applicationId = APPLICATION_ID): Vonage {
  return new Vonage({ applicationId, privateKey }, { apiHost: sandbox.url });
}

export interface Captured {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The JSON body of a POST, or the query of a GET. */
  payload: Record<string, unknown>;
  /** Arrival order across all paths. */
  sequence: number;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** Never answer (to exercise timeouts); the connection is left hanging until close. */
  hang?: boolean;
}

export type Handler = (request: Captured) => Reply | undefined | Promise<Reply | undefined>;

/**
 * The app side of the wire: an express server on 127.0.0.1 that records every callback with its
 * raw body and answers through per-path handlers (matched by prefix, longest first).
 */
export class Receiver {
  readonly requests: Captured[] = [];
  readonly handlers = new Map<string, Handler>();
  #server: Server | undefined;
  #sequence = 0;
  #waiters: { predicate: (c: Captured) => boolean; resolve: (c: Captured) => void }[] = [];
  url = '';

  async start(): Promise<this> {
    const app = express();
    app.use(express.raw({ type: () => true }));
    app.all(/.*/, async (req, res) => {
      const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
      const captured: Captured = {
        method: req.method,
        path: req.path,
        query,
        headers: req.headers,
        rawBody,
        payload: req.method === 'POST' && rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : query,
        sequence: this.#sequence++,
      };
      this.requests.push(captured);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(captured)) {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          waiter.resolve(captured);
        }
      }
      const key = [...this.handlers.keys()].sort((a, b) => b.length - a.length).find((prefix) => req.path.startsWith(prefix));
      const reply = (key ? await this.handlers.get(key)!(captured) : undefined) ?? { status: 204 };
      if (reply.hang) return;
      if (reply.body === undefined) res.status(reply.status ?? 204).end();
      else res.status(reply.status ?? 200).json(reply.body);
    });
    await new Promise<void>((resolve) => {
      this.#server = app.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
    return this;
  }

  on(pathPrefix: string, handler: Handler): this {
    this.handlers.set(pathPrefix, handler);
    return this;
  }

  /** Callbacks to the event path for one call, in arrival order. */
  events(callUuid?: string): Captured[] {
    return this.requests.filter(
      (r) => r.path === '/event' && (callUuid === undefined || r.payload.uuid === callUuid || r.payload.call_uuid === callUuid),
    );
  }

  statuses(callUuid: string): string[] {
    return this.events(callUuid)
      .map((r) => r.payload.status)
      .filter((s): s is string => typeof s === 'string');
  }

  at(path: string): Captured[] {
    return this.requests.filter((r) => r.path === path);
  }

  waitFor(predicate: (c: Captured) => boolean): Promise<Captured> {
    const found = this.requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/**
 * A minimal NPS IVR like the dialer's: greeting + score input, up to two re-prompts on an invalid
 * answer, then a comment recording and a goodbye; '*' opts out.
 */
export function installIvr(receiver: Receiver, options: { recordFormat?: 'mp3' | 'wav'; transcription?: boolean } = {}): Receiver {
  const input = (attempt: number) => ({
    action: 'input',
    type: ['dtmf'],
    dtmf: { maxDigits: 2, submitOnHash: true, timeOut: 5 },
    eventUrl: [`${receiver.url}/input?step=score&try=${attempt}`],
    eventMethod: 'POST',
  });
  receiver.on('/answer', () => ({
    body: [
      { action: 'talk', text: 'Hello, this is Acme calling with a one-question survey.', language: 'en-GB', bargeIn: true },
      { action: 'talk', text: 'How likely are you to recommend us? Press 0 to 10, then hash.', bargeIn: true },
      input(1),
    ],
  }));
  receiver.on('/input', (request) => {
    const dtmf = request.payload.dtmf as { digits: string } | undefined;
    const attempt = Number(request.query.try ?? 1);
    const digits = dtmf?.digits ?? '';
    if (digits === '*') return { body: [{ action: 'talk', text: 'We will not call you again. Goodbye.' }] };
    if (/^(10|[0-9])$/.test(digits)) {
      return {
        body: [
          { action: 'talk', text: 'Thank you. Please tell us why after the beep.' },
          {
            action: 'record',
            format: options.recordFormat ?? 'mp3',
            endOnKey: '#',
            endOnSilence: 3,
            timeOut: 60,
            beepStart: true,
            eventUrl: [`${receiver.url}/recording`],
            eventMethod: 'POST',
            ...(options.transcription ? { transcription: { language: 'en-US' } } : {}),
          },
          { action: 'talk', text: 'Goodbye' },
        ],
      };
    }
    if (attempt < 3) return { body: [{ action: 'talk', text: 'Sorry, please press a number from 0 to 10.', bargeIn: true }, input(attempt + 1)] };
    return { body: [{ action: 'talk', text: 'Goodbye' }] };
  });
  return receiver;
}

export async function startIvr(options: Parameters<typeof installIvr>[1] = {}): Promise<Receiver> {
  return installIvr(await new Receiver().start(), options);
}

export type OutboundCall = Parameters<Vonage['voice']['createOutboundCall']>[0];

/** The create request the dialer sends, through the SDK's camelCase input. */
export function surveyCall(receiver: Receiver, to: string, extra: Record<string, unknown> = {}): OutboundCall {
  return {
    to: [{ type: 'phone' as const, number: to }],
    from: { type: 'phone' as const, number: FROM_NUMBER },
    answerUrl: [`${receiver.url}/answer`],
    answerMethod: 'POST',
    eventUrl: [`${receiver.url}/event`],
    eventMethod: 'POST',
    ringingTimer: 30,
    lengthTimer: 300,
    ...extra,
  } as unknown as OutboundCall;
}

// ---- documented payload shapes (reference §4-§6), strict: an extra or missing field fails -------

const digitsString = z.string().regex(/^\d{7,15}$/);
const isoMs = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const isoNoMs = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
const money = z.string().regex(/^\d+\.\d{8}$/);
const base = {
  from: digitsString,
  to: digitsString,
  uuid: z.string().min(1),
  conversation_uuid: z.string().regex(/^CON-/),
  direction: z.literal('outbound'),
  timestamp: isoMs,
};

export const PAYLOAD_SHAPES = {
  started: z.strictObject({ ...base, status: z.literal('started') }),
  ringing: z.strictObject({ ...base, status: z.literal('ringing') }),
  answered: z.strictObject({ ...base, status: z.literal('answered'), start_time: z.null(), rate: z.null(), network: z.null() }),
  completed: z.strictObject({
    ...base,
    status: z.literal('completed'),
    start_time: isoMs,
    end_time: isoMs,
    duration: z.string().regex(/^\d+$/),
    rate: money,
    price: money,
    network: z.string().min(1),
    disconnected_by: z.enum(['user', 'platform']),
  }),
  failure: z.strictObject({
    ...base,
    status: z.enum(['busy', 'unanswered', 'rejected', 'failed']),
    detail: z.string().min(1),
    sip_code: z.number().int(),
  }),
  timeoutOrCancelled: z.strictObject({ ...base, status: z.enum(['timeout', 'cancelled']) }),
  detection: z.strictObject({
    call_uuid: z.string().min(1),
    from: digitsString,
    to: digitsString,
    status: z.enum(['human', 'machine']),
    sub_state: z.enum(['beep_start', 'beep_timeout']).optional(),
    conversation_uuid: z.string().regex(/^CON-/),
    timestamp: isoMs,
  }),
  answer: z.strictObject({ to: digitsString, from: digitsString, uuid: z.string().min(1), conversation_uuid: z.string().regex(/^CON-/), region_url: z.string().url() }),
  input: z.strictObject({
    speech: z.object({}).loose(),
    dtmf: z.strictObject({ digits: z.string().regex(/^[0-9*]*$/), timed_out: z.boolean() }),
    from: digitsString,
    to: digitsString,
    uuid: z.string().min(1),
    conversation_uuid: z.string().regex(/^CON-/),
    timestamp: isoMs,
  }),
  record: z.strictObject({
    start_time: isoNoMs,
    recording_url: z.string().url(),
    size: z.number().int().positive(),
    recording_uuid: z.string().min(1),
    end_time: isoNoMs,
    conversation_uuid: z.string().regex(/^CON-/),
    timestamp: isoMs,
  }),
  transcription: z.strictObject({
    conversation_uuid: z.string().regex(/^CON-/),
    recording_uuid: z.string().min(1),
    status: z.literal('transcribed'),
    transcription_url: z.string().url(),
    type: z.literal('record'),
    timestamp: isoMs,
  }),
  error: z.strictObject({ reason: z.string().min(1), conversation_uuid: z.string().regex(/^CON-/), timestamp: isoMs }),
};

/** The shape a status event must have, chosen by its status. */
export function shapeForEvent(payload: Record<string, unknown>): z.ZodType {
  switch (payload.status) {
    case 'started':
      return PAYLOAD_SHAPES.started;
    case 'ringing':
      return PAYLOAD_SHAPES.ringing;
    case 'answered':
      return PAYLOAD_SHAPES.answered;
    case 'completed':
      return PAYLOAD_SHAPES.completed;
    case 'human':
    case 'machine':
      return PAYLOAD_SHAPES.detection;
    case 'timeout':
    case 'cancelled':
      return PAYLOAD_SHAPES.timeoutOrCancelled;
    case undefined:
      return PAYLOAD_SHAPES.error;
    default:
      return PAYLOAD_SHAPES.failure;
  }
}

export interface SignatureCheck {
  verifies: boolean;
  hashMatches: boolean;
  claims: Record<string, unknown>;
}

/** Checks a callback the way the dialer must: verifySignature on the raw token, then payload_hash. */
export function checkSignature(request: Captured, secret = SIGNATURE_SECRET): SignatureCheck {
  const header = String(request.headers.authorization ?? '');
  const token = header.split(' ')[1] ?? '';
  const claims = (jwt.decode(token) ?? {}) as Record<string, unknown>;
  const hash = createHash('sha256').update(request.rawBody, 'utf8').digest('hex');
  return { verifies: verifySignature(token, secret), hashMatches: claims.payload_hash === hash, claims };
}

/** The HTTP status of a rejected SDK call (VetchError keeps the raw response). */
export function statusOf(error: unknown): number | undefined {
  return (error as { response?: { status?: number } }).response?.status;
}

export async function bodyOf(error: unknown): Promise<unknown> {
  const response = (error as { response?: { json(): Promise<unknown> } }).response;
  return response ? response.json() : undefined;
}
