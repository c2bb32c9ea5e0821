import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { resolveFromRoot, type FrequencyCaps } from '../config/index.js';
import type { SqlReader } from '../db/index.js';
import { authenticateClient, type ClientStore, type ListStore } from '../contacts/index.js';
import { AppError, HTTP_STATUS, toAppError } from '../errors/index.js';
import { listCases, updateCase, type CaseStore } from '../followup/index.js';
import { maskApiKey, type Logger } from '../logging/index.js';
import {
  clientLists,
  clientRecording,
  clientReport,
  linkedRecording,
  linkedReport,
  listComments,
  MAX_HTML_COMMENTS,
  REPORT_FORMATS,
  verifyReportLink,
  type ReportServiceDeps,
} from '../reports/index.js';
import { failedAuthentications, sendRecording, sendReport } from '../http/index.js';
import type { ScheduleStore } from '../schedules/index.js';
import { Id, parseInput } from './input.js';
import { LiveReports } from './live.js';
import { operatorRoutes, type OperatorDeps } from './operator.js';
import { clearedCookie, readCookie, sameSecret, SESSION_COOKIE, sessionCookie, SessionStore, type ConsoleIdentity, type ConsoleSession } from './session.js';
import { errorPage, listPage, listsPage, signInPage, type PageFrame } from './views.js';

export interface ConsoleDeps extends ReportServiceDeps {
  config: ReportServiceDeps['config'] & {
    consoleOperatorToken?: string | undefined;
    consoleSessionMinutes?: number | undefined;
    frequencyCaps?: FrequencyCaps | undefined;
    /** VONAGE_ACCOUNT_CPS, shown beside the pace in the operator view. */
    accountCps?: number | undefined;
  };
  logger: Logger;
  /** The follow-up cases shown on a list's page and moved from it. */
  cases: CaseStore;
  /** The lists a client sees and the operator's overview. */
  lists: ListStore;
  /** Whose API key signs a client in. */
  clients: ClientStore;
  /** How often an open list page asks for new figures, in the browser's ms (default 5 s). */
  livePollMs?: number | undefined;
  /** A list's figures are rebuilt at most this often, in clock ms, however many pages poll (default 2 s). */
  liveMinIntervalMs?: number | undefined;
  /** Failed sign-ins per address per 15 minutes before further ones are refused (default 20). */
  failedAuthLimit?: number | undefined;
  /**
   * The clock sessions expire on (default `clock`). A session is a matter of real time: the demo's
   * fast simulated clock would end one in seconds.
   */
  sessionClock?: Clock | undefined;
  /** The dialer of this process, for the operator view (null in a process that does not dial). */
  operator?: OperatorDeps | undefined;
  /** What the operator view reads: the dialer's state and a list's plan. */
  reader: SqlReader;
  /** The schedules the operator view lists. */
  schedules: ScheduleStore;
}

const ListId = Id('list id');
const CallId = Id('call id');
const CaseId = Id('case id');
const Format = z.enum(REPORT_FORMATS, { error: (issue) => `format must be one of ${REPORT_FORMATS.join(', ')}, got '${String(issue.input)}'` });
const SignIn = z.object({ apiKey: z.string().trim().min(1, 'enter your API key').max(200, 'that is not an API key') });
const OperatorSignIn = z.object({ token: z.string().min(1, 'enter the operator token').max(500, 'that is not the operator token') });
const CaseMove = z.object({ status: z.string() });

const parse = parseInput;

const sessionOf = (res: Response) => res.locals.consoleSession as ConsoleSession | undefined;
const frameOf = (res: Response, title: string): PageFrame => ({ title, identity: sessionOf(res)?.identity, csrfToken: sessionOf(res)?.csrfToken });

/** The client of the session; a page request without one is sent to sign in, a script's gets 401. */
function clientIdOf(res: Response): number {
  const identity = sessionOf(res)?.identity;
  if (identity?.kind !== 'client') throw new AppError('UNAUTHORIZED', 'not signed in as a client', { userMessage: 'sign in with your API key first' });
  return identity.clientId;
}

