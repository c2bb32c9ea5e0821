import type { Clock } from '../clock/index.js';
import { bridgeSignals, type SignalBridge, type Term } from '../cluster/index.js';
import { LocalPacer, reconcileInFlight, runCampaign, type AccountPacer } from '../dialer/index.js';
import { consoleDeps } from './console.js';
import { mountConsole } from '../console/index.js';
import { mountApi } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import { produceInterimReports } from '../reports/index.js';
import { CronJob, ScheduleRunner, TriggeredListsRunner, type RunListFn } from '../schedules/index.js';
import type { AppContext } from './context.js';
import { startDialerRuntime, type DialerRuntime } from './dialer-runtime.js';
import { leadershipFor, type Leadership } from './leadership.js';
import { reportReads } from './report-reads.js';

export interface Daemon {
  runtime: DialerRuntime;
  /** Who dials: this process's lock on SQLite, the election of a cluster's nodes on PostgreSQL. */
  leadership: Leadership;
  /** The scheduler of this node's current term (on SQLite: from the start until the lock is lost). */
  readonly runner: ScheduleRunner;
  /** Dials the lists that accept triggered surveys, continuously, while this node leads. */
  readonly triggered: TriggeredListsRunner;
  /** The daily interim reports of the current term; null when INTERIM_REPORT_CRON is off or the node does not lead. */
  readonly interim: CronJob | null;
  /** Stops leading (live calls finish), drains, stops the server, and frees the lock or the lease. */
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

/** What the dialing node runs for one term, and how it stops. */
interface TermWork {
  runner: ScheduleRunner;
  triggered: TriggeredListsRunner;
  interim: CronJob | null;
  /**
   * Resolves, once the term ended, when nothing of it can start a call or send an alert any more
   * (the outbox stopped, every run's starts settled and its unstarted contacts given back): a
   * successor may dial from then on, while this term's live calls finish.
   */
  handedOver: Promise<void>;
  /** Resolves once the term's work stopped (live calls finished or handed over). */
  stopped: Promise<void>;
}

/**
 * `serve`: the webhook server with the client API and the console, on every node; and, on the
 * node that dials (the lock's holder on SQLite, the elected node of a cluster on PostgreSQL), the
 * scheduler that starts and stops list runs, the continuous dialer of lists that accept triggered
 * surveys, the daily interim reports and the delivery of alerts. Each term starts by reconciling
 * the calls any earlier dialer left in flight in every list, so a final status or a billing line a
 * crash left behind is recovered, and a dead node's live calls are adopted, before anything dials.
 */
export async function startDaemon(ctx: AppContext, options: StartDaemonOptions = {}): Promise<Daemon> {
  const logger = ctx.logger.child({ module: 'daemon' });
  const stores = ctx.backend.stores;
  let leadership: Leadership | undefined;
  let runtime: DialerRuntime | undefined;
  let bridge: SignalBridge | undefined;
  try {
    // On SQLite this throws LOCKED before anything listens when another process dials.
    if (ctx.backend.kind === 'sqlite') leadership = leadershipFor(ctx, { command: 'serve', address: ctx.config.publicBaseUrl ?? null, logger });
    // The API is mounted before the runners exist; a trigger queued in between is found by their first tick.
    const late: { triggered?: TriggeredListsRunner } = {};
    let draining = false;
    runtime = await startDialerRuntime(ctx, {
      port: options.port,
      host: options.host,
      startWorkers: false,
      node: {
        facts: () => ({ node: leadership?.node, backend: ctx.backend.kind, dialing: leadership?.status().leading ?? false, draining }),
        state: async () => {
          const database = await stores.reader.get('SELECT 1 AS ok').then(
            () => 'ok',
            (error: unknown) => `unreachable: ${(error as Error).message}`,
          );
          const status = leadership?.status();
          return {
            ready: database === 'ok' && !draining,
            node: leadership?.node,
            backend: ctx.backend.kind,
            database,
            draining,
            dialing: status?.leading ?? false,
            dialer: status?.lease ? { node: status.lease.holder, address: status.lease.address, fence: status.lease.fence, leaseExpiresAt: new Date(status.lease.expiresAt).toISOString() } : null,
          };
        },
      },
      extra: (app) => {
        mountApi({
          ...reportReads({ reader: stores.reader, config: ctx.config }),
          commentStores: stores.comments,
          lists: stores.lists,
          clients: stores.clients,
          clock: ctx.clock,
          config: ctx.config,
          linkSecret: ctx.config.reportLinkSecret,
          logger: ctx.logger.child({ module: 'api' }),
          cases: stores.cases,
          triggers: stores.triggerUnits,
          reader: stores.reader,
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
    if (ctx.backend.kind === 'postgres') {
      // A call's final webhook may reach any node; the dialing node must hear of it at once.
      bridge = await bridgeSignals({ database: ctx.backend.database, signals: started.deps.signals, clock: ctx.clock, logger: ctx.logger.child({ module: 'signals' }) });
      leadership = leadershipFor(ctx, { command: 'serve', address: started.publicBaseUrl, logger });
    }
    // One pace for every run of the daemon, scheduled or triggered: the provider counts the account.
    const pacer = options.rateClock ? new LocalPacer({ telephony: started.telephony, clock: options.rateClock, pace: { cps: ctx.config.accountCps } }) : started.pacer;
    let work: TermWork | undefined;
    const lead = (term: Term): void => {
      work = startTerm(ctx, started, { term, pacer, options, late, logger });
    };
    const lead0 = leadership!;
    lead0.start(lead);
    return {
      runtime: started,
      leadership: lead0,
      get runner() {
        if (!work) throw new Error('this node does not dial now');
        return work.runner;
      },
      get triggered() {
        if (!work) throw new Error('this node does not dial now');
        return work.triggered;
      },
      get interim() {
        return work?.interim ?? null;
      },
      close: async () => {
        // Draining: the load balancer's check fails from now on, and no new call starts here.
        draining = true;
        await lead0.resign();
        // Once nothing of the term can start a call, a successor may dial (on a cluster the lease
        // is given up now); this node's live calls finish meanwhile, their webhooks answered by any
        // node and their ends signalled here.
        await work?.handedOver;
        await lead0.handOver();
        await work?.stopped;
        // Comments recorded by late callbacks finish downloading before the process ends, and the
        // alerts that waited for them go out (what fails stays queued for the next dialer).
        await started.deps.recordings.drain(10_000);
        await started.deps.texts?.drain(10_000);
        await bridge?.close();
        await started.close();
        // Only now may another process or node dial: nothing of this one's term is left.
        await lead0.stop();
      },
    };
  } catch (error) {
    await bridge?.close();
    await runtime?.close();
    await leadership?.stop();
    throw error;
  }
}

/**
 * The dialing node's work for one term: reconcile what earlier dialers left in flight, then the
 * scheduler, the triggered lists, the interim reports and the outbox, until the term ends.
 */
function startTerm(
  ctx: AppContext,
  started: DialerRuntime,
  t: { term: Term; pacer: AccountPacer; options: StartDaemonOptions; late: { triggered?: TriggeredListsRunner }; logger: Logger },
): TermWork {
  const { term, pacer, options, late, logger } = t;
  const stores = ctx.backend.stores;
  // The runs that may still start a call: each leaves once its starts settled (or it ended).
  const starting = new Set<Promise<void>>();
  const runList: RunListFn = (listId, run) => {
    // Settings may have changed since the last run (`lists set`); read them afresh.
    started.deps.lists.invalidate(listId);
    let settled!: () => void;
    const settles = new Promise<void>((resolve) => (settled = resolve));
    starting.add(settles);
    void settles.then(() => starting.delete(settles));
    const result = runCampaign(started.deps, {
      listId,
      telephony: started.telephony,
      pacer,
      urls: started.urls,
      fromNumber: ctx.config.vonage!.fromNumber,
      signal: AbortSignal.any([run.signal, term.signal]),
      maxIdleWaitMs: run.maxIdleWaitMs,
      maxSleepMs: run.maxSleepMs,
      onStartsSettled: settled,
    });
    result.then(settled, settled);
    return result;
  };
  const runner = new ScheduleRunner({
    schedules: stores.schedules,
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'scheduler' }),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    runList,
  });
  const triggered = new TriggeredListsRunner({
    schedules: stores.schedules,
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'triggers' }),
    runList,
    ...(options.triggerPollMs ? { pollIntervalMs: options.triggerPollMs } : {}),
    // `schedule add` and `lists set` keep a list to one of the two; this guards a race between them.
    isBusy: (listId) => runner.runningLists.includes(listId),
  });
  late.triggered = triggered;
  const interim = ctx.config.interimReports ? interimReportJob(ctx, started, ctx.config.interimReports) : null;
  const begin = (async () => {
    for (const listId of await stores.runs.listsInFlight()) {
      if (term.signal.aborted) return;
      try {
        const live = await reconcileInFlight(started.deps, started.telephony, listId);
        logger.info('reconciled calls left in flight', { listId, stillLive: live.length, fence: term.fence });
      } catch (error) {
        // One list's trouble (the provider unreachable) must not keep the node from dialing;
        // the list's next run reconciles again.
        logger.error('could not reconcile the calls left in flight', { listId, error: (error as Error).message });
      }
    }
    if (term.signal.aborted) return;
    await started.startWorkers();
    runner.start();
    triggered.start();
    interim?.start();
  })();
  let handOver!: () => void;
  const handedOver = new Promise<void>((resolve) => (handOver = resolve));
  const stopped = new Promise<void>((resolve) => {
    const stop = async () => {
      await begin.catch((error: unknown) => logger.error('the dialer could not start', { error: (error as Error).message }));
      await interim?.stop();
      // The runs stop starting calls at once (the term's signal); stopping the runners starts no new run.
      const runsEnded = Promise.all([runner.stop(), triggered.stop()]);
      // The outbox stops first: a successor's worker takes it over.
      await started.stopWorkers();
      while (starting.size > 0) await Promise.all([...starting]);
      handOver();
      await runsEnded;
      resolve();
    };
    if (term.signal.aborted) void stop();
    else term.signal.addEventListener('abort', () => void stop(), { once: true });
  });
  return { runner, triggered, interim, handedOver, stopped };
}

/** The daily interim reports (INTERIM_REPORT_CRON in INTERIM_REPORT_TZ): files, then announcements. */
function interimReportJob(ctx: AppContext, runtime: DialerRuntime, schedule: { cron: string; timezone: string }): CronJob {
  const logger = ctx.logger.child({ module: 'interim-reports' });
  return new CronJob({
    name: 'interim reports',
    cron: schedule.cron,
    timezone: schedule.timezone,
    clock: ctx.clock,
    logger,
    run: async (occurrenceAt) => {
      const written = await produceInterimReports(
        { interimReports: ctx.backend.stores.interimReports, ...reportReads({ reader: ctx.backend.stores.reader, config: ctx.config }), clock: ctx.clock, config: ctx.config, linkSecret: ctx.config.reportLinkSecret, logger, reportsDir: ctx.config.reportsDir },
        { occurrenceAt, timezone: schedule.timezone, baseUrl: runtime.publicBaseUrl },
      );
      if (written.some((r) => r.deliveryId !== null)) runtime.deliveries.poke();
    },
  });
}
