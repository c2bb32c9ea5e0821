import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { startDaemon } from '../../app/daemon.js';
import { printLine } from '../output.js';
import { DIALER_NEEDS, helpSection } from '../help.js';
import { positiveInt } from '../parse.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('the daemon: webhooks, the client API and the scheduler (`schedule add`), until Ctrl-C or SIGTERM')
    .option('--port <n>', 'port to listen on (default PORT)', positiveInt('--port'))
    .addHelpText('after', helpSection('Examples', ['nps-dialer serve', 'PUBLIC_BASE_URL=https://dialer.example.com nps-dialer serve --port 8080']) + DIALER_NEEDS)
    .action(async (flags: { port?: number }) => {
      // Listen for the stop signal first: one that arrives while the daemon starts (or right after
      // the banner) must stop it gracefully, not kill it.
      const signalled = nextSignal();
      const ctx = await openContext({ needsVonage: true });
      try {
        const daemon = await startDaemon(ctx, { port: flags.port });
        const base = daemon.runtime.publicBaseUrl;
        printLine(
          `Serving webhooks at ${base}/webhooks, the client API at ${base}/api/v1 and the console at ${base}/console (port ${daemon.runtime.server.port}); ` +
            `scheduled runs start on their own (\`nps-dialer schedule list\`). Ctrl-C stops.`,
        );
        const signal = await signalled;
        process.stderr.write(`${signal}: no new calls; waiting for live calls to finish…\n`);
        await daemon.close();
      } finally {
        await ctx.close();
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
