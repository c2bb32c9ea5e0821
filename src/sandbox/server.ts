import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import { ScaledClock, systemClock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { createSilentLogger, type Logger } from '../logging/index.js';
import { BODILESS_PAYLOAD_HASHES, RequestAuthenticator } from './auth.js';
import { ERROR_BODIES, SandboxEngine, type HttpReply } from './engine.js';
import { formatMoney, parseMoney } from './format.js';
import { describeIssues, FaultOptions, parseScenario, PopulationOptions, SpeechOptions } from './scenario.js';
import { resolveSpeech } from './speech.js';
import { createSynthesizer } from './synth.js';
import type { Sandbox, SandboxOptions } from './types.js';
import { REDELIVERY_TOKENS } from './webhooks.js';

const DEFAULTS = {
  apiKey: 'sandbox',
  port: 0,
  cps: 3,
  otherRequestsPerSecond: 15,
  timeScale: 1,
  seed: 1,
  ratePerMinute: '0.01400000',
  answerWebhookTimeoutMs: 5000,
  eventWebhookTimeoutMs: 10_000,
  maxLengthTimerSeconds: 7200,
  bodilessPayloadHash: 'empty-body',
  redeliveryToken: 'new',
} as const;

function invalidOption(name: string, value: unknown, expected: string): AppError {
  return new AppError('INPUT_INVALID', `sandbox option ${name}: got ${JSON.stringify(value)}; expected ${expected}`);
}

function checkInteger(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) throw invalidOption(name, value, `an integer from ${min} to ${max}`);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const lines = describeIssues(parsed.error, value, `${name}.`);
  throw new AppError('INPUT_INVALID', `sandbox option ${name} is invalid:\n  ${lines.join('\n  ')}`, { details: { problems: lines } });
}

/** Checks every option up front, so a typo fails at start with the option and value named. */
function validateOptions(options: SandboxOptions): void {
  if (!options.applicationId) throw invalidOption('applicationId', options.applicationId, 'the Vonage application id');
  if (!options.signatureSecret) throw invalidOption('signatureSecret', '', 'a non-empty HS256 secret');
  try {
    createPublicKey(options.privateKey);
  } catch {
    throw new AppError('INPUT_INVALID', 'sandbox option privateKey: not a readable PEM private key (expected "-----BEGIN PRIVATE KEY-----")');
  }
  checkInteger('port', options.port, 0, 65535);
  checkInteger('cps', options.cps, 1);
  checkInteger('otherRequestsPerSecond', options.otherRequestsPerSecond, 1);
  checkInteger('maxLiveCalls', options.maxLiveCalls, 1);
  checkInteger('seed', options.seed, Number.MIN_SAFE_INTEGER);
  checkInteger('answerWebhookTimeoutMs', options.answerWebhookTimeoutMs, 1);
  checkInteger('eventWebhookTimeoutMs', options.eventWebhookTimeoutMs, 1);
  checkInteger('maxLengthTimerSeconds', options.maxLengthTimerSeconds, 1);
  if (options.timeScale !== undefined && !(Number.isFinite(options.timeScale) && options.timeScale > 0)) {
    throw invalidOption('timeScale', options.timeScale, 'a number > 0 (simulated seconds per real second)');
  }
  if (options.bodilessPayloadHash !== undefined && !(BODILESS_PAYLOAD_HASHES as readonly string[]).includes(options.bodilessPayloadHash)) {
    throw invalidOption('bodilessPayloadHash', options.bodilessPayloadHash, BODILESS_PAYLOAD_HASHES.join(' or '));
  }
  if (options.redeliveryToken !== undefined && !(REDELIVERY_TOKENS as readonly string[]).includes(options.redeliveryToken)) {
    throw invalidOption('redeliveryToken', options.redeliveryToken, REDELIVERY_TOKENS.join(' or '));
  }
  if (options.ratePerMinute !== undefined && parseMoney(options.ratePerMinute) === null) {
    throw invalidOption('ratePerMinute', options.ratePerMinute, "a decimal string such as '0.01400000'");
  }
}

function send(res: Response, reply: HttpReply): void {
  res.status(reply.status);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  // res.json sends "application/json; charset=utf-8", which the SDK accepts (reference §0).
  res.json(reply.body);
}

