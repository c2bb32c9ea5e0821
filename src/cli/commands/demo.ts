import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import express from 'express';
import { consoleDeps } from '../../app/console.js';
import { openContext, type AppContext } from '../../app/context.js';
import { reportReads } from '../../app/report-reads.js';
import { mountConsole } from '../../console/index.js';
import { listen } from '../../http/index.js';
import { ScaledClock, systemClock } from '../../clock/index.js';
import { readConfig, resolveFromRoot } from '../../config/index.js';
import { formatMoney } from '../../billing/index.js';
import { addClient, DialingPolicy, importList, SqliteClientStore, SqliteImportSink } from '../../contacts/index.js';
import { AppError } from '../../errors/index.js';
import { createLogger } from '../../logging/index.js';
import { buildReport } from '../../reports/index.js';
import { POOL_LANGUAGES, startSandbox } from '../../sandbox/index.js';
import { helpSection } from '../help.js';
import { printLine } from '../output.js';
import { checkedBy, inputFile, parseDurationMs, positiveInt, positiveNumber } from '../parse.js';
import { runList } from './run.js';

interface DemoFlags {
  contacts: string;
  country: string;
  seed: number;
  cps: number;
  timeScale: number;
  retryDelay: number;
  dir: string;
  keepServing?: boolean;
  port?: number;
}

