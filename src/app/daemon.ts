import type { Clock } from '../clock/index.js';
import { acquireDialerLock, reconcileInFlight, runCampaign, type DialerLock } from '../dialer/index.js';
import { mountApi } from '../http/index.js';
import { ScheduleRunner } from '../schedules/index.js';
import type { AppContext } from './context.js';
import { startDialerRuntime, type DialerRuntime } from './dialer-runtime.js';

export interface Daemon {
  runtime: DialerRuntime;
  runner: ScheduleRunner;
  lock: DialerLock;
  /** Stops the scheduler (live calls finish), the server and the downloads, and frees the lock. */
  close(): Promise<void>;
}

export interface StartDaemonOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** Schedule poll interval in clock ms (tests shorten it). */
  pollIntervalMs?: number | undefined;
  /**
   * The pace limiter's clock; defaults to the context's. The provider counts real seconds, so a
   * test that drives the context with a ManualClock passes the system clock here.
   */
  rateClock?: Clock | undefined;
}

/**
 * `serve`: the one dialer of the database (lock), the webhook server with the client API, and the
 * scheduler that starts and stops list runs. Before the scheduler starts, calls any earlier process
 * left in flight are reconciled in every list, so a final status or a billing line a crash left
 * behind is recovered even for lists no schedule will run again.
 */
export async function startDaemon(ctx: AppContext, options: StartDaemonOptions = {}): Promise<Daemon> {
  const logger = ctx.logger.child({ module: 'daemon' });
  const lock = acquireDialerLock({ database: ctx.database, clock: ctx.clock, logger, command: 'serve' });
  lock.startHeartbeat();
  let runtime: DialerRuntime | undefined;
  try {
    runtime = await startDialerRuntime(ctx, {
      port: options.port,
      host: options.host,
      extra: mountApi({
        database: ctx.database,
        clock: ctx.clock,
        config: ctx.config,
        linkSecret: ctx.config.reportLinkSecret,
        logger: ctx.logger.child({ module: 'api' }),
      }),
    });
    const started = runtime;
    const lists = ctx.database.sqlite
      .prepare(`SELECT list_id AS listId FROM calls WHERE state <> 'ended' UNION SELECT list_id FROM contacts WHERE status = 'dialing'`)
      .all() as { listId: number }[];
    for (const { listId } of lists) {
      try {
        const live = await reconcileInFlight(started.deps, started.telephony, listId);
        logger.info('reconciled calls left in flight', { listId, stillLive: live.length });
      } catch (error) {
        // One list's trouble (the provider unreachable) must not keep the daemon from starting;
        // the list's next run reconciles again.
        logger.error('could not reconcile the calls left in flight', { listId, error: (error as Error).message });
      }
    }
    const runner = new ScheduleRunner({
      database: ctx.database,
      clock: ctx.clock,
      logger: ctx.logger.child({ module: 'scheduler' }),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      runList: (listId, run) => {
        // Settings may have changed since the last window (`lists set`); read them afresh.
        started.deps.lists.invalidate(listId);
        return runCampaign(started.deps, {
          listId,
          telephony: started.telephony,
          urls: started.urls,
          fromNumber: ctx.config.vonage!.fromNumber,
          signal: AbortSignal.any([run.signal, lock.lost]),
          maxIdleWaitMs: run.maxIdleWaitMs,
          rateClock: options.rateClock,
        });
      },
    });
    // Another process took the database over (our heartbeat stalled): no new calls from here.
    lock.lost.addEventListener('abort', () => void runner.stop(), { once: true });
    runner.start();
    return {
      runtime: started,
      runner,
      lock,
      close: async () => {
        await runner.stop();
        // Comments recorded by late callbacks finish downloading before the process ends.
        await started.deps.recordings.drain(10_000);
        await started.close();
        await lock.release();
      },
    };
  } catch (error) {
    await runtime?.close();
    await lock.release();
    throw error;
  }
}
