import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { openContext, type AppContext } from '../../app/context.js';
import { reportReads } from '../../app/report-reads.js';
import { AppError } from '../../errors/index.js';
import {
  createReportLink,
  renderAgentReport,
  REPORT_AUDIENCES,
  REPORT_FORMATS,
  renderReport,
  type RenderedReport,
  type ReportAudience,
  type ReportFormat,
  type ReportServiceDeps,
} from '../../reports/index.js';
import { printLine } from '../output.js';
import { helpSection } from '../help.js';
import { outputFile, parseDurationMs, positiveInt } from '../parse.js';

interface ReportFlags {
  format?: ReportFormat;
  out?: string;
  full?: boolean;
  summary?: boolean;
  link?: boolean;
  expires?: number;
  by?: 'agent';
  audience: ReportAudience;
}

const DEFAULT_LINK_LIFETIME_MS = 7 * 86_400_000;

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('the NPS report of a list: JSON on stdout by default, or CSV or a self-contained HTML page')
    .argument('<listId>', 'list id', positiveInt('listId'))
    .addOption(new Option('--format <format>', 'json, csv or html (default json; html with --link)').choices(REPORT_FORMATS))
    .option('--out <file>', 'write the report to this file instead of stdout (its folder must exist)', outputFile('--out'))
    .option('--full', 'CSV: full phone numbers (masked to the last three digits otherwise)')
    .option('--summary', 'CSV: the aggregate table instead of one row per contact')
    .option('--link', 'print a signed, expiring download URL instead (needs REPORT_LINK_SECRET)')
    .option('--expires <duration>', 'lifetime of the --link URL: 12h, 7d, … (default 7d, at most 90d)', parseDurationMs)
    .addOption(new Option('--by <attribute>', 'only the per-agent results (ranked), as JSON or --format csv').choices(['agent']))
    .addOption(
      new Option('--audience <who>', "operator: the JSON has the provider's cost too; client: exactly the client's copy (what the API serves)")
        .choices(REPORT_AUDIENCES)
        .default('operator'),
    )
    .addHelpText(
      'after',
      helpSection('Examples', [
        'nps-dialer report 1 > q4.json                          # the JSON report (yours: with the provider cost)',
        'nps-dialer report 1 --audience client > q4.json        # the client\'s copy, as the API serves it',
        'nps-dialer report 1 --format html --out q4.html        # one page to mail; recordings embedded',
        'nps-dialer report 1 --format csv --summary --out q4.csv',
        'nps-dialer report 1 --link --expires 14d               # a signed URL for the client (REPORT_LINK_SECRET)',
        'nps-dialer report 1 --by agent --format csv',
      ]),
    )
    .action(async (listId: number, flags: ReportFlags) => {
      checkFlags(flags);
      const ctx = await openContext({ readOnly: true });
      try {
        await report(ctx, listId, flags);
      } finally {
        await ctx.close();
      }
    });
}

function checkFlags(flags: ReportFlags): void {
  const format = flags.format ?? (flags.link ? 'html' : 'json');
  if ((flags.full || flags.summary) && format !== 'csv') throw new AppError('USAGE', '--full and --summary apply to --format csv');
  if (flags.full && flags.summary) throw new AppError('USAGE', '--summary has no phone numbers; drop --full');
  if (flags.expires !== undefined && !flags.link) throw new AppError('USAGE', '--expires applies to --link');
  if (flags.by && (format === 'html' || flags.full || flags.summary || flags.link)) {
    throw new AppError('USAGE', '--by agent prints JSON or --format csv; the HTML page and the full report already include the agents');
  }
  if (flags.link && (flags.full || flags.summary || flags.out)) {
    throw new AppError('USAGE', '--link prints a URL of the masked per-contact or HTML/JSON report; it takes no --full, --summary or --out');
  }
}

async function report(ctx: AppContext, listId: number, flags: ReportFlags): Promise<void> {
  const deps: ReportServiceDeps = { ...reportReads({ reader: ctx.backend.stores.reader, config: ctx.config }), clock: ctx.clock, config: ctx.config, linkSecret: ctx.config.reportLinkSecret };
  if (flags.link) {
    const baseUrl = ctx.config.publicBaseUrl ?? `http://127.0.0.1:${ctx.config.port}`;
    const link = await createReportLink(deps, { listId, format: flags.format ?? 'html', expiresInMs: flags.expires ?? DEFAULT_LINK_LIFETIME_MS, baseUrl });
    printLine(link.url);
    process.stderr.write(`Valid until ${link.expiresAt}; served by \`nps-dialer serve\` at ${baseUrl}.\n`);
    return;
  }
  const outDir = flags.out ? path.dirname(path.resolve(flags.out)) : process.cwd();
  const rendered = flags.by ? await renderAgentReport(deps, { listId, format: flags.format === 'csv' ? 'csv' : 'json' }) : await renderReport(deps, {
    listId,
    format: flags.format ?? 'json',
    full: flags.full,
    summary: flags.summary,
    audience: flags.audience,
    // Recordings too large to embed are linked relative to where the page is written.
    recordingHref: (_comment, absolutePath) => path.relative(outDir, absolutePath).split(path.sep).map(encodeURIComponent).join('/'),
  });
  if (flags.out) {
    await writeAtomically(path.resolve(flags.out), rendered);
    process.stderr.write(`Wrote ${flags.out}\n`);
  } else if (typeof rendered.body === 'string') {
    process.stdout.write(rendered.body);
  } else {
    await pipeline(rendered.body, process.stdout, { end: false });
  }
}

/** Writes beside the target and renames, so a failed or interrupted export leaves no partial file. */
async function writeAtomically(file: string, rendered: RenderedReport): Promise<void> {
  const temporary = `${file}.${process.pid}.partial`;
  try {
    if (typeof rendered.body === 'string') writeFileSync(temporary, rendered.body);
    else await pipeline(rendered.body, createWriteStream(temporary));
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
