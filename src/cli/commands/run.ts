import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { openContext, type AppContext } from '../../app/context.js';
import { consoleDeps } from '../../app/console.js';
import { startDialerRuntime } from '../../app/dialer-runtime.js';
import { sqliteReader } from '../../db/index.js';
import { awaitLateRecordings, type GaugeSnapshot } from '../../calls/index.js';
import { mountConsole } from '../../console/index.js';
import { billingTotals, formatMoney } from '../../billing/index.js';
import { acquireDialerLock, runCampaign, saveListSettings, SqliteRunStore, type CampaignProgress, type CampaignResult } from '../../dialer/index.js';
import { SqliteListStore } from '../../contacts/index.js';
import { listDeliverySummary, type ListDeliverySummary } from '../../notifications/index.js';
import { formatTime, plural, printLine } from '../output.js';
import { addDialingOptions, settingsPatch, type DialingFlags } from '../dialing-options.js';
import { DIALER_NEEDS, helpSection } from '../help.js';
import { parseDurationMs, positiveInt } from '../parse.js';

interface RunFlags extends DialingFlags {
  maxWait?: number;
}

/** Exit code of a run that paused because the remaining contacts are not due yet (EX_TEMPFAIL). */
export const EXIT_PAUSED = 75;

export function registerRunCommand(program: Command): void {
  addDialingOptions(
    program
      .command('run')
      .description('dial every due contact of a list and serve the webhooks until all are final (or say when to continue)')
      .argument('<listId>', 'list id', positiveInt('listId')),
  )
    .option('--max-wait <duration>', 'keep running while the next contact is due within this time (default 15m)', parseDurationMs)
    .addHelpText(
      'after',
      helpSection('Examples', [
        'nps-dialer run 1                                   # the saved settings (lists set), else the defaults',
        'nps-dialer run 1 --cps 10 --max-attempts 3 --retry-delay 2h',
        "nps-dialer run 1 --calling-hours 'Mon-Fri 10:00-20:00' --max-wait 1h",
      ]) +
        DIALER_NEEDS +
        helpSection('Exit codes', [
          '0   every contact is final, or stopped by Ctrl-C',
          '75  paused: the remaining contacts are due later (run again then, or schedule it)',
          '6   another dialer (run or serve) uses the database',
        ]),
    )
    .action(async (listId: number, flags: RunFlags) => {
      const ctx = await openContext({ needsVonage: true });
      try {
        const result = await runList(ctx, listId, flags);
        process.exitCode = result.kind === 'paused' ? EXIT_PAUSED : 0;
      } finally {
        await ctx.close();
      }
    });
}

/**
 * Claims the database (one dialer per database), saves the flags into the list (re-planning its
 * waiting contacts under them), runs the campaign with a progress display and prints the summary.
 */
export async function runList(ctx: AppContext, listId: number, flags: RunFlags): Promise<CampaignResult> {
  const lock = acquireDialerLock({ database: ctx.database, clock: ctx.clock, logger: ctx.logger.child({ module: 'lock' }), command: `run ${listId}` });
  lock.startHeartbeat();
  try {
    await saveListSettings({ lists: new SqliteListStore(ctx.database), runs: new SqliteRunStore(ctx.database), reader: sqliteReader(ctx.database), config: ctx.config, now: ctx.clock.now(), listId, patch: settingsPatch(flags), logger: ctx.logger.child({ module: 'dialer' }) });
    return await dialList(ctx, listId, flags, lock.lost);
  } finally {
    await lock.release();
  }
}

