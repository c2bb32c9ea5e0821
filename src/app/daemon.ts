import type { Clock } from '../clock/index.js';
import { acquireDialerLock, LocalPacer, reconcileInFlight, runCampaign, type DialerLock } from '../dialer/index.js';
import { sqliteCommentStores } from '../comments/index.js';
import { SqliteClientStore, SqliteListStore } from '../contacts/index.js';
import { consoleDeps } from './console.js';
import { mountConsole } from '../console/index.js';
import { SqliteCaseStore } from '../followup/index.js';
import { mountApi } from '../http/index.js';
import { produceInterimReports } from '../reports/index.js';
import { CronJob, ScheduleRunner, TriggeredListsRunner, type RunListFn } from '../schedules/index.js';
import { sqliteTriggerUnits } from '../triggers/index.js';
import type { AppContext } from './context.js';
import { startDialerRuntime, type DialerRuntime } from './dialer-runtime.js';
import { reportReads } from './report-reads.js';

export interface Daemon {
  runtime: DialerRuntime;
  runner: ScheduleRunner;
  /** Dials the lists that accept triggered surveys, continuously. */
  triggered: TriggeredListsRunner;
  /** The daily interim reports; null when INTERIM_REPORT_CRON is off. */
  interim: CronJob | null;
  lock: DialerLock;
  /** Stops the scheduler (live calls finish), the server and the downloads, and frees the lock. */
  close(): Promise<void>;
}

export interface StartDaemonOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** Schedule poll interval in clock ms (tests shorten it). */
  pollIntervalMs?: number | undefined;
  /** How often triggered lists are looked at, in clock ms (default 5 s). */
  triggerPollMs?: number | undefined;
  /**
   * Paces in this thread on this clock instead of in the create-call worker. The provider counts
   * real seconds, so a test that drives the context with a ManualClock passes the system clock here.
   */
  rateClock?: Clock | undefined;
}

/**
 * `serve`: the one dialer of the database (lock), the webhook server with the client API, the
 * scheduler that starts and stops list runs, the continuous dialer of lists that accept triggered
 * surveys, the daily interim reports, and (in the runtime) the delivery of alerts. Before anything
 * dials, calls any earlier process left in flight are reconciled in every list, so a final status
 * or a billing line a crash left behind is recovered even for lists no schedule will run again.
 */
export async function startDaemon(ctx: AppContext, options: StartDaemonOptions = {}): Promise<Daemon> {
  const logger = ctx.logger.child({ module: 'daemon' });
  const lock = acquireDialerLock({ database: ctx.database, clock: ctx.clock, logger, command: 'serve' });
  lock.startHeartbeat();
  let runtime: DialerRuntime | undefined;
  try {
    // The API is mounted before the runner exists; a trigger queued in between is found by its first tick.
    const late: { triggered?: TriggeredListsRunner } = {};
    runtime = await startDialerRuntime(ctx, {
      port: options.port,
      host: options.host,
      extra: (app) => {
        mountApi({
          database: ctx.database,
          ...reportReads(ctx),
          commentStores: sqliteCommentStores(ctx.database),
          lists: new SqliteListStore(ctx.database),
          clients: new SqliteClientStore(ctx.database),
          clock: ctx.clock,
          config: ctx.config,
          linkSecret: ctx.config.reportLinkSecret,
          logger: ctx.logger.child({ module: 'api' }),
          cases: new SqliteCaseStore(ctx.database),
          triggers: sqliteTriggerUnits(ctx.database),
          onSurveyQueued: (listId) => {
            // The list's run (if any) looks for due contacts at once; otherwise the runner starts one.
            started.deps.signals.notifyChange();
            late.triggered?.poke();
            logger.debug('triggered survey queued', { listId });
          },
        })(app);
        mountConsole(consoleDeps(ctx, { notifyChange: () => started.deps.signals.notifyChange(), gauges: () => started.deps.gauges?.snapshot() }))(app);
      },
    });
    const started = runtime;
    for (const listId of await started.deps.runs.listsInFlight()) {
      try {
        const live = await reconcileInFlight(started.deps, started.telephony, listId);
        logger.info('reconciled calls left in flight', { listId, stillLive: live.length });
      } catch (error) {
        // One list's trouble (the provider unreachable) must not keep the daemon from starting;
        // the list's next run reconciles again.
        logger.error('could not reconcile the calls left in flight', { listId, error: (error as Error).message });
      }
    }
    // One pace for every run of the daemon, scheduled or triggered: the provider counts the account.
    const pacer = options.rateClock ? new LocalPacer({ telephony: started.telephony, clock: options.rateClock, pace: { cps: ctx.config.accountCps } }) : started.pacer;
    const runList: RunListFn = (listId, run) => {
      // Settings may have changed since the last run (`lists set`); read them afresh.
      started.deps.lists.invalidate(listId);
      return runCampaign(started.deps, {
        listId,
        telephony: started.telephony,
        pacer,
        urls: started.urls,
        fromNumber: ctx.config.vonage!.fromNumber,
        signal: AbortSignal.any([run.signal, lock.lost]),
        maxIdleWaitMs: run.maxIdleWaitMs,
        maxSleepMs: run.maxSleepMs,
      });
    };
    const runner = new ScheduleRunner({
      database: ctx.database,
      clock: ctx.clock,
      logger: ctx.logger.child({ module: 'scheduler' }),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      runList,
    });
    const triggers = new TriggeredListsRunner({
      database: ctx.database,
      clock: ctx.clock,
      logger: ctx.logger.child({ module: 'triggers' }),
      runList,
      ...(options.triggerPollMs ? { pollIntervalMs: options.triggerPollMs } : {}),
      // `schedule add` and `lists set` keep a list to one of the two; this guards a race between them.
      isBusy: (listId) => runner.runningLists.includes(listId),
    });
    late.triggered = triggers;
    const interim = ctx.config.interimReports ? interimReportJob(ctx, started) : null;
    // Another process took the database over (our heartbeat stalled): no new calls from here.
    lock.lost.addEventListener('abort', () => void Promise.all([runner.stop(), triggers.stop()]), { once: true });
    runner.start();
    triggers.start();
    interim?.start();
    return {
      runtime: started,
      runner,
      triggered: triggers,
      interim,
      lock,
      close: async () => {
        await interim?.stop();
        await Promise.all([runner.stop(), triggers.stop()]);
        // Comments recorded by late callbacks finish downloading before the process ends, and the
        // alerts that waited for them go out (what fails stays queued for the next start).
        await started.deps.recordings.drain(10_000);
        await started.deps.texts?.drain(10_000);
        await started.deliveries.deliverDue();
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

/** The daily interim reports (INTERIM_REPORT_CRON in INTERIM_REPORT_TZ): files, then announcements. */
function interimReportJob(ctx: AppContext, runtime: DialerRuntime): CronJob {
  const schedule = ctx.config.interimReports!;
  const logger = ctx.logger.child({ module: 'interim-reports' });
  return new CronJob({
    name: 'interim reports',
    cron: schedule.cron,
    timezone: schedule.timezone,
    clock: ctx.clock,
    logger,
    run: async (occurrenceAt) => {
      const written = await produceInterimReports(
        { database: ctx.database, ...reportReads(ctx), clock: ctx.clock, config: ctx.config, linkSecret: ctx.config.reportLinkSecret, logger, reportsDir: ctx.config.reportsDir },
        { occurrenceAt, timezone: schedule.timezone, baseUrl: runtime.publicBaseUrl },
      );
      if (written.some((r) => r.deliveryId !== null)) runtime.deliveries.poke();
    },
  });
}
