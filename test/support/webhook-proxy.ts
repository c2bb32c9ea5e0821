import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/** What the proxy saw of one webhook before forwarding it. */
export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

/**
 * A reverse proxy between the sandbox and the dialer (or, the other way, in front of the sandbox's
 * API, so a test can await the provider's answers as events), standing in for the load balancer in front
 * of a real deployment: while the dialer restarts it holds webhooks (`pause()`), and a request the
 * dying process never answered is sent again to the next one, as Vonage retries after a connection
 * error. The handlers are idempotent, so a second delivery changes nothing.
 */
export class WebhookProxy {
  readonly #server: Server;
  readonly #targetPort: number;
  #gate: { promise: Promise<void>; open: () => void } | null = null;
  #closed = false;
  /** Called for every request before it is forwarded; it may pause the proxy (and so hold the request). */
  onRequest: ((request: ProxiedRequest) => void) | undefined;
  /** Called once the upstream has answered a request, with its status, before the answer goes back. */
  onAnswered: ((request: ProxiedRequest, status: number) => void) | undefined;
  /**
   * Hold a request the dialer did not take (it died or is restarting), and every later one, until
   * `resume()` says the next process listens, as a load balancer in front of it might. Off, a
   * request to a dead dialer fails at once, as Vonage's to a server that refuses connections (it
   * retries once, then drops a status event).
   */
  holdWhileDown = true;
  port = 0;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        (reply) => {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
        },
        () => res.destroy(),
      );
    });
  }

  static async start(targetPort: number): Promise<WebhookProxy> {
    const proxy = new WebhookProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Holds every request from now on until resume(). */
  pause(): void {
    if (this.#gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.#gate = { promise, open };
  }

  resume(): void {
    const gate = this.#gate;
    this.#gate = null;
    gate?.open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.resume();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') };
    this.onRequest?.(seen);
    for (let attempt = 0; ; attempt++) {
      if (this.#gate) await this.#gate.promise;
      try {
        const reply = await this.#forward(req, body);
        this.onAnswered?.(seen, reply.status);
        return reply;
      } catch (error) {
        // The upstream died with this request (kill -9) or is not listening yet: hold it, and
        // what comes after it, until the test resumes the proxy for the next process (an event,
        // not a timer). Bounded, so a process that never comes back fails the test.
        if (attempt >= 200 || !this.holdWhileDown || this.#closed) throw error;
        this.pause();
      }
    }
  }

  #forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        { host: '127.0.0.1', port: this.#targetPort, method: req.method, path: req.url, headers: { ...req.headers, connection: 'close' } },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          const type = response.headers['content-type'];
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: type ? { 'content-type': type } : {}, body: Buffer.concat(parts) }));
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
