import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, readConfig, type AppConfig, type ParseConfigOptions } from '../../config/index.js';
import { AppError } from '../../errors/index.js';
import { createLogger, type Logger } from '../../logging/index.js';
import { ensureSandboxCredentials, loadScenarioFile, startSandbox, type Sandbox } from '../../sandbox/index.js';
import { writeEnvSettings, type EnvFileChanges } from '../env-file.js';
import { helpSection } from '../help.js';
import { printLine } from '../output.js';

export interface SandboxCommandOptions {
  port: number;
  scenario?: string;
  seed: number;
  cps: number;
  timeScale: number;
  /** Write the settings the dialer needs into this dotenv file (`true`: .env). */
  writeEnv?: string | boolean;
  /** With writeEnv: replace settings the file has with other values. */
  force?: boolean;
}

export interface SandboxCommandDeps {
  /** Reads configuration; the CLI passes readConfig, tests a parseConfig over a plain object. */
  loadConfig: (options: ParseConfigOptions) => AppConfig;
  /** Base for data/sandbox/ and for the relative key path printed. */
  cwd: string;
  /** Resolves when the sandbox should stop (SIGINT/SIGTERM in the CLI). */
  until: Promise<void>;
  print: (line: string) => void;
  /** Called once the sandbox listens, so a test can talk to it. */
  onListening?: (sandbox: Sandbox) => void;
  logger?: Logger;
}

type Setting = [name: string, value: string];

/** The application id, key and secret the sandbox verifies with, and the settings the dialer needs. */
function resolveCredentials(deps: SandboxCommandDeps): { applicationId: string; privateKey: string; signatureSecret: string; settings: Setting[]; config: AppConfig } {
  try {
    const config = deps.loadConfig({ needsVonage: true, cwd: deps.cwd });
    const vonage = config.vonage!;
    return { ...vonage, settings: [], config };
  } catch (error) {
    // Only unset Vonage variables are ours to fill in; anything else is a real error.
    if (!(error instanceof ConfigError) || error.problems.some((p) => !p.variable.startsWith('VONAGE_'))) throw error;
    // A value that is set but refused (a signature secret of 10 characters) is the operator's to
    // fix: using our own credentials instead would hide it until the first real run.
    const refused = error.problems.filter((p) => !p.missing);
    if (refused.length > 0) {
      throw new ConfigError(
        refused.map((p) => ({ ...p, problem: `${p.problem}. The sandbox makes its own credentials only for VONAGE_* settings that are not set; fix or unset this one` })),
      );
    }
    const config = deps.loadConfig({ cwd: deps.cwd });
    const credentials = ensureSandboxCredentials(path.join(deps.cwd, 'data', 'sandbox'));
    const settings: Setting[] = [
      ['VONAGE_APPLICATION_ID', credentials.applicationId],
      ['VONAGE_PRIVATE_KEY', path.relative(deps.cwd, credentials.privateKeyPath)],
      ['VONAGE_SIGNATURE_SECRET', credentials.signatureSecret],
    ];
    if (error.problems.some((p) => p.variable === 'VONAGE_FROM_NUMBER')) settings.push(['VONAGE_FROM_NUMBER', '447700900000']);
    return { ...credentials, settings, config };
  }
}

/**
 * Runs the sandbox until `deps.until` resolves. Prints the environment the dialer needs to talk
 * to it; opens no database.
 */