/** The routes: thin translations between HTTP and the engine. */
function buildApp(deps: { engine: SandboxEngine; authenticator: RequestAuthenticator; logger: Logger }): express.Express {
  const { engine, authenticator, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/__sandbox/stats', (_req, res) => send(res, { status: 200, body: engine.stats() }));
  app.get('/__sandbox/calls', (_req, res) => send(res, { status: 200, body: engine.calls() }));

  const requireJwt = (req: Request, res: Response, next: NextFunction): void => {
    const result = authenticator.verify(req.headers.authorization);
    if (result.ok) return next();
    engine.countUnauthorized();
    logger.debug('rejected request', { path: req.path, reason: result.reason });
    send(res, { status: 401, body: ERROR_BODIES.unauthorized });
  };
  const limitOthers = (_req: Request, res: Response, next: NextFunction): void => {
    const limited = engine.limitOtherRequest();
    if (limited) return send(res, limited);
    next();
  };
  const json = express.json({ limit: '1mb', type: () => true });

  app.post('/v1/calls', requireJwt, json, async (req, res, next) => {
    try {
      send(res, await engine.createCall(req.body));
    } catch (error) {
      next(error);
    }
  });
  app.get('/v1/calls', requireJwt, limitOthers, (req, res) => send(res, engine.listCalls(req.query)));
  app.get('/v1/calls/:uuid', requireJwt, limitOthers, (req, res) => send(res, engine.getCall(String(req.params.uuid))));
  app.put('/v1/calls/:uuid', requireJwt, limitOthers, json, (req, res) => send(res, engine.updateCall(String(req.params.uuid), req.body)));
  app.all('/v1/calls', requireJwt, (_req, res) => send(res, { status: 405, body: ERROR_BODIES.methodNotAllowed }));
  app.get(['/v1/files/:id', '/v3/files/:id'], requireJwt, async (req, res, next) => {
    try {
      const file = await engine.download(String(req.params.id));
      if (!file.found) return send(res, file.serverError ? { status: 500, body: ERROR_BODIES.internal } : { status: 404, body: ERROR_BODIES.notFound });
      res.status(200).type(file.contentType).send(file.body);
    } catch (error) {
      next(error);
    }
  });
  app.use((_req, res) => send(res, { status: 404, body: ERROR_BODIES.notFound }));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed' || type === 'entity.too.large') {
      engine.countBadRequest();
      return send(res, { status: 400, body: ERROR_BODIES.badRequest });
    }
    logger.error('sandbox request failed', { error });
    send(res, { status: 500, body: ERROR_BODIES.internal });
  });

  return app;
}

/**
 * Starts the sandbox on 127.0.0.1. The real `@vonage/server-sdk` talks to it when given
 * `{ apiHost: sandbox.url }`; see docs/sandbox.md.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  validateOptions(options);
  const scenario = parseScenario(options.scenario ?? {}, 'sandbox option scenario');
  const population = parseWith(PopulationOptions, { ...scenario.population, ...options.population }, 'population');
  const faults = parseWith(FaultOptions, { ...scenario.faults, ...options.faults }, 'faults');
  const speech = resolveSpeech(scenario.speech, options.speech === undefined ? undefined : parseWith(SpeechOptions, options.speech, 'speech'));
  const timeScale = options.timeScale ?? DEFAULTS.timeScale;
  const clock = options.clock ?? new ScaledClock({ start: systemClock.now(), factor: timeScale });
  const logger = (options.logger ?? createSilentLogger()).child({ module: 'sandbox' });
  const authenticator = new RequestAuthenticator({ privateKey: options.privateKey, applicationId: options.applicationId });

  // Bind first: the engine needs the URL, which is known only once the port is.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const engine = new SandboxEngine({
    baseUrl: url,
    applicationId: options.applicationId,
    signer: {
      signatureSecret: options.signatureSecret,
      apiKey: options.apiKey ?? DEFAULTS.apiKey,
      applicationId: options.applicationId,
      bodilessPayloadHash: options.bodilessPayloadHash ?? DEFAULTS.bodilessPayloadHash,
    },
    tokenClock: options.tokenClock ?? systemClock,
    redeliveryToken: options.redeliveryToken ?? DEFAULTS.redeliveryToken,
    cps: options.cps ?? DEFAULTS.cps,
    otherRequestsPerSecond: options.otherRequestsPerSecond ?? DEFAULTS.otherRequestsPerSecond,
    maxLiveCalls: options.maxLiveCalls,
    timeScale,
    clock,
    seed: options.seed ?? DEFAULTS.seed,
    scenario,
    population,
    faults,
    ratePerMinute: formatMoney(parseMoney(options.ratePerMinute ?? DEFAULTS.ratePerMinute)!),
    answerWebhookTimeoutMs: options.answerWebhookTimeoutMs ?? DEFAULTS.answerWebhookTimeoutMs,
    eventWebhookTimeoutMs: options.eventWebhookTimeoutMs ?? DEFAULTS.eventWebhookTimeoutMs,
    maxLengthTimerSeconds: options.maxLengthTimerSeconds ?? DEFAULTS.maxLengthTimerSeconds,
    speech,
    synthesizer: createSynthesizer({ enabled: speech.synthesis === 'espeak', path: speech.espeakPath, logger }),
    logger,
  });
  server.on('request', buildApp({ engine, authenticator, logger }));
  logger.info('sandbox listening', { url, timeScale, cps: options.cps ?? DEFAULTS.cps });

  let closing: Promise<void> | undefined;
  const running = engine;
  return {
    url,
    port,
    stats: () => running.stats(),
    calls: () => running.calls(),
    onIdle: () => running.onIdle(),
    close: () =>
      (closing ??= (async () => {
        await running.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
