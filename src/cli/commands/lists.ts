import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { openContext } from '../../app/context.js';
import {
  createList,
  importList,
  listLists,
  ListSettingsBook,
  PHONE_COLUMN_NAMES,
  showList,
  SurveyScript,
  type ImportSummary,
  type ListSettingsPatch,
} from '../../contacts/index.js';
import { CONTACT_STATUSES } from '../../db/schema/index.js';
import type { ListPace, ListPlan } from '../../dialer/index.js';
import { FollowUpSettings } from '../../followup/index.js';
import { DEFAULT_REASON_CHOICES, SURVEY_LANGUAGES } from '../../ivr/index.js';
import { helpSection } from '../help.js';
import { formatDuration, formatTime, plural, printJson, printLine, settingsText, table } from '../output.js';
import { checkedBy, countryCode, inputFile, parseDurationMs, positiveInt, text } from '../parse.js';
import { addDialingOptions, settingsPatch, type DialingFlags } from '../dialing-options.js';

export function registerListsCommands(program: Command): void {
  const lists = program.command('lists').description('import and inspect contact lists');

  lists
    .command('list', { isDefault: true })
    .description('all lists with their contacts counted by status')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const all = await listLists({ lists: ctx.backend.stores.lists });
        if (options.json) return printJson(all);
        if (all.length === 0) return printLine('No lists yet. Import one with `nps-dialer lists import <file> --name <name>`.');
        printLine(
          table(
            ['ID', 'NAME', 'CLIENT', 'CONTACTS', 'PENDING', 'DIALING', 'RESPONDED', 'OTHER FINAL', 'STATE'],
            all.map((l) => [
              l.id,
              l.name,
              l.clientName ?? '-',
              l.contacts,
              l.byStatus.pending,
              l.byStatus.dialing,
              l.byStatus.responded,
              l.contacts - l.byStatus.pending - l.byStatus.dialing - l.byStatus.responded,
              l.final ? 'final' : 'open',
            ]),
          ),
        );
      } finally {
        await ctx.close();
      }
    });

  lists
    .command('show')
    .description('one list: settings and contacts by status')
    .argument('<listId>', 'list id', positiveInt('listId'))
    .option('--json', 'print JSON')
    .action(async (listId: number, options: { json?: boolean }) => {
      const { describeListPace, listLanguages } = await import('../../dialer/index.js');
      const ctx = await openContext({ readOnly: true });
      try {
        const list = await showList({ lists: ctx.backend.stores.lists, listId });
        const reader = ctx.backend.stores.reader;
        const book = new ListSettingsBook(reader, ctx.config);
        const pace = await describeListPace({ reader, lists: book, accountCps: ctx.config.accountCps, listId });
        const languages = await listLanguages({ reader, lists: book, listId });
        if (options.json) return printJson({ ...list, pace, languages });
        printLine(`List ${list.id} "${list.name}"${list.clientName ? ` for ${list.clientName} (client ${list.clientId})` : ''}`);
        printLine(`  imported     ${formatTime(list.createdAt)} from ${list.sourceFile ?? '-'}${list.defaultCountry ? `, national numbers read as ${list.defaultCountry}` : ''}`);
        if (list.previousListId) printLine(`  follow-up of list ${list.previousListId}`);
        if (list.defaultTimezone) printLine(`  default zone ${list.defaultTimezone} (callees of multi-zone countries without their own)`);
        printLine(`  contacts     ${list.contacts} (${list.final ? 'all final' : 'open'})`);
        for (const status of CONTACT_STATUSES) {
          if (list.byStatus[status] > 0) printLine(`    ${status.padEnd(18)} ${list.byStatus[status]}`);
        }
        if (list.nextAttemptAt) printLine(`  next attempt ${formatTime(list.nextAttemptAt)}`);
        printLine(`  attributes   ${list.attributes.length ? list.attributes.join(', ') : '-'}`);
        printLine(`  script       ${settingsText(scriptWithoutReasons(list.script))}`);
        printLine(`  reasons      ${reasonsText(list.script.reasons)}`);
        printLine(`  comments     ${commentText(list.script.comment)}`);
        printLine(`  policy       ${settingsText(list.policy)}`);
        printLine(`  pace         ${describePace(pace)}`);
        printLine(`  languages    ${languagesText(languages)}`);
        printLine(`  triggers     ${list.acceptsTriggers ? 'accepted (serve dials them continuously)' : 'not accepted'}`);
        printLine(`  follow-up    ${settingsText(list.followUp)}`);
      } finally {
        await ctx.close();
      }
    });

  lists
    .command('plan')
    .description('dry run: who would be called when (in their own time zone), and why the others are excluded; writes nothing')
    .argument('<listId>', 'list id', positiveInt('listId'))
    .option('--json', 'print JSON with one row per contact')
    .addHelpText('after', helpSection('Examples', ['nps-dialer lists plan 1', "nps-dialer lists plan 1 --json | jq '.byReason'"]))
    .action(async (listId: number, options: { json?: boolean }) => {
      // The dialer (and the SDK under it) is loaded only by the commands that use it: `lists import` stays small.
      const { planList } = await import('../../dialer/index.js');
      const ctx = await openContext({ readOnly: true });
      try {
        const reader = ctx.backend.stores.reader;
        const plan = await planList({ reader, lists: new ListSettingsBook(reader, ctx.config), listId, now: ctx.clock.now() });
        if (options.json) return printJson(plan);
        printPlan(plan);
      } finally {
        await ctx.close();
      }
    });

  for (const verb of ['pause', 'resume'] as const) {
    lists
      .command(verb)
      .description(
        verb === 'pause'
          ? 'stop starting calls in a list (its live calls finish); a running `run` or `serve` sees it within a minute'
          : 'let a paused list be dialled again',
      )
      .argument('<listId>', 'list id', positiveInt('listId'))
      .addHelpText('after', helpSection('Examples', [`nps-dialer lists ${verb} 1`]))
      .action(async (listId: number) => {
        const { pauseList, resumeList } = await import('../../dialer/index.js');
        const ctx = await openContext();
        try {
          const lists = ctx.backend.stores.lists;
          const result = verb === 'pause' ? await pauseList({ lists, clock: ctx.clock }, { listId }) : await resumeList({ lists }, { listId });
          if (verb === 'pause') {
            printLine(result.changed ? `List ${listId} is paused: no new calls until \`nps-dialer lists resume ${listId}\`.` : `List ${listId} was already paused since ${formatTime(result.pausedAt!)}.`);
          } else {
            printLine(result.changed ? `List ${listId} is resumed: its runs dial again.` : `List ${listId} was not paused.`);
          }
        } finally {
          await ctx.close();
        }
      });
  }

  addDialingOptions(
    lists
      .command('set')
      .description("save a list's dialing policy and script without dialing (what `run` flags and schedules use)")
      .argument('<listId>', 'list id', positiveInt('listId')),
  )
    .option('--accept-triggers', 'take triggered surveys (POST /api/v1/surveys); `serve` dials the list continuously')
    .option('--no-accept-triggers', 'stop taking triggered surveys')
    .option('--alert-threshold <score>', 'scores at or below this raise a detractor alert and open a case (0-10, default 6)', scoreArgument)
    .option("--case-owner <name>", "owner of this list's follow-up cases, up to 100 characters (default: the client's)", checkedBy('--case-owner', FollowUpSettings.shape.caseOwner, text))
    .option(
      '--case-deadline <duration>',
      'deadline of a follow-up case after the score: 48h, 2d, … up to 365d (default 48h)',
      checkedBy('--case-deadline', FollowUpSettings.shape.caseDeadlineHours, parseDurationMs, { toSetting: caseDeadlineHours, unit: 'hours (365d)' }),
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      helpSection('Examples', [
        "nps-dialer lists set 1 --cps 10 --max-attempts 3 --retry-delay 2h --calling-hours 'Mon-Fri 10:00-20:00'",
        'nps-dialer lists set 1 --question "How likely are you to recommend Acme to a friend?" --language en-US',
        'nps-dialer lists set 2 --accept-triggers --alert-threshold 6 --case-owner "Quality team"',
      ]),
    )
    .action(async (listId: number, flags: DialingFlags & FollowUpFlags & { json?: boolean }) => {
      const { saveListSettings } = await import('../../dialer/index.js');
      const ctx = await openContext();
      try {
        // Contacts already waiting (parked at an opening, waiting out a retry delay) are re-planned under the new rules.
        const { list, replanned } = await saveListSettings({
          lists: ctx.backend.stores.lists,
          runs: ctx.backend.stores.runs,
          reader: ctx.backend.stores.reader,
          config: ctx.config,
          now: ctx.clock.now(),
          listId,
          patch: { ...settingsPatch(flags), ...followUpPatch(flags) },
        });
        if (flags.json) return printJson({ listId, script: list.script, policy: list.policy, acceptsTriggers: list.acceptsTriggers, followUp: list.followUp, replanned });
        printLine(`List ${listId} "${list.name}" saved.`);
        printLine(`  script     ${settingsText(scriptWithoutReasons(list.script))}`);
        printLine(`  reasons    ${reasonsText(list.script.reasons)}`);
        printLine(`  comments   ${commentText(list.script.comment)}`);
        printLine(`  policy     ${settingsText(list.policy)}`);
        printLine(`  triggers   ${list.acceptsTriggers ? 'accepted' : 'not accepted'}`);
        printLine(`  follow-up  ${settingsText(list.followUp)}`);
        if (replanned > 0) printLine(`  ${plural(replanned, 'waiting contact')} re-planned under these settings; next attempt ${formatTime(list.nextAttemptAt)}`);
      } finally {
        await ctx.close();
      }
    });

  lists
    .command('create')
    .description('create an empty list, e.g. for triggered post-call surveys (`--accept-triggers`)')
    .argument('<name>', 'name of the new list')
    .option('--client <id>', 'client the list belongs to', positiveInt('--client'))
    .option('--country <code>', 'ISO 3166 alpha-2 country for numbers in national format, e.g. PL', countryCode)
    .option('--timezone <zone>', 'IANA zone for callees of multi-zone countries without their own')
    .option('--company <name>', 'company named in the greeting, up to 100 characters (default: the client name)', checkedBy('--company', SurveyScript.shape.company, text))
    .addOption(new Option('--language <bcp47>', 'survey language').choices(['en-US', 'pl-PL', 'ru-RU', 'bg-BG']))
    .option('--accept-triggers', 'take triggered surveys (POST /api/v1/surveys, `surveys trigger`)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { client?: number; country?: string; timezone?: string; company?: string; language?: string; acceptTriggers?: boolean; json?: boolean }) => {
      const ctx = await openContext();
      try {
        const list = await createList({
          lists: ctx.backend.stores.lists,
          clock: ctx.clock,
          input: {
            name,
            clientId: flags.client,
            country: flags.country,
            timezone: flags.timezone,
            script: { ...(flags.company ? { company: flags.company } : {}), ...(flags.language ? { language: flags.language } : {}) },
            acceptsTriggers: flags.acceptTriggers ?? false,
          },
        });
        if (flags.json) return printJson(list);
        printLine(`Created list ${list.id} "${list.name}"${list.clientName ? ` for ${list.clientName}` : ''}${list.acceptsTriggers ? '; it accepts triggered surveys' : ''}.`);
      } finally {
        await ctx.close();
      }
    });

  lists
    .command('import')
    .description('import a contact list: a UTF-8 CSV or tab-separated file with a header row and a phone column')
    .argument('<file>', 'CSV file', inputFile('<file>'))
    .requiredOption('--name <name>', 'name of the new list')
    .option('--client <id>', 'client the list belongs to', positiveInt('--client'))
    .option('--country <code>', 'ISO 3166 alpha-2 country for numbers in national format, e.g. PL', countryCode)
    .option('--previous <listId>', 'this list is a follow-up wave of that list', positiveInt('--previous'))
    .option('--timezone <zone>', 'IANA zone for callees of multi-zone countries (US, RU…) without a timezone column, e.g. Europe/Moscow')
    .option('--company <name>', 'company named in the greeting, up to 100 characters (default: the client name)', checkedBy('--company', SurveyScript.shape.company, text))
    .addOption(new Option('--language <bcp47>', 'survey language').choices(['en-US', 'pl-PL', 'ru-RU', 'bg-BG']))
    .option('--value-column <name>', 'column with what each contact is worth (currency-free numbers such as 1234.50 or 1 234,50): the report weighs NPS by it and shows the value at risk')
    .option('--encoding <name>', 'character encoding of a file that is not UTF-8, e.g. windows-1250, windows-1251, koi8-r (the error of a non-UTF-8 file names the likely one)')
    .option('--dry-run', 'validate and report; write nothing')
    .option('--json', 'print exactly one JSON object')
    .addHelpText(
      'after',
      helpSection('The file', [
        'UTF-8 (with or without BOM) or --encoding; fields separated by commas, semicolons or',
        'tabs (.tsv files work), detected from the header row or named by Excel\'s "sep=;" first line;',
        'quoted fields may hold separators and line breaks.',
        `The phone column is the one named ${PHONE_COLUMN_NAMES.join(', ')} (any case).`,
        'Name columns in English, Polish, Russian and Bulgarian (name, full name, first name + last name,',
        'Imię + Nazwisko, Имя + Фамилия, Име …) fill the contact\'s name; e-mail columns are not stored.',
        'Columns language and timezone are the contact\'s own; every other column (region, segment,',
        'agent, …) is kept as an attribute and broken down in the report, unless its values are mostly',
        'unique or look like e-mail addresses or phone numbers (the import summary says which).',
        'Numbers may be in E.164 (+48 501 234 567, 0048501234567) or national with --country; a leading',
        'apostrophe (a spreadsheet\'s text marker) is fine.',
      ]) +
        helpSection('Examples', [
          'nps-dialer lists import contacts.csv --name "Q4 wave" --country PL',
          'nps-dialer lists import export.tsv --name "Q1 2027" --client 1 --previous 3 --dry-run',
          'nps-dialer lists import ru.csv --name "RU" --country RU --timezone Europe/Moscow --language ru-RU',
          'nps-dialer lists import excel-export.csv --name "PL" --country PL --encoding windows-1250',
        ]),
    )
    .action(async (file: string, options: ImportFlags) => {
      const ctx = await openContext({ readOnly: options.dryRun ?? false });
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const bar =
        process.stderr.isTTY && !options.json
          ? new cliProgress.SingleBar(
              { format: 'importing [{bar}] {percentage}% | {rows} rows | {eta_formatted} left', stream: process.stderr, hideCursor: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      try {
        bar?.start(100, 0, { rows: 0 });
        const summary = await importList({
          sink: ctx.backend.stores.imports,
          clock: ctx.clock,
          logger: ctx.logger.child({ module: 'import' }),
          file,
          name: options.name,
          clientId: options.client,
          country: options.country,
          previousListId: options.previous,
          defaultTimezone: options.timezone,
          encoding: options.encoding,
          valueColumn: options.valueColumn,
          script: { ...(options.company ? { company: options.company } : {}), ...(options.language ? { language: options.language } : {}) },
          dryRun: options.dryRun,
          signal: abort.signal,
          onProgress: (p) => bar?.update(Math.floor((100 * p.bytesRead) / Math.max(1, p.totalBytes)), { rows: p.rows }),
        });
        bar?.stop();
        if (options.json) {
          const { listId, imported, duplicates, suppressed, rejected, rejectedCount, ...rest } = summary;
          printJson({ listId, imported, duplicates, suppressed, rejected, rejectedCount, ...rest });
        } else {
          printImportSummary(summary);
        }
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await ctx.close();
      }
    });
}

/** Calls per second as people read them: 3, 1.5, 0.67. */
const cpsText = (cps: number) => `${Number(cps.toFixed(2))} calls/s`;

/** "pl-PL 120, ru-RU 3 (their own language column, else the list's --language, else their number's country)". */
function languagesText(languages: { language: string; contacts: number }[]): string {
  if (languages.length === 0) return '-';
  return `${languages.map((l) => `${l.language} ${l.contacts}`).join(', ')} (a contact's language column, else the list's --language, else the number's country)`;
}

function describePace(pace: ListPace): string {
  const others = pace.openLists.slice(1);
  const alone = `at most ${cpsText(pace.ceilingCps)} (its cps) of the account's ${cpsText(pace.accountCps)} (VONAGE_ACCOUNT_CPS): ${cpsText(pace.aloneCps)} alone`;
  if (others.length === 0) return `${alone}; no other list has open contacts to share the account with`;
  const names = others.map((l) => `${l.listId} at ${cpsText(l.sharedCps)}`).join(', ');
  return `${alone}, ${cpsText(pace.sharedCps)} while the ${pace.openLists.length} lists with open contacts dial at once (taking turns; ${names})`;
}

interface FollowUpFlags {
  acceptTriggers?: boolean;
  alertThreshold?: number;
  caseOwner?: string;
  caseDeadline?: number;
}

function scoreArgument(value: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) > 10) throw new InvalidArgumentError(`--alert-threshold must be a score from 0 to 10, got '${value}'`);
  return Number(value);
}