export async function runSandboxCommand(options: SandboxCommandOptions, deps: SandboxCommandDeps): Promise<void> {
  const credentials = resolveCredentials(deps);
  const scenario = options.scenario ? loadScenarioFile(path.resolve(deps.cwd, options.scenario)) : undefined;
  const logger =
    deps.logger ??
    createLogger({ level: credentials.config.logLevel, format: credentials.config.nodeEnv === 'production' || !process.stderr.isTTY ? 'json' : 'pretty' });
  const sandbox = await startSandbox({
    applicationId: credentials.applicationId,
    privateKey: credentials.privateKey,
    signatureSecret: credentials.signatureSecret,
    port: options.port,
    cps: options.cps,
    seed: options.seed,
    timeScale: options.timeScale,
    scenario,
    logger,
  });
  deps.onListening?.(sandbox);
  const print = deps.print;
  print(`Vonage sandbox listening on ${sandbox.url} (seed ${options.seed}, ${options.cps} calls/s, time ×${options.timeScale}).`);
  const settings: Setting[] = [['VONAGE_API_HOST', sandbox.url], ...credentials.settings];
  print('Run the dialer with:');
  print(`  VONAGE_API_HOST=${sandbox.url}`);
  // The sandbox account's allowance: the dialer's one pace for every list it dials.
  print(`  VONAGE_ACCOUNT_CPS=${options.cps}`);
  if (credentials.settings.length > 0) {
    print('Vonage credentials are not configured, so the sandbox uses its own (kept in data/sandbox/). Also set:');
    for (const [name, value] of credentials.settings) print(`  ${name}=${value}`);
  }
  if (options.writeEnv) {
    const file = path.resolve(deps.cwd, options.writeEnv === true ? '.env' : options.writeEnv);
    for (const line of describeEnvChanges(writeEnvSettings(file, settings, { force: options.force ?? false }), path.relative(deps.cwd, file) || file)) print(line);
  } else {
    print(`(--write-env writes ${settings.length === 1 ? 'it' : `these ${settings.length}`} into .env for you.)`);
  }
  print(`Stats: ${sandbox.url}/__sandbox/stats. Stop with Ctrl-C.`);
  try {
    await deps.until;
  } finally {
    const stats = sandbox.stats();
    await sandbox.close();
    print(
      `Stopped. ${stats.callsCreated} calls created, ${stats.rateLimited} refused with 429, ${stats.webhooks.failed} webhook deliveries failed, ${stats.nccoProblems.length} NCCO problems.`,
    );
  }
}

/** What `--write-env` did, in a line per kind of change (names only: values may be secrets). */
function describeEnvChanges(changes: EnvFileChanges, shownAs: string): string[] {
  const lines: string[] = [];
  if (changes.added.length > 0) lines.push(`Wrote ${shownAs}: added ${changes.added.join(', ')}.`);
  if (changes.replaced.length > 0) lines.push(`Wrote ${shownAs}: replaced ${changes.replaced.join(', ')} (--force).`);
  if (changes.unchanged.length > 0) lines.push(`${shownAs} already has ${changes.unchanged.join(', ')} with these values.`);
  if (changes.kept.length > 0) {
    lines.push(`${shownAs} has other values for ${changes.kept.join(', ')}: left as they are; set them by hand or run again with --force to replace them.`);
  }
  return lines;
}

// Local parsers rather than ../parse.js, which loads the phone-number metadata this command never needs.
function positiveInt(what: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${what} must be a positive whole number, got '${value}'`);
    return Number(value);
  };
}

function integer(what: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a whole number, got '${value}'`);
    return Number(value);
  };
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`--port must be 0 to 65535, got '${value}'`);
  return Number(value);
}

function timeScale(value: string): number {
  const scale = Number(value);
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new InvalidArgumentError(`--time-scale must be a number > 0 (simulated seconds per real second), got '${value}'`);
  }
  return scale;
}

/** `nps-dialer sandbox`: the local Vonage Voice API emulator, standalone. */
export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run a local Vonage Voice API sandbox with virtual callees, until Ctrl-C (see docs/sandbox.md)')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', port, 4010)
    .option('--scenario <file>', 'scenario JSON with scripted callees, population and faults')
    .option('--seed <n>', 'seed for the random population and faults', integer('--seed'), 1)
    .option('--cps <n>', 'calls per second before POST /v1/calls answers 429', positiveInt('--cps'), 3)
    .option('--time-scale <n>', 'simulated seconds per real second', timeScale, 1)
    .option('--write-env [file]', 'write the settings the dialer needs into a dotenv file (default .env); values it already has are kept')
    .option('--force', 'with --write-env: replace values the file already has')
    .addHelpText(
      'after',
      helpSection('Examples', [
        'nps-dialer sandbox --write-env              # then, in another terminal: nps-dialer run 1',
        'nps-dialer sandbox --scenario data/sandbox-scenario.example.json --seed 7 --cps 30',
        'nps-dialer sandbox --write-env sandbox.env --force',
      ]),
    )
    .action(async (options: SandboxCommandOptions) => {
      if (options.force && !options.writeEnv) throw new AppError('USAGE', '--force applies to --write-env');
      let onSignal: () => void = () => undefined;
      const until = new Promise<void>((resolve) => {
        onSignal = resolve;
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      try {
        await runSandboxCommand(options, { loadConfig: readConfig, cwd: process.cwd(), until, print: printLine });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
