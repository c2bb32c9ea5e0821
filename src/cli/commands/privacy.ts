import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { eraseNumber, purgeRecordings } from '../../privacy/index.js';
import { printJson, printLine } from '../output.js';
import { countryCode } from '../parse.js';

export function registerPrivacyCommands(program: Command): void {
  program
    .command('contacts')
    .description('personal data of callees')
    .command('erase')
    .description('erase a person from every list, response, recording and future export (the erasure is recorded without the number)')
    .argument('<number>', 'phone number (E.164, or national with --country)')
    .option('--country <code>', 'country for a number in national format', countryCode)
    .option('--json', 'print JSON')
    .action(async (number: string, options: { country?: ReturnType<typeof countryCode>; json?: boolean }) => {
      const ctx = await openContext();
      try {
        const summary = await eraseNumber({ erasures: ctx.backend.stores.erasures, clock: ctx.clock, logger: ctx.logger.child({ module: 'privacy' }), recordingsDir: ctx.config.recordingsDir, number, country: options.country });
        if (options.json) return printJson(summary);
        printLine(
          `Erasure ${summary.erasureId}: removed ${summary.contacts} contact(s) from ${summary.lists} list(s), ${summary.calls} call(s), ` +
            `${summary.responses} response(s) and ${summary.recordings} recording(s).`,
        );
        if (summary.transcripts > 0) printLine(`${summary.transcripts} comment transcript(s) removed with their themes.`);
        if (summary.providerCopiesExpireBy) printLine(`The provider deletes its copies of the recordings and transcripts by ${summary.providerCopiesExpireBy} (it offers no call to delete them sooner).`);
        if (summary.billingLinesKept > 0) printLine(`${summary.billingLinesKept} billing line(s) kept for invoicing, detached from the person.`);
        if (summary.suppressionKept) printLine('The number stays on the do-not-call list (remove it with `dnc remove` if wanted).');
      } finally {
        await ctx.close();
      }
    });

  program
    .command('recordings')
    .description('comment recordings')
    .command('purge')
    .description('delete recordings older than RECORDING_RETENTION_DAYS, and files no response points at')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const ctx = await openContext();
      try {
        const summary = await purgeRecordings({ comments: ctx.backend.stores.comments.comments, clock: ctx.clock, logger: ctx.logger.child({ module: 'privacy' }), recordingsDir: ctx.config.recordingsDir, days: ctx.config.recordingRetentionDays });
        if (options.json) return printJson(summary);
        printLine(
          ctx.config.recordingRetentionDays > 0
            ? `Deleted ${summary.deleted} recording(s) older than ${ctx.config.recordingRetentionDays} days and ${summary.orphans} orphan file(s).`
            : 'RECORDING_RETENTION_DAYS is 0: recordings are kept for ever; nothing deleted.',
        );
      } finally {
        await ctx.close();
      }
    });
}
