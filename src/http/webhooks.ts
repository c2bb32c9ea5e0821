import express, { type Request, type Response, type NextFunction } from 'express';
import type { z } from 'zod';
import type { Clock } from '../clock/index.js';
import type { RecordingDownloads } from '../calls/index.js';
import { applyStatusEvent, followListSettings, handleAnswer, handleInput, handleRecording, handleTranscription, runCallUnit, type CallbackOutcome, type FlowDeps } from '../calls/index.js';
import { AppError } from '../errors/index.js';
import { MemoryReplayGuard, verifyCallbackSignature, type CallbackReplayGuard, type CallbackTokenWindow } from '../telephony/index.js';
import type { CommentTexts } from '../comments/index.js';
import { AnswerFields, describeIssues, InputBody, InputStepQuery, nestingBeyond, RecordingBody, StatusEventBody, TranscriptionBody } from './payloads.js';

export interface WebhookDeps extends FlowDeps {
  recordings: RecordingDownloads;
  /** The comment text queue; without it a transcript's address is stored and read by the next process that has one. */
  texts?: CommentTexts | undefined;
  /** Null only in development without Vonage credentials; production refuses to start without it. */
  signatureSecret: string | null;
  /** How old a callback token may be (WEBHOOK_TOKEN_MAX_AGE_SECONDS, WEBHOOK_CLOCK_SKEW_SECONDS). */
  tokenWindow: CallbackTokenWindow;
  /**
   * The wall clock a token's `iat` is compared with: the system clock in the composition root. A
   * token is stamped with the signer's real time, while `clock` may be simulated (the demo's runs
   * hundreds of times faster, and a window of 300 of its seconds would last a real second).
   */
  tokenClock: Clock;
  /** Where used token ids are remembered; by default this process's memory (docs/adr/0003). */
  replayGuard?: CallbackReplayGuard;
}

type RawRequest = Request & { rawBody?: Buffer };

/** Largest webhook body we accept; Vonage's are a few hundred bytes. */
export const WEBHOOK_BODY_LIMIT = '64kb';

/**
 * Deepest nesting of objects and arrays we parse. Vonage's callbacks nest three levels at most
 * (`speech.results[]`); a body nested thousands deep parses, but overflows the stack of everything
 * that walks it afterwards (zod, JSON.stringify into call_events).
 */
export const WEBHOOK_MAX_DEPTH = 32;

/**
 * Routes for Vonage's callbacks. Each route verifies the signature, validates the body, calls one
 * domain function and answers. An unknown ref is 404 and changes nothing.
 */