/** A case deadline is kept in whole hours, at least one. */
const caseDeadlineHours = (ms: number) => Math.max(1, Math.round(ms / 3_600_000));

function followUpPatch(flags: FollowUpFlags): Pick<ListSettingsPatch, 'acceptsTriggers' | 'followUp'> {
  return {
    acceptsTriggers: flags.acceptTriggers,
    followUp: {
      alertThreshold: flags.alertThreshold,
      caseOwner: flags.caseOwner,
      caseDeadlineHours: flags.caseDeadline === undefined ? undefined : caseDeadlineHours(flags.caseDeadline),
    },
  };
}

interface ImportFlags {
  name: string;
  client?: number;
  country?: ReturnType<typeof countryCode>;
  previous?: number;
  timezone?: string;
  company?: string;
  language?: string;
  encoding?: string;
  valueColumn?: string;
  dryRun?: boolean;
  json?: boolean;
}

const SHOWN_REJECTS = 20;

function printImportSummary(s: ImportSummary): void {
  printLine(
    s.dryRun
      ? `Dry run of "${s.name}": nothing was written.`
      : `Imported list ${s.listId} "${s.name}": ${plural(s.imported, 'contact')} from ${plural(s.rows, 'row')}.`,
  );
  if (s.dryRun) printLine(`  would import ${plural(s.imported, 'contact')} from ${plural(s.rows, 'row')}`);
  printLine(`  duplicates   ${s.duplicates}${s.duplicates ? ' (same number after normalisation; imported once)' : ''}`);
  for (const d of s.duplicateRows.slice(0, 5)) printLine(`    row ${d.row}: '${d.value}' repeats row ${d.firstRow}`);
  printLine(`  suppressed   ${s.suppressed}${s.suppressed ? ' (on the do-not-call list; kept for the report, never called)' : ''}`);
  const c = s.columns;
  if (c.name.length > 0) printLine(`  name from    ${c.name.join(' + ')}`);
  printLine(`  segments     ${c.segments.length ? `${c.segments.join(', ')}${s.dryRun ? ' (if their values are not mostly unique)' : ''} (broken down in the report)` : '-'}`);
  for (const n of c.notSegments) printLine(`    not a segment: ${n.column}: ${n.reason} (kept in the contacts CSV)`);
  for (const i of c.ignored) printLine(`    ignored: ${i.column}: ${i.reason}`);
  printLine(`  rejected     ${s.rejectedCount}`);
  for (const r of s.rejected.slice(0, SHOWN_REJECTS)) printLine(`    row ${r.row}, column ${r.field}: '${r.value}' ${r.reason}`);
  if (s.rejectedCount > SHOWN_REJECTS) {
    printLine(`    … and ${s.rejectedCount - SHOWN_REJECTS} more; --json lists the first ${Math.min(100, s.rejectedCount)}`);
  }
}

