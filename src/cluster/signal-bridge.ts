import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { CallSignals, SignalEvent } from '../calls/index.js';
import { CANCELLED, type Clock } from '../clock/index.js';
import type { PostgresDatabase } from '../db/postgres/index.js';
import type { Logger } from '../logging/index.js';

const CHANNEL = 'nps_signals';

export interface SignalBridge {
  close(): Promise<void>;
}

/**
 * Carries the call signals between the nodes of a cluster through PostgreSQL's LISTEN/NOTIFY: a
 * call's final webhook reaches any node, and the dialing node must free the call's slot at once,
 * not when its deadline passes. Each node listens on a connection of its own and publishes through
 * the pool; a message names its node so that nobody acts on its own signal twice. When the
 * listening connection breaks, the bridge connects again and wakes every waiter to read the
 * database: what was missed meanwhile is in there.
 */
export async function bridgeSignals(options: { database: PostgresDatabase; signals: CallSignals; clock: Clock; logger: Logger; reconnectMs?: number }): Promise<SignalBridge> {
  const { database, signals, clock, logger } = options;
  const node = randomBytes(6).toString('hex');
  const closing = new AbortController();
  let client: pg.Client | undefined;

  const listen = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: database.url, application_name: 'nps-dialer signals' });
    next.on('notification', (message) => {
      const event = parse(message.payload, node);
      if (event) signals.deliver(event);
    });
    next.on('error', (error) => {
      logger.warn('lost the signal connection to the other nodes; connecting again', { error: error.message });
      void reconnect(next);
    });
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
  };

  let reconnecting = false;
  const reconnect = async (broken: pg.Client): Promise<void> => {
    if (reconnecting || closing.signal.aborted || client !== broken) return;
    reconnecting = true;
    client = undefined;
    void broken.end().catch(() => undefined);
    while (!closing.signal.aborted) {
      try {
        await clock.sleep(options.reconnectMs ?? 1000, closing.signal);
        await listen();
        signals.wakeAll();
        logger.info('signal connection to the other nodes restored');
        break;
      } catch (error) {
        if (closing.signal.aborted) break;
        logger.warn('could not reconnect the signal connection', { error: (error as Error).message });
      }
    }
    reconnecting = false;
  };

  await listen();
  signals.broadcastTo((event) => {
    const payload = event.kind === 'ended' ? `${node}:ended:${event.callId}` : `${node}:change`;
    database.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((error: unknown) => {
      // The others will read the database at their next check; nothing is lost but time.
      logger.warn('could not signal the other nodes', { error: (error as Error).message });
    });
  });
  return {
    close: async () => {
      closing.abort(CANCELLED);
      signals.broadcastTo(() => undefined);
      await client?.end().catch(() => undefined);
    },
  };
}

function parse(payload: string | undefined, self: string): SignalEvent | undefined {
  const [from, kind, id] = (payload ?? '').split(':');
  if (from === self) return undefined;
  if (kind === 'change') return { kind: 'change' };
  if (kind === 'ended' && id && /^\d+$/.test(id)) return { kind: 'ended', callId: Number(id) };
  return undefined;
}