async function dialList(ctx: AppContext, listId: number, flags: RunFlags, lockLost: AbortSignal): Promise<CampaignResult> {
  // The web console is served while the list is dialled (docs/console.md); a pause from it wakes the loop.
  const wake: { signal?: () => void; gauges?: () => GaugeSnapshot | undefined } = {};
  const runtime = await startDialerRuntime(ctx, { extra: mountConsole(consoleDeps(ctx, { notifyChange: () => wake.signal?.(), gauges: () => wake.gauges?.() })) });
  wake.signal = () => runtime.deps.signals.notifyChange();
  wake.gauges = () => runtime.deps.gauges?.snapshot();
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    process.stderr.write(`\n${signal}: no new calls; waiting for live calls to finish…\n`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const display = progressDisplay();
  try {
    const settings = await runtime.deps.lists.load(listId);
    const { cps, maxConcurrent, maxAttempts } = settings.policy;
    const accountCps = ctx.config.accountCps;
    // `run` is the database's only dialer, so the list has the account's pace to itself, up to its own cps.
    const pace = cps <= accountCps ? `${cps} calls/s` : `${accountCps} calls/s (the account's VONAGE_ACCOUNT_CPS; the list allows ${cps})`;
    printLine(`Dialling list ${listId} "${settings.listName}" at ${pace}, ${maxConcurrent} live calls at most, ${maxAttempts} attempts; webhooks at ${runtime.publicBaseUrl}`);
    printLine(`Console: http://127.0.0.1:${runtime.server.port}/console (sign in with the client's API key, or CONSOLE_OPERATOR_TOKEN at /console/operator)`);
    const result = await runCampaign(runtime.deps, {
      listId,
      telephony: runtime.telephony,
      pacer: runtime.pacer,
      urls: runtime.urls,
      fromNumber: ctx.config.vonage!.fromNumber,
      signal: AbortSignal.any([stop.signal, lockLost]),
      maxIdleWaitMs: flags.maxWait,
      onProgress: display.update,
    });
    display.stop();
    // Recording webhooks arrive some seconds after a call ends, and downloads take a while:
    // keep the server up for them so no comment of the last calls is lost.
    await awaitLateRecordings({ comments: runtime.commentStores.comments, clock: ctx.clock }, listId, 60_000);
    await runtime.deps.recordings.drain(60_000);
    await runtime.deps.texts?.drain(60_000);
    // The last detractors' alerts were waiting for those comments (or for their grace time): send
    // this list's now, with whatever comment there is, and what else is due. Any that fail are
    // retried by the next `run` or `serve` (they are stored).
    await runtime.deliveries.flushList(listId);
    await runtime.deliveries.deliverDue();
    await printSummary(ctx, listId, result);
    return result;
  } finally {
    display.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
}

async function printSummary(ctx: AppContext, listId: number, result: CampaignResult): Promise<void> {
  const p = result.progress;
  const billing = await billingTotals(sqliteReader(ctx.database), listId);
  const final = p.contacts - (p.byStatus.pending ?? 0) - (p.byStatus.dialing ?? 0);
  printLine(
    `${final}/${plural(p.contacts, 'contact')} final after ${plural(p.calls, 'call')} (${p.dialled} in this run): ` +
      `${p.answered} answered by a person, ${plural(p.responses, 'response')}, NPS ${p.nps === null ? '-' : p.nps.toFixed(1)}.`,
  );
  printLine(`Billable calls: ${billing.billableCalls} (${billing.billableSeconds} s), amount ${formatMoney(billing.amountMinor, billing.currency ?? ctx.config.defaultTariff.currency)}`);
  const alerts = describeDeliveries(listDeliverySummary(ctx.database, listId));
  if (alerts) printLine(alerts);
  if (result.kind === 'completed') printLine(`List ${listId} is final: every contact reached a final state. Report: nps-dialer report ${listId}`);
  if (result.kind === 'stopped') printLine(`Stopped (${result.reason}); run \`nps-dialer run ${listId}\` again to continue.`);
  if (result.kind === 'paused') {
    printLine(
      `Paused: ${result.waiting} contact(s) wait (${result.reason}). Next callable at ${formatTime(result.nextAttemptAt)}; ` +
        `run \`nps-dialer run ${listId}\` then, or schedule it.`,
    );
  }
}

/** The list's webhooks (detractor alerts, interim reports) in one line, or '' when it has none. */
export function describeDeliveries(d: ListDeliverySummary): string {
  const skipped = d.skipped.reduce((sum, s) => sum + s.deliveries, 0);
  if (d.delivered + d.pending + d.failed + skipped === 0) return '';
  const parts = [`${d.delivered} delivered`];
  if (d.pending) parts.push(`${d.pending} to retry (by the next run or serve)`);
  if (d.failed) parts.push(`${d.failed} failed for good (nps-dialer alerts)`);
  for (const s of d.skipped) parts.push(`${s.deliveries} not sent: ${s.reason}`);
  return `Webhooks to the client: ${parts.join('; ')}.`;
}

/**
 * One progress line. Every figure counts the whole list, whichever run made the calls, so the
 * figures agree with each other (a person answered every call that has a response) and with a
 * re-run of a finished list.
 */
export function describeProgress(p: CampaignProgress): string {
  const final = p.contacts - (p.byStatus.pending ?? 0) - (p.byStatus.dialing ?? 0);
  const nps = p.nps === null ? '-' : p.nps.toFixed(1);
  return `${final}/${p.contacts} final | calls ${p.calls} | answered ${p.answered} | responses ${p.responses} | NPS ${nps}${p.rateLimited ? ` | 429s ${p.rateLimited}` : ''}`;
}

function progressDisplay() {
  if (!process.stderr.isTTY) {
    let last = 0;
    let lastLine = '';
    return {
      // Plain lines for logs: at most one every 5 s, and only when something changed.
      update: (p: CampaignProgress) => {
        const now = performance.now();
        const line = describeProgress(p);
        if (now - last < 5_000 || line === lastLine) return;
        last = now;
        lastLine = line;
        process.stderr.write(`${line}\n`);
      },
      stop: () => undefined,
    };
  }
  // Cleared when it stops: the summary printed next says the same, once.
  const bar = new cliProgress.SingleBar(
    { format: '[{bar}] {value}/{total} final | calls {calls} | answered {answered} | responses {responses} | NPS {nps}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p: CampaignProgress) => {
      const final = p.contacts - (p.byStatus.pending ?? 0) - (p.byStatus.dialing ?? 0);
      const payload = { calls: p.calls, answered: p.answered, responses: p.responses, nps: p.nps === null ? '-' : p.nps.toFixed(1) };
      if (!started) {
        bar.start(p.contacts, final, payload);
        started = true;
      } else bar.update(final, payload);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