const PLAN_SAMPLES = 5;
const PLAN_HOURS = 24;

/** The plan for people: counts per reason, calls per hour, and a few example contacts per reason. */
function printPlan(plan: ListPlan): void {
  const p = plan.policy;
  printLine(`Plan for list ${plan.listId} "${plan.listName}" at ${formatTime(plan.at)}: ${plural(plan.contacts, 'contact')}`);
  printLine(
    `  policy: ${p.cps} calls/s, ${p.maxConcurrent} live calls, ${p.maxAttempts} attempts, retry after ${formatDuration(p.retryDelayMs)}; ` +
      `calling hours: ${p.callingHours}; caps: ${p.minDaysBetweenSurveys ? `${p.minDaysBetweenSurveys} days between surveys` : 'no survey gap'}, ` +
      `${p.maxAttemptsPer30Days ? `${p.maxAttemptsPer30Days} attempts per 30 days` : 'no attempt cap'}`,
  );
  if (plan.byLanguage.length > 0) printLine(`  callees will hear: ${languagesText(plan.byLanguage)}`);
  printLine();
  printLine(table(['REASON', 'CONTACTS', 'MEANING'], plan.byReason.map((r) => [r.reason, r.contacts, r.description])));
  const dueNow = plan.byReason.find((r) => r.reason === 'due_now')?.contacts ?? 0;
  if (dueNow > 0) printLine(`\n${plural(dueNow, 'contact')} due now: at least ${Math.ceil(plan.dueNowDialSeconds / 60)} min of dialing at ${p.cps} calls/s.`);
  if (plan.byHour.length > 0) {
    printLine('\nFirst calls by hour (UTC):');
    for (const h of plan.byHour.slice(0, PLAN_HOURS)) printLine(`  ${formatTime(h.hourStartsAt).slice(0, 16)}  ${h.contacts}`);
    if (plan.byHour.length > PLAN_HOURS) printLine(`  … ${plural(plan.byHour.length - PLAN_HOURS, 'more hour')}`);
  }
  printLine(`\nExamples (up to ${PLAN_SAMPLES} per reason; --json lists every contact):`);
  for (const { reason, contacts } of plan.byReason) {
    const sample = plan.rows.filter((r) => r.reason === reason).slice(0, PLAN_SAMPLES);
    printLine(`  ${reason} (${contacts})`);
    for (const r of sample) {
      const when = r.nextCallLocal ? ` → ${r.nextCallLocal}` : '';
      printLine(`    row ${r.row}  ${r.phone}  ${r.zone ?? 'no zone'}${when}${r.detail ? `  (${r.detail})` : ''}`);
    }
  }
}

