#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT_CODE, isAppError, toCliError } from '../errors/index.js';
import { buildProgram } from './program.js';

/**
 * The CLI entry point: every error ends here and is mapped to a message and an exit code (see
 * EXIT_CODE). With --json, errors are a JSON object on stdout, so scripts always get JSON.
 */
async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; usage errors were already printed by commander.
      if (error.exitCode === 0) return 0;
      // Commander wrote the usage error to stderr; a script that asked for --json gets it as JSON too.
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message.replace(/^error: /, '') } }, null, 2)}\n`);
      return 2;
    }
    const appError = toCliError(error);
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: appError.code, message: appError.userMessage, ...(appError.details ? { details: appError.details } : {}) } }, null, 2)}\n`,
      );
    } else {
      process.stderr.write(`error: ${appError.userMessage}\n`);
    }
    // The stack of an unexpected error (mapped to INTERNAL), for the bug report.
    if (appError.code === 'INTERNAL' && !isAppError(error)) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_CODE[appError.code];
  }
}

// A reader that stops early (`nps-dialer lists plan 1 | head`) closes the pipe: the rest of the
// output is dropped and the command ends as it would have (a `run` is not cut short by it).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
});

process.exitCode = await main(process.argv);
