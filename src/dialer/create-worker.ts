/**
 * Worker-thread entry for creating calls (see WorkerPacer): the account's rolling-window limiter,
 * a lane of it per run, and the Vonage SDK client, on an event loop that has nothing else to do,
 * so an answer is read when it arrives and its slot's window starts then.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import winston from 'winston';
import { systemClock } from '../clock/index.js';
import { ReusingAuth, VonageTelephony, type CreateCallRequest, type CreateCallResult } from '../telephony/index.js';
import { PacedCreator, type AccountPace } from './call-creator.js';
import { limiterForCps } from './rate-limiter.js';

export interface CreateWorkerData {
  applicationId: string;
  /** PEM. */
  privateKey: string;
  apiHost: string;
  jwtReuseMs: number;
  logLevel: string;
  pace: AccountPace;
}

export type CreateWorkerRequest =
  /** A run starts: its lane, at most `cps`. */
  | { type: 'open'; lane: number; cps: number }
  | { type: 'create'; id: number; lane: number; request: CreateCallRequest }
  /** After a 429: every lane waits. */
  | { type: 'backoff'; ms: number }
  /** The run stops: its requests still waiting for a slot are answered with `result: null`. */
  | { type: 'stop'; lane: number }
  /** The run ended: its lane leaves the limiter. */
  | { type: 'close'; lane: number };

export type CreateWorkerReply =
  /** A create request reached the worker (it may now wait there for a slot). */
  | { type: 'received'; id: number }
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
  const limiter = limiterForCps(data.pace.cps, systemClock, data.pace.marginMs ?? 0);
  const lanes = new Map<number, { creator: PacedCreator; stop: AbortController }>();

  const create = async (id: number, laneId: number, request: CreateCallRequest) => {
    // A request of a lane already closed was never sent: "not sent".
    const turn = await lanes.get(laneId)?.creator.reserve();
    const result = turn ? await turn.send(request) : undefined;
    port.postMessage({ type: 'result', id, result: result ?? null } satisfies CreateWorkerReply);
  };

  port.on('message', (message: CreateWorkerRequest) => {
    switch (message.type) {
      case 'open': {
        const stop = new AbortController();
        lanes.set(message.lane, { creator: new PacedCreator({ lane: limiter.lane(message.cps), limiter, telephony, stop: stop.signal }), stop });
        return;
      }
      case 'create':
        port.postMessage({ type: 'received', id: message.id } satisfies CreateWorkerReply);
        void create(message.id, message.lane, message.request);
        return;
      case 'backoff':
        limiter.backoff(message.ms);
        return;
      case 'stop':
        lanes.get(message.lane)?.stop.abort();
        return;
      case 'close': {
        const lane = lanes.get(message.lane);
        lanes.delete(message.lane);
        lane?.stop.abort();
        void lane?.creator.close();
        return;
      }
      default: {
        const unreachable: never = message;
        throw new Error(`unknown create-worker message ${JSON.stringify(unreachable)}`);
      }
    }
  });
}
