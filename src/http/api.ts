import express, { type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { z } from 'zod';
import type { FrequencyCaps } from '../config/index.js';
import type { SqlReader } from '../db/index.js';
import { CommentsQuery, correctThemes, listComments, type CommentStores } from '../comments/index.js';
import { authenticateClient, type Client, type ClientStore, type ListStore } from '../contacts/index.js';
import { AppError } from '../errors/index.js';
import { CasesQuery, DEFAULT_CASES_LIMIT, listCases, updateCase, type CaseStore } from '../followup/index.js';
import { maskApiKey, type Logger } from '../logging/index.js';
import {
  clientLists,
  clientRecording,
  clientReport,
  linkedRecording,
  linkedRecordingByToken,
  linkedReport,
  type ReportServiceDeps,
  WHY_SCRIPT_HASH,
} from '../reports/index.js';
import { triggerSurvey, type TriggerUnits } from '../triggers/index.js';
import { apiDocument, API_DOCUMENT_PATH } from './openapi.js';
import { CallId, CaseId, ListId, ReportQuery, ResponseId } from './schemas.js';
import { failedAuthentications } from './failed-auth.js';
import { sendRecording, sendReport } from './send.js';

export interface ApiDeps extends ReportServiceDeps {
  config: ReportServiceDeps['config'] & { frequencyCaps?: FrequencyCaps | undefined };
  logger: Logger;
  /** The follow-up cases (GET and PATCH /cases). */
  cases: CaseStore;
  /** The comments' stores: the list of a list's comments and a client's correction of their themes. */
  commentStores: CommentStores;
  /** The lists a client's key sees (GET /lists). */
  lists: ListStore;
  /** Whose API key a request carries. */
  clients: ClientStore;
  /** The unit of work of a triggered survey (POST /surveys). */
  triggers: TriggerUnits;
  /** What a triggered survey reads its list's settings through. */
  reader: SqlReader;
  /** A triggered survey was queued in this list: the daemon's continuous dialer looks at once. */
  onSurveyQueued?: ((listId: number) => void) | undefined;
  /** Requests per address per minute to the signed-link routes, which carry no key (default 120). */
  rateLimitPerMinute?: number;
  /** Requests per API key per minute (default 120): a report of a big list costs ~1 s of CPU. */
  keyRateLimitPerMinute?: number;
  /**
   * Failed authentications per address per 15 minutes (default 20); further failures from there
   * are answered 429 instead of 401. A valid key is never refused by this limit.
   */
  failedAuthLimit?: number;
}

const tooMany = (message: string) => (_req: Request, res: Response) => {
  res.status(429).json({ error: { code: 'RATE_LIMITED', message } });
};

const BEARER = /^Bearer\s+(\S+)$/i;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('INPUT_INVALID', result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  return result.data;
}

const clientOf = (res: Response) => res.locals.client as Client;

/** The parsed JSON body; none at all means it was not sent as JSON (express.json skips other types). */
function jsonBody(req: Request): unknown {
  if (req.body === undefined) throw new AppError('INPUT_INVALID', 'send the body as JSON, with `Content-Type: application/json`');
  return req.body;
}

/**
 * The client API, mounted at /api/v1: a client's lists, their reports and recordings, triggered
 * surveys and follow-up cases, with an API key (`Authorization: Bearer npsk_…`), and signed links
 * that need none. Another client's list or case is a 404, exactly like a missing one. Routes
 * parse, call one domain function, and send.
 */
export function apiRouter(deps: ApiDeps): express.Router {
  const router = express.Router();
  router.use(
    helmet({
      // The HTML report has inline styles, data: audio, and one script: the verbatims' filter, by hash.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: [WHY_SCRIPT_HASH],
          styleSrc: ["'unsafe-inline'"],
          imgSrc: ['data:'],
          mediaSrc: ["'self'", 'data:'],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  router.use(warnOfUntrustedProxy(deps.logger));
  // What the API is: its OpenAPI document and a pointer to it, without credentials.
  router.get('/', sendPointer);
  router.get('/openapi.json', sendDocument);
  // The signed links carry no key: they are limited per address (the client's, behind a trusted
  // proxy: TRUST_PROXY). Requests with a key are limited per key below, so a proxy's address
  // shared by every client limits nobody's traffic but its own.
  router.use(
    ['/links', '/recording-links'],
    rateLimit({
      windowMs: 60_000,
      limit: deps.rateLimitPerMinute ?? 120,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      validate: { xForwardedForHeader: false },
      handler: tooMany('too many requests from this address; try again in a minute'),
    }),
  );

  router.get('/links/:token', async (req, res) => {
    await sendReport(res, await linkedReport(deps, { token: String(req.params.token) }));
  });
  router.get('/links/:token/recordings/:callId', async (req, res, next) => {
    const callId = parse(CallId, req.params.callId);
    sendRecording(res, next, await linkedRecording(deps, { token: String(req.params.token), callId }));
  });
  // The one recording a detractor alert links to.
  router.get('/recording-links/:token', async (req, res, next) => {
    sendRecording(res, next, await linkedRecordingByToken(deps, { token: String(req.params.token) }));
  });

  router.use(authenticate(deps));
  // Authenticated traffic is limited per key, whatever the address: one client cannot use up
  // another's share, and a leaked key used from many addresses is throttled as one.
  router.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.keyRateLimitPerMinute ?? 120,
      keyGenerator: (_req, res) => `client-${clientOf(res).id}`,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: tooMany('too many requests for this API key; try again in a minute'),
    }),
  );

  router.use(express.json({ limit: '16kb' }));

  router.post('/surveys', async (req, res) => {
    const { result, replayed } = await triggerSurvey({ units: deps.triggers, reader: deps.reader, config: deps.config, clock: deps.clock, logger: deps.logger }, { clientId: clientOf(res).id, idempotencyKey: req.get('Idempotency-Key'), request: jsonBody(req) });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    else if (result.status !== 'refused') deps.onSurveyQueued?.(result.listId);
    res.set('Cache-Control', 'no-store');
    res.status(202).json(result);
  });
  router.get('/cases', async (req, res) => {
    const query = parse(CasesQuery, req.query);
    res.set('Cache-Control', 'private, no-store');
    const cases = await listCases(deps, { clientId: clientOf(res).id, query });
    // A full page may have older cases behind it: the same query, before the page's last case.
    const full = cases.length === (query.limit ?? DEFAULT_CASES_LIMIT);
    const next = full ? `/api/v1/cases?${new URLSearchParams({ ...(req.query as Record<string, string>), before: String(cases[cases.length - 1]!.id) }).toString()}` : null;
    res.json({ cases, next });
  });
  router.patch('/cases/:id', async (req, res) => {
    const caseId = parse(CaseId, req.params.id);
    res.set('Cache-Control', 'no-store');
    res.json(await updateCase(deps, { clientId: clientOf(res).id, caseId, patch: jsonBody(req) }));
  });

  router.get('/lists', async (_req, res) => {
    const lists = await clientLists(deps, { clientId: clientOf(res).id });
    res.set('Cache-Control', 'private, no-store');
    res.json({ lists });
  });
  router.get('/lists/:id/report', async (req, res) => {
    const listId = parse(ListId, req.params.id);
    const query = parse(ReportQuery, req.query);
    await sendReport(res, await clientReport(deps, { clientId: clientOf(res).id, listId, ...query }));
  });
  router.get('/lists/:id/recordings/:callId', async (req, res, next) => {
    const listId = parse(ListId, req.params.id);
    const callId = parse(CallId, req.params.callId);
    sendRecording(res, next, await clientRecording(deps, { clientId: clientOf(res).id, listId, callId }));
  });
  // The comments of a list with their themes, without the phone number; and a client's correction.
  router.get('/lists/:id/comments', async (req, res) => {
    const listId = parse(ListId, req.params.id);
    const query = parse(CommentsQuery, req.query);
    res.set('Cache-Control', 'private, no-store');
    res.json({ comments: await listComments(deps.commentStores.comments, { listId, clientId: clientOf(res).id, query }) });
  });
  router.put('/lists/:id/comments/:responseId/themes', async (req, res) => {
    const listId = parse(ListId, req.params.id);
    const responseId = parse(ResponseId, req.params.responseId);
    const client = clientOf(res);
    res.set('Cache-Control', 'no-store');
    res.json(await correctThemes({ ...deps.commentStores, clock: deps.clock, logger: deps.logger }, { responseId, listId, actor: { kind: 'client', clientId: client.id }, correction: jsonBody(req) }));
  });
  return router;
}

/**
 * Sets the caller's client from its API key. A request without a valid key counts as a failed
 * authentication against its address (req.ip: the client's own behind a trusted proxy); past the
 * limit it is answered 429 rather than 401, so keys cannot be guessed at speed. A valid key is
 * never counted nor refused here: failures from a shared address (a proxy, an office) lock out
 * nobody who has a key. Every refusal is logged with the address and the key's public prefix.
 */
function authenticate(deps: ApiDeps): express.RequestHandler {
  const log = deps.logger;
  const refused = (req: Request, reason: string) => {
    const presented = BEARER.exec(req.headers.authorization ?? '')?.[1];
    // A long path segment may be a signed link's token sent to a wrong path: not logged.
    const path = req.originalUrl.split('?')[0]!.replace(/[^/]{33,}/g, '…');
    log.warn('API authentication refused', { reason, address: req.ip, keyPrefix: maskApiKey(presented), method: req.method, path });
  };
  const failures = failedAuthentications({
    limit: deps.failedAuthLimit ?? 20,
    onLimited: (req, res) => {
      refused(req, 'too many failed authentications from this address');
      tooMany('too many failed authentications from this address; try again in 15 minutes')(req, res);
    },
  });
  return async (req, res, next) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    const client = match ? await authenticateClient(deps.clients, match[1]!) : undefined;
    if (client) {
      res.locals.client = client;
      next();
      return;
    }
    // Counts the failure; over the limit the limiter answers 429 itself and does not call back.
    failures(req, res, next, () => {
      refused(req, match ? 'unknown API key' : 'no API key');
      res.set('WWW-Authenticate', 'Bearer realm="nps-dialer"');
      next(new AppError('UNAUTHORIZED', match ? 'the API key is not valid' : 'send your API key as `Authorization: Bearer <key>`'));
    });
  };
}

