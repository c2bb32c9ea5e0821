import { Option, type Command } from 'commander';
import { openContext } from '../../app/context.js';
import { CASE_STATUSES } from '../../db/schema/index.js';
import { AppError } from '../../errors/index.js';
import { CasesQuery, listAlerts, listCases, updateCase, type CaseView } from '../../followup/index.js';
import { formatTime, printJson, printLine, table } from '../output.js';
import { positiveInt } from '../parse.js';

const time = (isoText: string | null) => (isoText === null ? '-' : formatTime(Date.parse(isoText)));

export function registerFollowUpCommands(program: Command): void {
  program
    .command('alerts')
    .description('detractor alerts')
    .command('list', { isDefault: true })
    .description('detractor alerts, newest first, with every delivery attempt')
    .option('--list <listId>', 'only this list', positiveInt('--list'))
    .option('--limit <n>', 'at most this many (default 100)', positiveInt('--limit'))
    .option('--json', 'print JSON')
    .action(async (flags: { list?: number; limit?: number; json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const alerts = await listAlerts({ alerts: ctx.backend.stores.alerts }, { listId: flags.list, limit: flags.limit });
        if (flags.json) return printJson(alerts);
        if (alerts.length === 0) return printLine('No detractor alerts yet.');
        printLine(
          table(
            ['ID', 'LIST', 'SCORE', 'AGENT', 'CASE', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED'],
            alerts.map((a) => [
              a.id,
              a.listId,
              a.score ?? '-',
              a.agent ?? '-',
              a.caseId ?? '-',
              a.status === 'pending' ? `pending (next ${time(a.nextAttemptAt)})` : a.status,
              a.attempts,
              a.lastError ?? (a.lastStatusCode === null ? '-' : `HTTP ${a.lastStatusCode}`),
              time(a.createdAt),
            ]),
          ),
        );
        for (const a of alerts.filter((x) => x.log.length > 0)) {
          printLine(`\nalert ${a.id}:`);
          for (const l of a.log) printLine(`  #${l.attempt} ${formatTime(l.attemptedAt)} ${l.target} → ${l.statusCode === null ? l.error : `HTTP ${l.statusCode}`} (${l.durationMs} ms)`);
        }
      } finally {
        await ctx.close();
      }
    });

  const cases = program.command('cases').description("detractors' follow-up cases");

  cases
    .command('list', { isDefault: true })
    .description('cases, newest first (every client)')
    .option('--list <listId>', 'only this list', positiveInt('--list'))
    .addOption(new Option('--status <status>', 'only this status').choices(CASE_STATUSES))
    .option('--overdue', 'only cases still open after their deadline')
    .option('--theme <id>', "only cases whose comment has this theme (e.g. price)")
    .option('--limit <n>', 'at most this many (default 100, at most 500)')
    .option('--before <caseId>', 'only cases older than this one (the next page)')
    .option('--json', 'print JSON')
    .action(async (flags: { list?: number; status?: string; overdue?: boolean; theme?: string; limit?: string; before?: string; json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const parsed = CasesQuery.safeParse({
          ...(flags.list ? { listId: String(flags.list) } : {}),
          ...(flags.status ? { status: flags.status } : {}),
          ...(flags.overdue ? { overdue: 'true' } : {}),
          ...(flags.theme ? { theme: flags.theme } : {}),
          ...(flags.limit ? { limit: flags.limit } : {}),
          ...(flags.before ? { before: flags.before } : {}),
        });
        if (!parsed.success) throw new AppError('USAGE', parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
        const found = await listCases({ cases: ctx.backend.stores.cases, clock: ctx.clock }, { query: parsed.data });
        if (flags.json) return printJson(found);
        if (found.length === 0) return printLine('No cases.');
        printLine(table(['ID', 'LIST', 'SCORE', 'AGENT', 'CONTACT', 'THEMES', 'REASON', 'OWNER', 'STATUS', 'DUE'], found.map(caseRow)));
      } finally {
        await ctx.close();
      }
    });

  cases
    .command('set')
    .description("update a case's status, owner or note")
    .argument('<caseId>', 'case id', positiveInt('caseId'))
    .addOption(new Option('--status <status>', 'new status').choices(CASE_STATUSES))
    .option('--owner <name>', 'who follows it up ("none" unassigns)')
    .option('--note <text>', 'replaces the note ("" clears it)')
    .option('--json', 'print JSON')
    .action(async (caseId: number, flags: { status?: string; owner?: string; note?: string; json?: boolean }) => {
      const ctx = await openContext();
      try {
        const patch = {
          ...(flags.status !== undefined ? { status: flags.status } : {}),
          ...(flags.owner !== undefined ? { owner: flags.owner === 'none' ? null : flags.owner } : {}),
          ...(flags.note !== undefined ? { note: flags.note === '' ? null : flags.note } : {}),
        };
        const updated = await updateCase({ cases: ctx.backend.stores.cases, clock: ctx.clock }, { caseId, patch });
        if (flags.json) return printJson(updated);
        printLine(table(['ID', 'LIST', 'SCORE', 'AGENT', 'CONTACT', 'THEMES', 'REASON', 'OWNER', 'STATUS', 'DUE'], [caseRow(updated)]));
      } finally {
        await ctx.close();
      }
    });
}

function caseRow(c: CaseView): (string | number)[] {
  return [c.id, c.listId, c.score, c.agent ?? '-', c.contact.phone, c.comment.themes.join(',') || '-', c.reason ?? '-', c.owner ?? 'unassigned', c.overdue ? `${c.status} (OVERDUE)` : c.status, time(c.dueAt)];
}