/**
 * The web console at /console (docs/console.md): clients follow their lists with their API key or
 * a signed link, the operator watches the dialer. Every figure and every rule comes from the
 * services the JSON API calls (reports, follow-up, the dialer's plan); the routes parse, call, render.
 */
export function consoleRouter(deps: ConsoleDeps): express.Router {
  const router = express.Router();
  const log = deps.logger;
  const sessions = new SessionStore({ clock: deps.sessionClock ?? deps.clock, idleMinutes: deps.config.consoleSessionMinutes ?? 30 });
  const live = new LiveReports({ deps, minIntervalMs: deps.liveMinIntervalMs ?? 2_000 });
  const livePollMs = deps.livePollMs ?? 5_000;
  const operatorToken = deps.config.consoleOperatorToken;

  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          mediaSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      // A page's URL (a signed link's token) never goes to another site. Not `no-referrer`: with it
      // Chromium sends `Origin: null` on the console's own forms, which the origin check refuses.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  router.use('/assets', express.static(resolveFromRoot('src', 'console', 'assets'), { index: false, maxAge: '1h', fallthrough: false }));
  router.use(express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }));

  // The session, if any: an unknown or expired cookie is simply no session.
  router.use((req, res, next) => {
    const session = sessions.touch(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (session) res.locals.consoleSession = session;
    next();
  });

  // Every state-changing request carries the session's CSRF token (a hidden field, or the header of a
  // script's request) and, when the browser says where it comes from, comes from this site.
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (!sameOrigin(req)) return next(new AppError('UNAUTHORIZED', 'cross-site form refused', { userMessage: 'this form was sent from another site; open the console and try again' }));
    if (req.path === '/sign-in' || req.path === '/operator/sign-in') return next();
    const session = sessionOf(res);
    const presented = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('X-CSRF-Token');
    if (!session || !sameSecret(typeof presented === 'string' ? presented : undefined, session.csrfToken)) {
      return next(new AppError('UNAUTHORIZED', 'missing or wrong CSRF token', { userMessage: 'this page is out of date or your session ended; sign in again and retry' }));
    }
    next();
  });

  // Only refused sign-ins count, and a valid key or token always signs in (as the API's keys).
  const failures = failedAuthentications({
    limit: deps.failedAuthLimit ?? 20,
    onLimited: (req, res) => {
      log.warn('console sign-in refused', { address: req.ip, reason: 'too many failed sign-ins from this address' });
      res.status(429).type('html').send(signInPage({ operator: false, error: 'too many failed sign-ins from this address; try again in 15 minutes', operatorEnabled: operatorToken !== undefined }));
    },
  });

  const startSession = (req: Request, res: Response, identity: ConsoleIdentity) => {
    // A new id at every sign-in: a session id planted before sign-in is never promoted.
    sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
    const { id } = sessions.create(identity);
    res.set('Set-Cookie', sessionCookie(id, { maxAgeSeconds: sessions.cookieMaxAgeSeconds, secure: req.secure }));
    res.set('Cache-Control', 'no-store');
  };

  router.get('/', (_req, res) => {
    const identity = sessionOf(res)?.identity;
    res.redirect(303, identity?.kind === 'client' ? '/console/lists' : identity?.kind === 'operator' ? '/console/operator' : '/console/sign-in');
  });
  router.get('/sign-in', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(signInPage({ operator: false, operatorEnabled: operatorToken !== undefined }));
  });
  router.post('/sign-in', async (req, res, next) => {
    const input = SignIn.safeParse(req.body ?? {});
    const client = input.success ? await authenticateClient(deps.clients, input.data.apiKey) : undefined;
    if (!client) {
      failures(req, res, next, () => {
        log.warn('console sign-in refused', { address: req.ip, keyPrefix: maskApiKey(input.success ? input.data.apiKey : undefined) });
        res.status(401).type('html').send(signInPage({ operator: false, error: 'that API key is not valid', operatorEnabled: operatorToken !== undefined }));
      });
      return;
    }
    startSession(req, res, { kind: 'client', clientId: client.id, clientName: client.name });
    log.info('console session started', { clientId: client.id, address: req.ip });
    res.redirect(303, '/console/lists');
  });
  router.get('/operator/sign-in', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(signInPage({ operator: true, operatorEnabled: operatorToken !== undefined }));
  });
  router.post('/operator/sign-in', (req, res, next) => {
    const input = OperatorSignIn.safeParse(req.body ?? {});
    if (!operatorToken || !input.success || !sameSecret(input.data.token, operatorToken)) {
      failures(req, res, next, () => {
        log.warn('console operator sign-in refused', { address: req.ip, enabled: operatorToken !== undefined });
        res.status(401).type('html').send(signInPage({ operator: true, error: 'that is not the operator token', operatorEnabled: operatorToken !== undefined }));
      });
      return;
    }
    startSession(req, res, { kind: 'operator' });
    log.info('console operator session started', { address: req.ip });
    res.redirect(303, '/console/operator');
  });
  router.post('/sign-out', (req, res) => {
    sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
    res.set('Set-Cookie', clearedCookie(req.secure));
    res.redirect(303, '/console/sign-in');
  });

  // --- The client's view -----------------------------------------------------------------------
  router.get('/lists', async (_req, res) => {
    const clientId = clientIdOf(res);
    const lines = await Promise.all((await clientLists(deps, { clientId })).map(async (summary) => ({ summary, figures: (await live.get(summary.id)).figures })));
    res.set('Cache-Control', 'private, no-store');
    res.type('html').send(listsPage(frameOf(res, 'Your surveys'), lines));
  });
  router.get('/lists/:id', async (req, res) => {
    const clientId = clientIdOf(res);
    const listId = parse(ListId, req.params.id);
    // The API's ownership check: another client's list is NOT_FOUND, exactly like a missing one.
    const summary = (await clientLists(deps, { clientId })).find((l) => l.id === listId);
    if (!summary) throw new AppError('NOT_FOUND', `list ${listId} does not exist`);
    const { report, figures } = await live.get(listId);
    const cases = await listCases(deps, { clientId, query: { listId, limit: 100, overdue: undefined } });
    res.set('Cache-Control', 'private, no-store');
    res.type('html').send(
      listPage(frameOf(res, report.listName), {
        report,
        figures,
        liveUrl: `/console/lists/${listId}/live.json`,
        livePollMs,
        downloads: [
          { format: 'json', href: `/console/lists/${listId}/report.json`, label: 'JSON (every figure, for analysis)' },
          { format: 'csv', href: `/console/lists/${listId}/report.csv`, label: 'CSV (one row per contact, numbers masked)' },
          { format: 'html', href: `/console/lists/${listId}/report.html`, label: 'HTML (a page to share or print)' },
        ],
        cases,
        comments: await listComments(deps.reader, listId, MAX_HTML_COMMENTS),
        recordingHref: (comment) => `/console/lists/${listId}/recordings/${comment.callId}`,
        readOnly: false,
      }),
    );
  });
  router.get('/lists/:id/live.json', async (req, res) => {
    const clientId = clientIdOf(res);
    const listId = parse(ListId, req.params.id);
    if (!(await clientLists(deps, { clientId })).some((l) => l.id === listId)) throw new AppError('NOT_FOUND', `list ${listId} does not exist`);
    res.set('Cache-Control', 'private, no-store');
    res.json((await live.get(listId)).figures);
  });
  router.get('/lists/:id/report.:format', async (req, res) => {
    const clientId = clientIdOf(res);
    const listId = parse(ListId, req.params.id);
    const format = parse(Format, req.params.format);
    await sendReport(res, await clientReport(deps, { clientId, listId, format }), 'attachment');
  });
  router.get('/lists/:id/recordings/:callId', async (req, res, next) => {
    const clientId = clientIdOf(res);
    sendRecording(res, next, await clientRecording(deps, { clientId, listId: parse(ListId, req.params.id), callId: parse(CallId, req.params.callId) }));
  });
  router.post('/cases/:id', async (req, res) => {
    const clientId = clientIdOf(res);
    const caseId = parse(CaseId, req.params.id);
    const { status } = parse(CaseMove, req.body ?? {});
    // The API's own rules: updateCase validates the state and scopes the case to the client.
    const updated = await updateCase(deps, { clientId, caseId, patch: { status } });
    log.info('case moved from the console', { clientId, caseId, status: updated.status });
    res.redirect(303, `/console/lists/${updated.listId}#cases`);
  });

  // --- A signed link: one list, read-only, no session --------------------------------------------
  const linkedList = (token: string) => {
    if (!deps.linkSecret) throw new AppError('UNAUTHORIZED', 'signed links are not enabled', { userMessage: 'this link is not valid' });
    return verifyReportLink(deps.linkSecret, token, deps.clock.now());
  };
  router.get('/links/:token', async (req, res) => {
    const token = String(req.params.token);
    const link = linkedList(token);
    const { report, figures } = await live.get(link.listId);
    const base = `/console/links/${encodeURIComponent(token)}`;
    res.set('Cache-Control', 'private, no-store');
    res.type('html').send(
      listPage(frameOf(res, report.listName), {
        report,
        figures,
        liveUrl: `${base}/live.json`,
        livePollMs,
        downloads: [{ format: link.format, href: `${base}/report`, label: `${link.format.toUpperCase()} report` }],
        cases: null,
        comments: await listComments(deps.reader, link.listId, MAX_HTML_COMMENTS),
        recordingHref: (comment) => `${base}/recordings/${comment.callId}`,
        readOnly: true,
      }),
    );
  });
  router.get('/links/:token/live.json', async (req, res) => {
    const link = linkedList(String(req.params.token));
    res.set('Cache-Control', 'private, no-store');
    res.json((await live.get(link.listId)).figures);
  });
  router.get('/links/:token/report', async (req, res) => {
    const report = await linkedReport(deps, { token: String(req.params.token) });
    await sendReport(res, report, 'attachment');
  });
  router.get('/links/:token/recordings/:callId', async (req, res, next) => {
    sendRecording(res, next, await linkedRecording(deps, { token: String(req.params.token), callId: parse(CallId, req.params.callId) }));
  });

  router.use('/operator', operatorRoutes({ ...deps, live }));

  router.use((_req, res) => {
    res.status(404).type('html').send(errorPage(frameOf(res, 'Not found'), 404, 'no such page'));
  });
  // The console's pages answer errors as pages (the API's JSON for a script's .json request); the
  // status is the one mapping of src/errors.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') log.error('console request failed', { method: req.method, path: req.path, error: (error as Error)?.stack ?? String(error) });
    const status = HTTP_STATUS[appError.code];
    res.set('Cache-Control', 'no-store');
    if (req.path.endsWith('.json')) {
      res.status(status).json({ error: { code: appError.code, message: appError.userMessage } });
      return;
    }
    if (status === 401 && req.method === 'GET' && !req.path.startsWith('/links/')) {
      res.redirect(303, req.path.startsWith('/operator') ? '/console/operator/sign-in' : '/console/sign-in');
      return;
    }
    res.status(status).type('html').send(errorPage(frameOf(res, 'Error'), status, appError.userMessage));
  });
  return router;
}

/**
 * Whether a state-changing request comes from this site: the Origin header (every current browser
 * sends it on a POST) must name this host. A request without one (an old browser, curl) is let
 * through to the CSRF token check, which it cannot pass without a session's token anyway.
 */
function sameOrigin(req: Request): boolean {
  const origin = req.get('Origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.get('Host');
  } catch {
    return false;
  }
}

/** The `extra` hook of createHttpApp that mounts the console at /console. */
export function mountConsole(deps: ConsoleDeps): (app: express.Express) => void {
  return (app) => {
    app.use('/console', consoleRouter(deps));
  };
}
