import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, readConfig, type AppConfig, type ParseConfigOptions } from '../../config/index.js';
import { createLogger, type Logger } from '../../logging/index.js';
import { ensureSandboxCredentials, loadScenarioFile, startSandbox, type Sandbox } from '../../sandbox/index.js';
import { printLine } from '../output.js';

export interface SandboxCommandOptions {
  port: number;
  scenario?: string;
  seed: number;
  cps: number;
  timeScale: number;
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

/** The application id, key and secret the sandbox verifies with, and the env lines the dialer needs. */
function resolveCredentials(deps: SandboxCommandDeps): { applicationId: string; privateKey: string; signatureSecret: string; envLines: string[]; config: AppConfig } {
  try {
    const config = deps.loadConfig({ needsVonage: true, cwd: deps.cwd });
    const vonage = config.vonage!;
    return { ...vonage, envLines: [], config };
  } catch (error) {
    // Only missing or invalid Vonage variables are ours to fill in; anything else is a real error.
    if (!(error instanceof ConfigError) || error.problems.some((p) => !p.variable.startsWith('VONAGE_'))) throw error;
    const config = deps.loadConfig({ cwd: deps.cwd });
    const credentials = ensureSandboxCredentials(path.join(deps.cwd, 'data', 'sandbox'));
    const envLines = [
      `VONAGE_APPLICATION_ID=${credentials.applicationId}`,
      `VONAGE_PRIVATE_KEY=${path.relative(deps.cwd, credentials.privateKeyPath)}`,
      `VONAGE_SIGNATURE_SECRET=${credentials.signatureSecret}`,
    ];
    if (error.problems.some((p) => p.variable === 'VONAGE_FROM_NUMBER')) envLines.push('VONAGE_FROM_NUMBER=447700900000');
    return { ...credentials, envLines, config };
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
  print('Run the dialer with:');
  print(`  VONAGE_API_HOST=${sandbox.url}`);
  // The sandbox account's allowance: the dialer's one pace for every list it dials.
  print(`  VONAGE_ACCOUNT_CPS=${options.cps}`);
  if (credentials.envLines.length > 0) {
    print('Vonage credentials are not configured, so the sandbox uses its own (kept in data/sandbox/). Also set:');
    for (const line of credentials.envLines) print(`  ${line}`);
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
    .action(async (options: SandboxCommandOptions) => {
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
