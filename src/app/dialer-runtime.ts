import { CANCELLED, systemClock } from '../clock/index.js';
import { CommentTexts, ProviderTranscripts, type CommentStores } from '../comments/index.js';
import { CallSignals, DialerGauges, RecordingDownloads, webhookUrls, type CallDeps, type WebhookUrls } from '../calls/index.js';
import { ListSettingsBook } from '../contacts/index.js';
import { LocalPacer, RollingWindowLimiter, WorkerPacer, type AccountPacer, type DialerDeps } from '../dialer/index.js';
import { AppError } from '../errors/index.js';
import { detractorAlertPayload } from '../followup/index.js';
import { createHttpApp, listen, type HttpAppDeps, type NodeProbe, type RunningServer, type WebhookDeps } from '../http/index.js';
import { WebhookDeliveries } from '../notifications/index.js';
import { purgeRecordings } from '../privacy/index.js';
import { createRecordingLink } from '../reports/index.js';
import { ReusingAuth, VONAGE_OTHER_REQUESTS_PER_SECOND, VonageTelephony, type Telephony } from '../telephony/index.js';
import type { AppContext } from './context.js';

/** A webhook server with everything the dialer needs, wired from an AppContext. */
export interface DialerRuntime {
  deps: WebhookDeps & DialerDeps;
  telephony: Telephony;
  /**
   * The account's pace (VONAGE_ACCOUNT_CPS), shared by every run of the process: the create
   * requests and the SDK client in a worker thread (WorkerPacer), or, when `telephony` was
   * replaced, through it in this thread.
   */
  pacer: AccountPacer;
  urls: WebhookUrls;
  server: RunningServer;
  publicBaseUrl: string;
  /** The outbox worker: detractor alerts and report announcements to clients. */
  deliveries: WebhookDeliveries;
  /** The comment pipeline's stores, which the recording and text queues work on. */
  commentStores: CommentStores;
  /**
   * Starts the work one process per database does: resuming the downloads and texts left pending
   * and the outbox. `startDialerRuntime` calls it unless told not to: `serve` calls it at the
   * start of each term it dials, and `stopWorkers` when the term ends.
   */
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface StartDialerRuntimeOptions {
  /** Defaults to the configured PORT; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Replaces the Vonage SDK client (tests of the dialer loop only; e2e tests use the sandbox). */
  telephony?: Telephony;
  /** More routers on the same server (`serve` mounts the client API). */
  extra?: HttpAppDeps['extra'];
  /** Poll interval of the webhook delivery worker, clock ms (tests shorten it). */
  deliveryPollMs?: number;
  /** Start the per-database workers at once (default true); `serve` starts them when it dials. */
  startWorkers?: boolean;
  /** What /healthz and /readyz tell of this node. */
  node?: NodeProbe;
}

export async function startDialerRuntime(ctx: AppContext, options: StartDialerRuntimeOptions = {}): Promise<DialerRuntime> {
  const { config, logger } = ctx;
  const vonage = config.vonage;
  if (!vonage) throw new AppError('CONFIG_INVALID', 'the dialer needs the Vonage credentials (VONAGE_*); see docs/configuration.md');
  const base: CallDeps = {
    units: ctx.backend.stores.callUnits,
    clock: ctx.clock,
    logger: logger.child({ module: 'dialer' }),
    signals: new CallSignals(),
    lists: new ListSettingsBook(ctx.backend.stores.reader, config),
    transcriptionLanguages: config.transcriptionLanguages,
  };
  // One signer for the SDK's requests and the recording downloads.
  const auth = new ReusingAuth({ applicationId: vonage.applicationId, privateKey: vonage.privateKey, reuseMs: config.jwtReuseSeconds * 1000, clock: ctx.clock });
  const commentStores = ctx.backend.stores.comments;
  const recordings = new RecordingDownloads({
    comments: commentStores.comments,
    clock: ctx.clock,
    logger: logger.child({ module: 'recordings' }),
    authorization: () => auth.createBearerHeader(),
    policy: { apiHost: config.vonageApiHost, extraHosts: config.recordingDownloadHosts },
    recordingsDir: config.recordingsDir,
  });
  const texts = new CommentTexts({
    stores: commentStores,
    clock: ctx.clock,
    logger: logger.child({ module: 'comments' }),
    transcriber: new ProviderTranscripts({ authorization: () => auth.createBearerHeader(), policy: { apiHost: config.vonageApiHost, extraHosts: config.recordingDownloadHosts } }),
    recordingsDir: config.recordingsDir,
  });
  // The URLs need the port we really got, so the server starts first and the deps object is
  // completed before any call is created. Callback tokens carry Vonage's real time, so their age is
  // read on the system clock whatever ctx.clock simulates (docs/adr/0003-webhook-signatures.md).
  const deps = { ...base, recordings, texts, signatureSecret: vonage.signatureSecret, tokenWindow: config.webhookTokens, tokenClock: systemClock, urls: webhookUrls('http://unset'), gauges: new DialerGauges(systemClock), runs: ctx.backend.stores.runs } as WebhookDeps & DialerDeps;
  const app = createHttpApp({ logger: logger.child({ module: 'http' }), webhooks: deps, extra: options.extra, trustProxy: config.trustProxy, node: options.node });
  const server = await listen(app, options.port ?? config.port, options.host);
  const publicBaseUrl = config.publicBaseUrl ?? `http://127.0.0.1:${server.port}`;
  deps.urls = webhookUrls(publicBaseUrl);
  const telephony =
    options.telephony ??
    new VonageTelephony({
      auth,
      apiHost: config.vonageApiHost,
      // One pace for every look-up of the process (each list's reconciliation, every watched call),
      // on real time: the provider counts real seconds.
      pacer: new RollingWindowLimiter({ limit: VONAGE_OTHER_REQUESTS_PER_SECOND, windowMs: 1000, clock: systemClock }),
      logger: logger.child({ module: 'telephony' }),
    });
  const pace = { cps: config.accountCps };
  const pacer: AccountPacer = options.telephony
    ? new LocalPacer({ telephony, clock: ctx.clock, pace })
    : new WorkerPacer(
        { applicationId: vonage.applicationId, privateKey: vonage.privateKey, apiHost: config.vonageApiHost, jwtReuseMs: config.jwtReuseSeconds * 1000, logLevel: logger.level },
        pace,
        logger.child({ module: 'telephony' }),
      );
  // Alerts and announcements queued by this process or left pending by an earlier one. Only the
  // dialer (the lock holder, the elected node) runs this worker, so there is one per database.
  const reportDeps = { clock: ctx.clock, linkSecret: config.reportLinkSecret };
  const alerts = { alerts: ctx.backend.stores.alerts };
  const deliveries = new WebhookDeliveries({
    store: ctx.backend.stores.deliveries,
    clock: ctx.clock,
    logger: logger.child({ module: 'deliveries' }),
    privateNetworks: config.webhookPrivateNetworks,
    ...(options.deliveryPollMs ? { pollIntervalMs: options.deliveryPollMs } : {}),
    builders: {
      'detractor.alert': async (delivery) =>
        (await detractorAlertPayload(alerts, delivery, ({ listId, callId }) => createRecordingLink(reportDeps, { listId, callId, baseUrl: publicBaseUrl }))) as unknown as Record<string, unknown>,
      'report.interim': (delivery) => Promise.reject(new Error(`interim report delivery ${delivery.id} was queued without its body`)),
    },
  });
  deps.onFollowUp = () => deliveries.poke();
  let retention: { stop(): Promise<void> } | undefined;
  const startWorkers = async () => {
    const resumed = await recordings.resumePending();
    if (resumed > 0) logger.info('resuming recording downloads', { count: resumed });
    const resumedTexts = await texts.resumePending();
    if (resumedTexts > 0) logger.info('resuming comment texts', { count: resumedTexts });
    deliveries.start();
    retention ??= keepPurgingRecordings(ctx, commentStores);
  };
  const stopWorkers = async () => {
    await retention?.stop();
    retention = undefined;
    // The alerts that are due go out before another node takes the outbox over.
    await deliveries.deliverDue().catch(() => 0);
    await deliveries.close();
  };
  if (options.startWorkers !== false) await startWorkers();
  logger.info('webhook server listening', { port: server.port, publicBaseUrl });
  return {
    deps,
    telephony,
    pacer,
    urls: deps.urls,
    server,
    publicBaseUrl,
    deliveries,
    commentStores,
    startWorkers,
    stopWorkers,
    close: async () => {
      await retention?.stop();
      await server.close();
      await recordings.close();
      await texts.close();
      await deliveries.close();
      await pacer.close();
    },
  };
}

const DAY_MS = 86_400_000;

/** Deletes recordings past RECORDING_RETENTION_DAYS now and then once a day, until stopped. */
function keepPurgingRecordings(ctx: AppContext, stores: CommentStores): { stop(): Promise<void> } {
  const stop = new AbortController();
  const log = ctx.logger.child({ module: 'privacy' });
  const purge = () =>
    purgeRecordings({ comments: stores.comments, clock: ctx.clock, logger: log, recordingsDir: ctx.config.recordingsDir, days: ctx.config.recordingRetentionDays }).catch((error: unknown) =>
      log.error('recording purge failed', { error }),
    );
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await purge();
      await ctx.clock.sleep(DAY_MS, stop.signal).catch(() => undefined);
    }
  })();
  return {
    // Waits for a purge in progress, so nothing touches the database after it is closed.
    stop: async () => {
      stop.abort(CANCELLED);
      await loop;
    },
  };
}
