import type { Server } from 'node:http';
import express from 'express';
import type { TrustProxy } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { errorHandler } from './errors.js';
import { webhookRouter, type WebhookDeps } from './webhooks.js';

export interface HttpAppDeps {
  logger: Logger;
  webhooks: WebhookDeps;
  /** Further routers mounted by the composition root (the client API). */
  extra?: (app: express.Express) => void;
  /** TRUST_PROXY: whose X-Forwarded-For gives `req.ip` (default: nobody's, the peer is the client). */
  trustProxy?: TrustProxy | undefined;
  /** What this node is (and whether it dials), for /healthz and /readyz; without it, both answer ok. */
  node?: NodeProbe | undefined;
}

/** A node's state as the load balancer and an operator see it (docs/deployment.md). */
export interface NodeState {
  /** Whether the node should be sent traffic: its database answers and it is not draining. */
  ready: boolean;
  [fact: string]: unknown;
}

export interface NodeProbe {
  /** Cheap, without I/O: liveness. */
  facts(): Record<string, unknown>;
  /** Checks the database: readiness. */
  state(): Promise<NodeState>;
}

export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy ?? false);
  // Liveness: the process answers. Readiness: it should get traffic (a load balancer's check).
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, ...deps.node?.facts() });
  });
  app.get('/readyz', async (_req, res) => {
    const state = deps.node ? await deps.node.state() : { ready: true };
    res.status(state.ready ? 200 : 503).json(state);
  });
  app.use('/webhooks', webhookRouter(deps.webhooks));
  deps.extra?.(app);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such route' } });
  });
  app.use(errorHandler(deps.logger));
  return app;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Listens on `port` (0 = any free port) and resolves once listening. */
export function listen(app: express.Express, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      // Webhook connections from the provider are short; don't let keep-alive sockets hold a stop.
      server.keepAliveTimeout = 5_000;
      resolve({
        server,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
