import express, { type Request, type Response, type NextFunction } from 'express';
import type { z } from 'zod';
import type { RecordingDownloads } from '../dialer/recordings.js';
import { applyStatusEvent, callStore, handleAnswer, handleInput, handleRecording, type FlowDeps } from '../dialer/index.js';
import { WriteBatch } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { verifyCallbackSignature } from '../telephony/index.js';
import { describeIssues, InputBody, InputStepQuery, RecordingBody, StatusEventBody } from './payloads.js';

export interface WebhookDeps extends FlowDeps {
  recordings: RecordingDownloads;
  /** Null only in development without Vonage credentials; production refuses to start without it. */
  signatureSecret: string | null;
}

type RawRequest = Request & { rawBody?: Buffer };

/** Largest webhook body we accept; Vonage's are a few hundred bytes. */
export const WEBHOOK_BODY_LIMIT = '64kb';

/**
 * Routes for Vonage's callbacks. Each route verifies the signature, validates the body, calls one
 * domain function and answers. An unknown ref is 404 and changes nothing.
 */
export function webhookRouter(deps: WebhookDeps): express.Router {
  const router = express.Router();
  router.use(
    express.json({
      limit: WEBHOOK_BODY_LIMIT,
      type: () => true,
      // The signature covers the exact bytes, so keep them before parsing.
      verify: (req, _res, buffer) => {
        (req as RawRequest).rawBody = buffer;
      },
    }),
  );
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (deps.signatureSecret === null) return next();
    const check = verifyCallbackSignature({ authorization: req.headers.authorization, rawBody: (req as RawRequest).rawBody, secret: deps.signatureSecret });
    if (!check.ok) {
      deps.logger.warn('webhook refused: bad signature', { path: req.path, reason: check.reason });
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'callback signature does not verify' } });
      return;
    }
    next();
  });

  // Every handler's database work goes through one group commit per event-loop round.
  const writes = new WriteBatch(deps.database);

  const answer = async (req: Request, res: Response) => {
    const payload = req.method === 'GET' ? { ...req.query } : ((req.body ?? {}) as Record<string, unknown>);
    const ncco = await writes.run(() => handleAnswer(deps, String(req.params.ref), payload));
    if (!ncco) throw new AppError('NOT_FOUND', 'unknown call reference');
    sendNcco(res, ncco);
  };
  router.get('/answer/:ref', answer);
  router.post('/answer/:ref', answer);

  router.post('/event/:ref', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const status = typeof body.status === 'string' ? parseEvent(StatusEventBody, body, 'status') : undefined;
    const recording = !status && typeof body.recording_url === 'string' ? parseEvent(RecordingBody, body, 'recording') : undefined;
    await writes.run(() => {
      const call = callStore(deps.database).byRef(String(req.params.ref));
      if (!call) throw new AppError('NOT_FOUND', 'unknown call reference');
      const now = deps.clock.now();
      if (status) {
        applyStatusEvent(deps, call, status, now);
      } else if (recording) {
        handleRecording(deps, deps.recordings, call.ref, recording);
      } else {
        // Errors ("reason"), transfers and shapes we do not know are kept and logged, never dropped.
        callStore(deps.database).recordEvent(call.id, typeof body.reason === 'string' ? 'error' : 'unknown', null, now, now, body);
        deps.logger.warn('non-status callback stored', { callId: call.id, keys: Object.keys(body).slice(0, 10) });
      }
    });
    res.status(204).end();
  });

  router.post('/input/:ref', async (req, res) => {
    const step = InputStepQuery.safeParse(req.query.step ?? 'question');
    if (!step.success) throw new AppError('INPUT_INVALID', `step must be question or reprompt, got '${String(req.query.step)}'`);
    const body = InputBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError('INPUT_INVALID', `invalid input event: ${describeIssues(body.error)}`);
    const ncco = await writes.run(() => handleInput(deps, String(req.params.ref), step.data, body.data));
    if (!ncco) throw new AppError('NOT_FOUND', 'unknown call reference');
    sendNcco(res, ncco);
  });

  router.post('/recording/:ref', async (req, res) => {
    const body = RecordingBody.safeParse(req.body ?? {});
    if (!body.success) throw new AppError('INPUT_INVALID', `invalid recording event: ${describeIssues(body.error)}`);
    await writes.run(() => {
      if (!callStore(deps.database).byRef(String(req.params.ref))) throw new AppError('NOT_FOUND', 'unknown call reference');
      handleRecording(deps, deps.recordings, String(req.params.ref), body.data);
    });
    res.status(204).end();
  });
  return router;
}

/** The body as `schema` reads it, or a 400 naming what is wrong. */
function parseEvent<T>(schema: z.ZodType<T>, body: unknown, kind: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AppError('INPUT_INVALID', `invalid ${kind} event: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Answers with an NCCO. Written directly: res.json would hash every answer for an ETag and check
 * freshness, work a callback never uses, on the path that runs several times per call.
 */
function sendNcco(res: Response, ncco: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(ncco));
}