const scriptWithoutReasons = ({ reasons: _reasons, comment: _comment, ...rest }: SurveyScript) => rest;

/** How the list takes comments, in one line. */
const commentText = (mode: SurveyScript['comment']) =>
  mode === 'speech'
    ? "spoken: the provider's speech recognition in the callee's language (audio kept where the provider saves it)"
    : 'recorded: the provider transcribes it in TRANSCRIPTION_LANGUAGES (lists set --comment speech for speech recognition)';

/**
 * The keypad reason question in one line: off, or the digits with their keys and English (or
 * first) labels, and the languages it can be asked in.
 */
function reasonsText(reasons: SurveyScript['reasons']): string {
  if (!reasons) return 'not asked (lists set --reasons on)';
  const choices = reasons.choices ?? DEFAULT_REASON_CHOICES;
  const languages = SURVEY_LANGUAGES.filter((l) => choices.every((c) => c.label[l]));
  const items = choices.map((c, i) => `${i + 1} ${c.key} (${c.label['en-US'] ?? Object.values(c.label)[0]})`).join(', ');
  const question = reasons.question ? `own question in ${Object.keys(reasons.question).join(', ')}` : 'built-in question';
  return `${reasons.enabled ? 'asked' : 'not asked (off)'}: ${items}; ${reasons.choices ? 'own choices' : 'built-in choices'} in ${languages.join(', ')}; ${question}`;
}