/**
 * `npm run demo`: a whole campaign against the built-in Vonage sandbox at zero cost. It makes a
 * throw-away application key and signature secret, starts the sandbox with a seeded population,
 * imports the sample list into a fresh database under data/demo/, dials it through the real SDK
 * and webhook server, and prints the NPS and the bill.
 *
 * Time is simulated: app and sandbox share a clock that starts at the next weekday 09:00 UTC
 * (10:00 in Warsaw, 11:00 in Sofia, 12:00 in Moscow — inside everybody's calling hours) and runs
 * `--time-scale` times faster than real time, so a 20-minute retry delay passes in seconds. The
 * provider's calls-per-second limit is real time, as on Vonage.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a whole survey campaign against the built-in Vonage sandbox (no credentials, no cost)')
    .option('--contacts <file>', 'contact list to import', inputFile('--contacts'), resolveFromRoot('data', 'sample-contacts.csv'))
    .option('--country <code>', 'country for national-format numbers', 'PL')
    .option('--seed <n>', 'sandbox seed: same seed, same campaign', positiveInt('--seed'), 42)
    .option('--cps <n>', "the sandbox account's calls per second, dialled at exactly that pace (at most 1000)", checkedBy('--cps', DialingPolicy.shape.cps, positiveNumber('--cps')), 30)
    .option('--time-scale <n>', 'simulated seconds per real second', positiveNumber('--time-scale'), 300)
    .option('--retry-delay <duration>', 'simulated wait before retrying busy/unanswered/machine', parseDurationMs, 20 * 60_000)
    .option('--dir <path>', 'where the demo database and recordings go (emptied first)', 'data/demo')
    .option('--keep-serving', 'once the campaign is done, keep serving the web console (docs/console.md) until Ctrl-C')
    .option('--port <n>', 'port of the console while dialling and with --keep-serving (default: any free port)', positiveInt('--port'))
    .addHelpText('after', helpSection('Examples', ['nps-dialer demo', 'nps-dialer demo --keep-serving --port 8080', 'nps-dialer demo --contacts my-list.csv --country GB --seed 7 --cps 10']))
    .action(async (flags: DemoFlags) => {
      await runDemo(flags);
    });
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const base = readConfig();
  const dir = path.resolve(flags.dir);
  refuseForeignDirectory(flags.dir, dir);
  rmSync(dir, { recursive: true, force: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const credentials = {
    applicationId: randomUUID(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signatureSecret: randomBytes(24).toString('hex'),
    fromNumber: '447700900000',
  };
  const clock = new ScaledClock({ start: nextWeekdayNineUtc(systemClock.now()), factor: flags.timeScale });
  const logger = createLogger({ level: base.logLevel === 'info' ? 'warn' : base.logLevel, format: process.stderr.isTTY ? 'pretty' : 'json' });
  const sandbox = await startSandbox({
    applicationId: credentials.applicationId,
    privateKey: credentials.privateKey,
    signatureSecret: credentials.signatureSecret,
    cps: flags.cps,
    timeScale: flags.timeScale,
    clock,
    seed: flags.seed,
    // The demo's account transcribes every survey language (the provider's preview confirmed en-US
    // only; the sandbox's default); speech audio is spoken by espeak-ng where it is installed.
    speech: { transcription: { languages: [...POOL_LANGUAGES] } },
    logger: logger.child({ module: 'sandbox' }),
  });
  const ctx = await openContext({
    config: {
      ...base,
      databasePath: path.join(dir, DEMO_DATABASE),
      recordingsDir: path.join(dir, 'recordings'),
      port: flags.port ?? 0,
      publicBaseUrl: undefined,
      // A throw-away operator credential for the console, unless one is configured.
      consoleOperatorToken: base.consoleOperatorToken ?? randomBytes(24).toString('base64url'),
      vonageApiHost: sandbox.url,
      // The sandbox account allows --cps, and the demo's one list dials at that pace.
      accountCps: flags.cps,
      vonage: credentials,
    },
    clock,
    logger,
  });
  try {
    printLine(`Sandbox Voice API at ${sandbox.url} (${flags.cps} calls/s, seed ${flags.seed}); simulated time starts ${new Date(clock.now()).toISOString()} and runs ${flags.timeScale}× faster.`);
    // A client, so the console's client view has someone to sign in: its key is printed below.
    const { client, apiKey } = await addClient({ clients: new SqliteClientStore(ctx.database), clock, name: 'Acme Telecom' });
    const summary = await importList({
      sink: new SqliteImportSink(ctx.database),
      clock,
      logger: logger.child({ module: 'import' }),
      file: flags.contacts,
      name: 'demo',
      clientId: client.id,
      country: flags.country as 'PL',
      // Russian callees without a timezone column are read in Moscow time instead of the narrow
      // overlap of Russia's eleven zones.
      defaultTimezone: 'Europe/Moscow',
      script: { company: 'Acme Telecom' },
    });
    printLine(`Imported list ${summary.listId}: ${summary.imported} contacts (${summary.duplicates} duplicates merged, ${summary.rejectedCount} rows rejected).`);
    const result = await runList(ctx, summary.listId!, {
      cps: flags.cps,
      maxConcurrent: Math.max(10, Math.ceil(flags.cps * 2)),
      maxAttempts: 3,
      retryDelay: flags.retryDelay,
      // Wait for every retry: the demo runs the list to its end.
      maxWait: 24 * 3600_000,
    });
    const report = await buildReport({ ...reportReads({ reader: ctx.backend.stores.reader, config: ctx.config }), clock, config: ctx.config }, { listId: summary.listId!, audience: 'operator' });
    const interval = report.npsCi95 ? ` (95% interval ${report.npsCi95[0].toFixed(1)} to ${report.npsCi95[1].toFixed(1)})` : '';
    printLine(
      `NPS ${report.nps === null ? '-' : report.nps.toFixed(1)}${interval} from ${report.responses} responses: ` +
        `${report.promoters} promoters, ${report.passives} passives, ${report.detractors} detractors; mean score ${report.meanScore?.toFixed(2) ?? '-'}.`,
    );
    printLine(`Billed: ${report.billing.billableCalls} person-answered calls, ${formatMoney(report.billing.amountMinor, report.billing.currency ?? ctx.config.defaultTariff.currency)} (machines, busy and unanswered calls are free).`);
    const stats = sandbox.stats();
    printLine(`Sandbox: ${stats.callsCreated} calls created, ${stats.rateLimited} rejected with 429, at most ${stats.maxCreatesInAnyRollingSecond} creates in any rolling second.`);
    printLine(`Database: ${ctx.config.databasePath}; see the report with: DATABASE_PATH=${ctx.config.databasePath} npx nps-dialer report ${summary.listId} --format html --out report.html`);
    printLine(`Console sign-in: the client's API key ${apiKey}; the operator token ${ctx.config.consoleOperatorToken}`);
    if (result.kind !== 'completed') process.exitCode = 1;
    if (flags.keepServing) await serveConsoleUntilStopped(ctx, flags.port ?? 0);
  } finally {
    await ctx.close();
    await sandbox.close();
  }
}

/** The console over the demo's database, after the campaign, until SIGINT or SIGTERM. */
async function serveConsoleUntilStopped(ctx: AppContext, port: number): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  mountConsole(consoleDeps(ctx, {}))(app);
  app.get('/', (_req, res) => res.redirect(303, '/console'));
  const server = await listen(app, port, '127.0.0.1');
  printLine(`Console: http://127.0.0.1:${server.port}/console — serving until Ctrl-C.`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/**
 * The demo empties its folder first: only a new or empty folder, or one an earlier demo made (its
 * database is there), is emptied, so that `--dir .` cannot wipe a project.
 */
function refuseForeignDirectory(given: string, dir: string): void {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  if (entries.length > 0 && !entries.includes(DEMO_DATABASE)) {
    throw new AppError('USAGE', `--dir '${given}' holds files the demo did not make, and the demo empties its folder; give a new or empty folder (default data/demo)`);
  }
}

const DEMO_DATABASE = 'nps-dialer.db';

/** 09:00 UTC on the next Monday-to-Friday day at or after `nowMs`'s date (tomorrow if past 09:00). */
export function nextWeekdayNineUtc(nowMs: number): number {
  const day = new Date(nowMs);
  day.setUTCHours(9, 0, 0, 0);
  if (day.getTime() <= nowMs) day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day.getTime();
}
