import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { clientTaxonomy, setClientTaxonomy, type ClientTaxonomy } from '../../comments/index.js';
import { addClient, getClient, listClients, updateClientSettings, type ClientDetails } from '../../contacts/index.js';
import { formatTime, printJson, printLine, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { readTaxonomyFile } from './comments.js';

export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('clients: who lists belong to and who downloads their reports');

  clients
    .command('add')
    .description('create a client and print its API key (shown once; only a hash is stored)')
    .argument('<name>', 'client name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const ctx = await openContext();
      try {
        const { client, apiKey } = await addClient({ clients: ctx.backend.stores.clients, clock: ctx.clock, name });
        if (options.json) return printJson({ ...client, apiKey });
        printLine(`Client ${client.id} "${client.name}" created.`);
        printLine(`API key (shown only now; store it safely): ${apiKey}`);
      } finally {
        await ctx.close();
      }
    });

  clients
    .command('set')
    .description("where a client's detractor alerts and daily reports go, the secret that signs them, and its default case owner")
    .argument('<clientId>', 'client id', positiveInt('clientId'))
    .option('--alert-url <url>', 'https URL that receives detractor alerts ("none" clears it)')
    .option('--alert-secret <secret>', 'HMAC-SHA256 key of the X-Nps-Signature header (at least 16 characters; generated when a URL is set without one)')
    .option('--report-url <url>', 'https URL for the daily interim reports, if not the alert URL ("none" clears it)')
    .option('--case-owner <name>', 'default owner of follow-up cases ("none" clears it)')
    .option('--taxonomy <file>', 'the themes taxonomy of its comments, a JSON file (docs/themes.md); "default" goes back to the default taxonomy')
    .option('--json', 'print JSON')
    .action(async (clientId: number, flags: { alertUrl?: string; alertSecret?: string; reportUrl?: string; caseOwner?: string; taxonomy?: string; json?: boolean }) => {
      const ctx = await openContext();
      const store = ctx.backend.stores.clients;
      const clear = (value: string | undefined) => (value === undefined ? undefined : value === 'none' ? null : value);
      try {
        // The file is read and validated before anything is written: a bad one changes nothing.
        const taxonomy = flags.taxonomy === undefined || flags.taxonomy === 'default' ? null : readTaxonomyFile(flags.taxonomy);
        const settings = flags.alertUrl !== undefined || flags.alertSecret !== undefined || flags.reportUrl !== undefined || flags.caseOwner !== undefined;
        const { client, generatedSecret } = settings
          ? await updateClientSettings({
              clients: store,
              clientId,
              privateNetworks: ctx.config.webhookPrivateNetworks,
              patch: { alertUrl: clear(flags.alertUrl), alertSecret: flags.alertSecret, reportUrl: clear(flags.reportUrl), caseOwner: clear(flags.caseOwner) },
            })
          : { client: await getClient({ clients: store, clientId }), generatedSecret: undefined };
        const taxonomies = ctx.backend.stores.comments.taxonomies;
        const themes =
          flags.taxonomy === undefined ? await clientTaxonomy(taxonomies, clientId) : await setClientTaxonomy(taxonomies, { clientId, taxonomy, source: `--taxonomy ${flags.taxonomy}` });
        if (flags.json) return printJson({ ...client, taxonomy: themes, ...(generatedSecret ? { alertSecret: generatedSecret } : {}) });
        printClient(client, themes);
        if (generatedSecret) printLine(`Webhook secret (shown only now; the receiver checks X-Nps-Signature with it): ${generatedSecret}`);
      } finally {
        await ctx.close();
      }
    });

  clients
    .command('show')
    .description('one client and its follow-up settings (the webhook secret is never shown)')
    .argument('<clientId>', 'client id', positiveInt('clientId'))
    .option('--json', 'print JSON')
    .action(async (clientId: number, flags: { json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const client = await getClient({ clients: ctx.backend.stores.clients, clientId });
        const themes = await clientTaxonomy(ctx.backend.stores.comments.taxonomies, clientId);
        if (flags.json) return printJson({ ...client, taxonomy: themes });
        printClient(client, themes);
      } finally {
        await ctx.close();
      }
    });

  clients
    .command('list', { isDefault: true })
    .description('all clients')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const all = await listClients({ clients: ctx.backend.stores.clients });
        if (options.json) return printJson(all);
        if (all.length === 0) return printLine('No clients yet. Add one with `nps-dialer clients add <name>`.');
        printLine(table(['ID', 'NAME', 'KEY PREFIX', 'CREATED'], all.map((c) => [c.id, c.name, c.apiKeyPrefix ?? '-', formatTime(c.createdAt)])));
      } finally {
        await ctx.close();
      }
    });
}

function printClient(c: ClientDetails, taxonomy: ClientTaxonomy): void {
  printLine(`Client ${c.id} "${c.name}" (key ${c.apiKeyPrefix ?? '-'}…)`);
  printLine(`  alert URL    ${c.alertUrl ?? '-'}`);
  printLine(`  report URL   ${c.reportUrl ?? (c.alertUrl ? '(the alert URL)' : '-')}`);
  printLine(`  secret       ${c.hasAlertSecret ? 'set' : '-'}`);
  printLine(`  case owner   ${c.caseOwner ?? 'unassigned'}`);
  printLine(`  taxonomy     ${taxonomy.kind === 'default' ? 'default' : "the client's own"} (themes ${taxonomy.themes.join(', ')})`);
}
