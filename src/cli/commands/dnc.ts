import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { addSuppressions, listSuppressions, readNumbersFile, removeSuppression, type AddSuppressionsSummary } from '../../contacts/index.js';
import { maskPhone } from '../../logging/index.js';
import { formatTime, printJson, printLine, table } from '../output.js';
import { countryCode, inputFile } from '../parse.js';

export function registerDncCommands(program: Command): void {
  const dnc = program.command('dnc').description('the do-not-call (suppression) list, checked at import and before every call');

  dnc
    .command('add')
    .description('add numbers to the do-not-call list')
    .argument('<number...>', 'phone numbers (E.164, or national with --country)')
    .option('--country <code>', 'country for numbers in national format', countryCode)
    .option('--reason <text>', 'why (kept with the entry)')
    .option('--json', 'print JSON')
    .action(async (numbers: string[], options: { country?: ReturnType<typeof countryCode>; reason?: string; json?: boolean }) => {
      const ctx = await openContext();
      try {
        const summary = await addSuppressions({ suppressions: ctx.backend.stores.suppressions, clock: ctx.clock, numbers, country: options.country, source: 'operator', reason: options.reason });
        report(summary, options.json);
        if (summary.invalid.length > 0) process.exitCode = 3;
      } finally {
        await ctx.close();
      }
    });

  dnc
    .command('import')
    .description('add every number of a file (CSV with a phone column, or one number per line)')
    .argument('<file>', 'CSV with a phone column, or one number per line', inputFile('<file>'))
    .option('--country <code>', 'country for numbers in national format', countryCode)
    .option('--reason <text>', 'why (kept with the entries)')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { country?: ReturnType<typeof countryCode>; reason?: string; json?: boolean }) => {
      const numbers = await readNumbersFile(file);
      const ctx = await openContext();
      try {
        const summary = await addSuppressions({ suppressions: ctx.backend.stores.suppressions, clock: ctx.clock, numbers, country: options.country, source: 'import', reason: options.reason });
        report(summary, options.json);
        if (summary.invalid.length > 0) process.exitCode = 3;
      } finally {
        await ctx.close();
      }
    });

  dnc
    .command('remove')
    .description('take a number off the do-not-call list (contacts already marked suppressed stay so)')
    .argument('<number>', 'phone number')
    .option('--country <code>', 'country for a number in national format', countryCode)
    .action(async (number: string, options: { country?: ReturnType<typeof countryCode> }) => {
      const ctx = await openContext();
      try {
        const { e164 } = await removeSuppression({ suppressions: ctx.backend.stores.suppressions, number, country: options.country });
        printLine(`Removed ${e164} from the do-not-call list.`);
      } finally {
        await ctx.close();
      }
    });

  dnc
    .command('list')
    .description('the do-not-call list')
    .option('--json', 'print JSON')
    .option('--mask', 'mask numbers to their last three digits')
    .action(async (options: { json?: boolean; mask?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const entries = (await listSuppressions({ suppressions: ctx.backend.stores.suppressions })).map((e) => ({ ...e, phoneE164: options.mask ? maskPhone(e.phoneE164) : e.phoneE164 }));
        if (options.json) return printJson(entries);
        if (entries.length === 0) return printLine('The do-not-call list is empty.');
        printLine(table(['NUMBER', 'SOURCE', 'ADDED', 'REASON'], entries.map((e) => [e.phoneE164, e.source, formatTime(e.createdAt), e.reason ?? ''])));
      } finally {
        await ctx.close();
      }
    });
}

function report(summary: AddSuppressionsSummary, json: boolean | undefined): void {
  if (json) return printJson(summary);
  printLine(`Added ${summary.added}, already listed ${summary.already}, invalid ${summary.invalid.length}.`);
  if (summary.contactsSuppressed > 0) printLine(`${summary.contactsSuppressed} waiting contact(s) in open lists are now suppressed.`);
  for (const r of summary.invalid) printLine(`  '${r.value}' ${r.reason}; write numbers in E.164 like +48501234567 or pass --country`);
}