/**
 * Says once, naming the setting, that requests come through a proxy whose X-Forwarded-For is not
 * believed: every client then has the proxy's address, and the per-address limits are shared.
 */
function warnOfUntrustedProxy(logger: Logger): express.RequestHandler {
  let warned = false;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined && req.app.get('trust proxy') === false) {
      warned = true;
      logger.warn('requests carry X-Forwarded-For but TRUST_PROXY is not set: every client is seen with the address of the proxy (docs/configuration.md)', { address: req.ip });
    }
    next();
  };
}

/** The answer of `/`, `/api`, `/docs` and `/api/v1`: where the API is described. */
function sendPointer(_req: Request, res: Response): void {
  res.set('Link', `<${API_DOCUMENT_PATH}>; rel="service-desc"`);
  res.json({ name: 'nps-dialer client API', openapi: API_DOCUMENT_PATH, documentation: 'docs/api.md', health: '/healthz' });
}

function sendDocument(_req: Request, res: Response): void {
  res.set('Cache-Control', 'public, max-age=300');
  res.json(apiDocument());
}

/** The `extra` hook of createHttpApp that mounts the API, and the pointers to it at the root. */
export function mountApi(deps: ApiDeps): (app: express.Express) => void {
  return (app) => {
    app.get(['/', '/api', '/docs'], sendPointer);
    app.get('/openapi.json', sendDocument);
    app.use('/api/v1', apiRouter(deps));
  };
}
