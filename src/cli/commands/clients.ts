import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { addClient, listClients } from '../../contacts/index.js';
import { formatTime, printJson, printLine, table } from '../output.js';

export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('clients: who lists belong to and who downloads their reports');

  clients
    .command('add')
    .description('create a client and print its API key (shown once; only a hash is stored)')
    .argument('<name>', 'client name')
    .option('--json', 'print JSON')
    .action((name: string, options: { json?: boolean }) => {
      const ctx = openContext();
      try {
        const { client, apiKey } = addClient({ database: ctx.database, clock: ctx.clock, name });
        if (options.json) return printJson({ ...client, apiKey });
        printLine(`Client ${client.id} "${client.name}" created.`);
        printLine(`API key (shown only now; store it safely): ${apiKey}`);
      } finally {
        ctx.close();
      }
    });

  clients
    .command('list', { isDefault: true })
    .description('all clients')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const ctx = openContext({ readOnly: true });
      try {
        const all = listClients({ database: ctx.database });
        if (options.json) return printJson(all);
        if (all.length === 0) return printLine('No clients yet. Add one with `nps-dialer clients add <name>`.');
        printLine(table(['ID', 'NAME', 'KEY PREFIX', 'CREATED'], all.map((c) => [c.id, c.name, c.apiKeyPrefix ?? '-', formatTime(c.createdAt)])));
      } finally {
        ctx.close();
      }
    });
}