export function webhookRouter(deps: WebhookDeps): express.Router {
  const router = express.Router();
  // Each webhook's time in our server, from arrival to the answer's last byte (the operator's console).
  if (deps.gauges) {
    const gauges = deps.gauges;
    router.use((_req: Request, res: Response, next: NextFunction) => {
      res.once('finish', gauges.webhookStarted());
      next();
    });
  }
  router.use(
    express.json({
      limit: WEBHOOK_BODY_LIMIT,
      type: () => true,
      // The signature covers the exact bytes, so keep them before parsing; refuse deep nesting
      // before JSON.parse builds it.
      verify: (req, _res, buffer, encoding) => {
        // The depth scan reads UTF-8 bytes; Vonage sends nothing else.
        if (encoding.toLowerCase() !== 'utf-8') throw new AppError('INPUT_INVALID', `callbacks are JSON in UTF-8; got charset '${encoding}'`);
        const at = nestingBeyond(buffer, WEBHOOK_MAX_DEPTH);
        if (at >= 0) throw new AppError('INPUT_INVALID', `request body is nested deeper than ${WEBHOOK_MAX_DEPTH} levels (at byte ${at}); callbacks nest a few levels at most`);
        (req as RawRequest).rawBody = buffer;
      },
    }),
  );
  const window = deps.tokenWindow;
  const replays = deps.replayGuard ?? new MemoryReplayGuard({ retainMs: (window.maxAgeSeconds + window.clockSkewSeconds) * 1000, logger: deps.logger });
  // The reason goes to the log only: a caller without the secret learns nothing from the answer.
  const refuse = (req: Request, res: Response, reason: string) => {
    deps.logger.warn('webhook refused', { method: req.method, path: req.path, reason });
    res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'callback token refused: bad signature or payload hash, outside its time window, or already used for another request' } });
  };
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    if (deps.signatureSecret === null) return next();
    const nowMs = deps.tokenClock.now();
    const check = verifyCallbackSignature({ authorization: req.headers.authorization, rawBody: (req as RawRequest).rawBody, secret: deps.signatureSecret, nowMs, window });
    if (!check.ok) return refuse(req, res, check.reason);
    // The token is bound to its body by payload_hash, but not to the path or the query: the first
    // request a token came with is remembered, and the token is good for that request only.
    const verdict = await replays.admit({ jti: check.token.jti, request: `${req.method} ${req.originalUrl} ${check.token.payloadHash}`, nowMs });
    if (verdict === 'conflict') return refuse(req, res, 'token (jti) already used for another request: a replay');
    next();
  });

  // Each handler's database work is one unit of work; on SQLite the units of one event-loop round
  // commit together (group commit, db/units.ts).
  const answer = async (req: Request, res: Response) => {
    // A GET answer request carries its fields in the query, which no signature covers.
    const source = req.method === 'GET' ? 'query' : 'body';
    const fields = parseEvent(AnswerFields, source === 'query' ? { ...req.query } : objectBody(req), 'answer');
    sendOutcome(res, await handleAnswer(deps, { ref: String(req.params.ref), payload: fields, source }));
  };
  router.get('/answer/:ref', answer);
  router.post('/answer/:ref', answer);

  router.post('/event/:ref', async (req, res) => {
    const ref = String(req.params.ref);
    const body = objectBody(req);
    const status = typeof body.status === 'string' ? parseEvent(StatusEventBody, body, 'status') : undefined;
    const recording = !status && typeof body.recording_url === 'string' ? parseEvent(RecordingBody, body, 'recording') : undefined;
    // A transcription webhook with no eventUrl of its own comes here (reference §6, `record`).
    if (!recording && body.type === 'record' && typeof body.transcription_url === 'string') {
      await transcription(ref, parseEvent(TranscriptionBody, body, 'transcription'));
      res.status(204).end();
      return;
    }
    if (recording) {
      if (!(await handleRecording(deps, deps.recordings, ref, recording))) throw new AppError('NOT_FOUND', 'unknown call reference');
      res.status(204).end();
      return;
    }
    const now = deps.clock.now();
    if (status) await followListSettings(deps, ref, status);
    const outcome = await runCallUnit(deps, async (tx) => {
      const call = await tx.calls.byRef(ref);
      if (!call) return undefined;
      if (status) return { callId: call.id, ended: await applyStatusEvent(deps, tx, call, status, now) };
      // Errors ("reason"), transfers and shapes we do not know are kept and logged, never dropped.
      await tx.calls.recordEvent({ callId: call.id, kind: typeof body.reason === 'string' ? 'error' : 'unknown', status: null, occurredAt: now, receivedAt: now, payload: body });
      return { callId: call.id, ended: false, unknownShape: true };
    });
    if (!outcome) throw new AppError('NOT_FOUND', 'unknown call reference');
    if (outcome.ended) deps.signals.notifyEnded(outcome.callId);
    if (outcome.unknownShape) deps.logger.warn('non-status callback stored', { callId: outcome.callId, keys: Object.keys(body).slice(0, 10) });
    res.status(204).end();
  });

  router.post('/input/:ref', async (req, res) => {
    const step = InputStepQuery.safeParse(req.query.step ?? 'question');
    if (!step.success) throw new AppError('INPUT_INVALID', `step must be one of ${InputStepQuery.options.join(', ')}, got '${String(req.query.step)}'`);
    const body = parseEvent(InputBody, objectBody(req), 'input');
    sendOutcome(res, await handleInput(deps, { ref: String(req.params.ref), step: step.data, payload: body }));
  });

  const transcription = async (ref: string, payload: z.infer<typeof TranscriptionBody>) => {
    const outcome = await handleTranscription(deps, deps.texts, ref, payload);
    if ('unknown' in outcome) {
      if (outcome.unknown === 'call') throw new AppError('NOT_FOUND', 'unknown call reference');
      deps.logger.warn('transcription without a stored score ignored', { ref: ref.slice(0, 8) });
    }
  };

  router.post('/transcription/:ref', async (req, res) => {
    await transcription(String(req.params.ref), parseEvent(TranscriptionBody, objectBody(req), 'transcription'));
    res.status(204).end();
  });

  router.post('/recording/:ref', async (req, res) => {
    const body = parseEvent(RecordingBody, objectBody(req), 'recording');
    if (!(await handleRecording(deps, deps.recordings, String(req.params.ref), body))) throw new AppError('NOT_FOUND', 'unknown call reference');
    res.status(204).end();
  });
  return router;
}

/**
 * The JSON object a POST callback carries, or a 400. Vonage always sends one; an empty body is
 * what a token lifted from a bodiless request would come with.
 */
function objectBody(req: Request): Record<string, unknown> {
  const raw = (req as RawRequest).rawBody;
  if (!raw || raw.length === 0) throw new AppError('INPUT_INVALID', 'request body is empty; a callback is POSTed as a JSON object');
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('INPUT_INVALID', `request body must be a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
  return body as Record<string, unknown>;
}

/** The body as `schema` reads it, or a 400 naming what is wrong. */
function parseEvent<T>(schema: z.ZodType<T>, body: unknown, kind: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AppError('INPUT_INVALID', `invalid ${kind} event: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The NCCO, or the error that says why there is none. */
function sendOutcome(res: Response, outcome: CallbackOutcome): void {
  switch (outcome.kind) {
    case 'ncco':
      return sendNcco(res, outcome.ncco);
    case 'unknown_call':
      throw new AppError('NOT_FOUND', 'unknown call reference');
    case 'refused':
      throw new AppError('CONFLICT', outcome.reason);
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/**
 * Answers with an NCCO. Written directly: res.json would hash every answer for an ETag and check
 * freshness, work a callback never uses, on the path that runs several times per call.
 */
function sendNcco(res: Response, ncco: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(ncco));
}
