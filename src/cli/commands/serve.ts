import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { startDialerRuntime } from '../../app/dialer-runtime.js';
import { mountApi } from '../../http/index.js';
import { printLine } from '../output.js';
import { positiveInt } from '../parse.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the webhooks and the client API without dialing, until Ctrl-C or SIGTERM')
    .option('--port <n>', 'port to listen on (default PORT)', positiveInt('--port'))
    .action(async (flags: { port?: number }) => {
      const ctx = openContext({ needsVonage: true });
      try {
        const runtime = await startDialerRuntime(ctx, {
          port: flags.port,
          extra: mountApi({
            database: ctx.database,
            clock: ctx.clock,
            config: ctx.config,
            linkSecret: ctx.config.reportLinkSecret,
            logger: ctx.logger.child({ module: 'api' }),
          }),
        });
        printLine(`Serving webhooks at ${runtime.publicBaseUrl}/webhooks and the client API at ${runtime.publicBaseUrl}/api/v1 (port ${runtime.server.port}). Ctrl-C stops.`);
        const signal = await nextSignal();
        process.stderr.write(`${signal}: stopping…\n`);
        // Comments recorded by late callbacks finish downloading before the process ends.
        await runtime.deps.recordings.drain(10_000);
        await runtime.close();
      } finally {
        ctx.close();
      }
    });
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
