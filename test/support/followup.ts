import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import request from 'supertest';
import type { ManualClock } from '../../src/clock/index.js';
import type { AppDatabase } from '../../src/db/index.js';
import { detractorAlertPayload, SqliteAlertStore, type RecordingLinkFn } from '../../src/followup/index.js';
import { createSilentLogger, type Logger } from '../../src/logging/index.js';
import { SqliteDeliveryStore, WebhookDeliveries, type Resolve } from '../../src/notifications/index.js';
import { signCallback, startCall, type WebhookHarness } from './dialer.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The exact bytes received, as the signature covers them. */
  raw: string;
  body: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A client's webhook endpoint on loopback: records every request and answers with the given
 * statuses in turn (the last one repeats), e.g. [500, 200] fails once and then accepts.
 */
export async function startReceiver(statuses: number[] = [200]): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/nps/alerts`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The receivers of these tests listen on loopback: allowed as WEBHOOK_ALLOW_PRIVATE_NETWORKS=127.0.0.0/8 would. */
export const LOOPBACK_RECEIVERS = ['127.0.0.0/8'];

/**
 * The delivery worker as the runtime builds it, without its loop: tests call deliverDue().
 * Loopback receivers are allowed unless `receivers` says otherwise.
 */
export function deliveryWorker(
  database: AppDatabase,
  clock: ManualClock,
  recordingLink: RecordingLinkFn = () => null,
  receivers: { privateNetworks?: string[]; resolve?: Resolve } = { privateNetworks: LOOPBACK_RECEIVERS },
  logger: Logger = createSilentLogger(),
): WebhookDeliveries {
  const alerts = { alerts: new SqliteAlertStore(database) };
  return new WebhookDeliveries({
    store: new SqliteDeliveryStore(database),
    clock,
    logger,
    ...receivers,
    firstRetryDelayMs: 30_000,
    maxAttempts: 3,
    builders: {
      'detractor.alert': async (delivery) => (await detractorAlertPayload(alerts, delivery, recordingLink)) as unknown as Record<string, unknown>,
      'report.interim': () => Promise.reject(new Error('queued without a body')),
    },
  });
}

/** Starts a call for the contact and keys a score through the real, signed input webhook. */
export async function keyScore(h: WebhookHarness, contactId: number, digits: string): Promise<{ callId: number; ref: string; uuid: string }> {
  const call = startCall(h.database, contactId, { now: h.clock.now() });
  const raw = JSON.stringify({ dtmf: { digits, timed_out: true }, uuid: call.uuid });
  const res = await request(h.app).post(`/webhooks/input/${call.ref}?step=question`).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
  if (res.status !== 200) throw new Error(`input webhook answered ${res.status}`);
  return call;
}
