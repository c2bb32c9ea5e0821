/**
 * Worker-thread entry for creating calls (see workerCreators): the rolling-window limiter and the
 * Vonage SDK client, on an event loop that has nothing else to do, so an answer is read when it
 * arrives and its slot's window starts then.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import winston from 'winston';
import { systemClock } from '../clock/index.js';
import { ReusingAuth, VonageTelephony, type CreateCallRequest, type CreateCallResult } from '../telephony/index.js';
import { PacedCreator, type Pacing } from './call-creator.js';
import { limiterForCps } from './rate-limiter.js';

export interface CreateWorkerData {
  applicationId: string;
  /** PEM. */
  privateKey: string;
  apiHost: string;
  jwtReuseMs: number;
  logLevel: string;
  pacing: Pacing;
}

export type CreateWorkerRequest =
  | { type: 'create'; id: number; request: CreateCallRequest }
  | { type: 'backoff'; ms: number }
  /** The run stops: requests still waiting for a slot are answered with `result: null`. */
  | { type: 'stop' };

export type CreateWorkerReply =
  | { type: 'result'; id: number; result: CreateCallResult | null }
  /** A log entry for the dialer thread's logger (its destinations and redaction). */
  | { type: 'log'; level: string; message: string; meta: Record<string, unknown> };

/** Hands log entries (JSON lines) to the dialer thread. */
const toDialerThread = new Writable({
  write(chunk: Buffer, _encoding, done) {
    const { level, message, ...meta } = JSON.parse(chunk.toString()) as Record<string, unknown>;
    parentPort!.postMessage({ type: 'log', level: String(level), message: String(message), meta } satisfies CreateWorkerReply);
    done();
  },
});

if (parentPort) {
  const port = parentPort;
  const data = workerData as CreateWorkerData;
  const logger = winston.createLogger({ level: data.logLevel, format: winston.format.json(), transports: [new winston.transports.Stream({ stream: toDialerThread })] });
  const auth = new ReusingAuth({ applicationId: data.applicationId, privateKey: data.privateKey, reuseMs: data.jwtReuseMs, clock: systemClock });
  const telephony = new VonageTelephony({ auth, apiHost: data.apiHost, logger });
  const stop = new AbortController();
  const creator = new PacedCreator(limiterForCps(data.pacing.cps, systemClock, data.pacing.marginMs), telephony, stop.signal);

  const create = async (id: number, request: CreateCallRequest) => {
    const turn = await creator.reserve();
    const result = turn ? await turn.send(request) : undefined;
    port.postMessage({ type: 'result', id, result: result ?? null } satisfies CreateWorkerReply);
  };

  port.on('message', (message: CreateWorkerRequest) => {
    switch (message.type) {
      case 'create':
        void create(message.id, message.request);
        return;
      case 'backoff':
        creator.backoff(message.ms);
        return;
      case 'stop':
        stop.abort();
        return;
    }
  });
}
