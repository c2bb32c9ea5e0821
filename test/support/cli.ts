import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolveFromRoot } from '../../src/config/index.js';

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the real CLI from the TypeScript sources (as `npx nps-dialer` would run the build) with
 * its own database file. Each start costs about a second of tsx compilation, so suites keep the
 * number of runs small.
 */
export function spawnCli(args: string[], databasePath: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', resolveFromRoot('src/cli/main.ts'), ...args], {
    cwd: resolveFromRoot(),
    env: { ...process.env, DATABASE_PATH: databasePath, LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], databasePath: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, databasePath, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

/** Resolves when the child has exited and been reaped, so its pid no longer counts as alive. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A port nothing listens on right now, for a child process that must be told its port in advance. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
