import type { Command } from 'commander';
import { openContext } from '../../app/context.js';
import { addSchedule, listSchedules, removeSchedule, type ScheduleView } from '../../schedules/index.js';
import { helpSection } from '../help.js';
import { formatTime, printJson, printLine, table } from '../output.js';
import { parseDurationMs, positiveInt } from '../parse.js';

interface AddFlags {
  cron: string;
  until?: string;
  for?: number;
  tz?: string;
  json?: boolean;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('recurring dialing windows of a list, run by `nps-dialer serve`');

  schedule
    .command('add')
    .description('start or resume a list at every cron occurrence; new calls stop when the window ends')
    .argument('<listId>', 'list id', positiveInt('listId'))
    .requiredOption('--cron <expr>', 'when windows open, e.g. "0 20 * * 1-5" (20:00 Monday to Friday); croner syntax')
    .option('--until <HH:MM>', 'the window ends at this local time (the next one after the start)')
    .option('--for <duration>', 'the window lasts this long: 30m, 8h', parseDurationMs)
    .option('--tz <zone>', 'IANA zone of --cron and --until (default: this machine\'s zone)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      helpSection('Examples', [
        'nps-dialer schedule add 1 --cron "0 18 * * 1-5" --until 20:30 --tz Europe/Warsaw   # weekday evenings',
        'nps-dialer schedule add 1 --cron "0 10 * * 6" --for 4h                              # Saturday mornings',
        'nps-dialer serve                                                                   # runs the schedules',
      ]),
    )
    .action(async (listId: number, flags: AddFlags) => {
      const ctx = await openContext();
      try {
        const added = await addSchedule({
          schedules: ctx.backend.stores.schedules,
          clock: ctx.clock,
          input: { listId, cron: flags.cron, timezone: flags.tz ?? localZone(), until: flags.until, durationMs: flags.for },
        });
        if (flags.json) return printJson(added);
        printLine(
          `Schedule ${added.id}: list ${added.listId} "${added.listName}" at "${added.cron}" (${added.timezone}), ${added.window}. ` +
            `Next window opens ${formatTime(added.nextRunAt)}; \`nps-dialer serve\` must be running.`,
        );
      } finally {
        await ctx.close();
      }
    });

  schedule
    .command('list', { isDefault: true })
    .description('every schedule with its next run and how its last run ended')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const all = await listSchedules({ schedules: ctx.backend.stores.schedules, clock: ctx.clock });
        if (flags.json) return printJson(all);
        if (all.length === 0) return printLine('No schedules. Add one with `nps-dialer schedule add <listId> --cron "0 20 * * *" --until 06:00`.');
        printLine(
          table(
            ['ID', 'LIST', 'CRON', 'ZONE', 'WINDOW', 'STATUS', 'NEXT RUN', 'LAST RESULT'],
            all.map((s) => [s.id, `${s.listId} ${s.listName}`, s.cron, s.timezone, s.window, statusText(s), formatTime(s.nextRunAt), s.lastResult ?? '-']),
          ),
        );
      } finally {
        await ctx.close();
      }
    });

  schedule
    .command('remove')
    .description('delete a schedule (a run it started stops at its window end as planned)')
    .argument('<id>', 'schedule id', positiveInt('id'))
    .action(async (id: number) => {
      const ctx = await openContext();
      try {
        await removeSchedule({ schedules: ctx.backend.stores.schedules, id });
        printLine(`Schedule ${id} removed.`);
      } finally {
        await ctx.close();
      }
    });
}

function statusText(s: ScheduleView): string {
  return s.status === 'done' ? 'done (list final)' : 'active';
}

/** The machine's zone, stored with the schedule so that moving the server does not move it. */
function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
