import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { resolveFromRoot } from '../config/index.js';
import { helpSection } from './help.js';

type Register = (program: Command) => void;

/**
 * Every command group, in the order of `--help`, with the top-level commands it defines. A group's
 * module is imported only when it is needed: a command loads its own group (so `lists import` never
 * loads the dialer, the SDK or express), `--help` and unknown commands load them all.
 */
const GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['lists'], load: async () => (await import('./commands/lists.js')).registerListsCommands },
  { commands: ['dnc'], load: async () => (await import('./commands/dnc.js')).registerDncCommands },
  { commands: ['clients'], load: async () => (await import('./commands/clients.js')).registerClientsCommands },
  { commands: ['run'], load: async () => (await import('./commands/run.js')).registerRunCommand },
  { commands: ['report'], load: async () => (await import('./commands/report.js')).registerReportCommand },
  { commands: ['surveys'], load: async () => (await import('./commands/surveys.js')).registerSurveysCommands },
  { commands: ['alerts', 'cases'], load: async () => (await import('./commands/followup.js')).registerFollowUpCommands },
  { commands: ['schedule'], load: async () => (await import('./commands/schedule.js')).registerScheduleCommands },
  { commands: ['serve'], load: async () => (await import('./commands/serve.js')).registerServeCommand },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemoCommand },
  { commands: ['sandbox'], load: async () => (await import('./commands/sandbox.js')).registerSandboxCommand },
  { commands: ['contacts', 'recordings'], load: async () => (await import('./commands/privacy.js')).registerPrivacyCommands },
  { commands: ['comments'], load: async () => (await import('./commands/comments.js')).registerCommentsCommands },
];

/** The program for `argv` (process.argv): only the command group argv names, or every group. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const { version } = JSON.parse(readFileSync(resolveFromRoot('package.json'), 'utf8')) as { version: string };
  const program = new Command('nps-dialer')
    .description('Automated phone NPS surveys over the Vonage Voice API')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      helpSection('Examples', [
        'nps-dialer demo # a whole campaign against the built-in sandbox',
        'nps-dialer lists import contacts.csv --name "Q4 wave" --country PL # a list from a CSV',
        'nps-dialer lists plan 1 # who would be called when; who not, and why',
        'nps-dialer run 1 --cps 3 # dial it (needs the VONAGE_* settings)',
        'nps-dialer report 1 --format html --out q4.html # the report as one page to mail',
        '',
        'nps-dialer <command> --help shows a command\'s options and examples; docs/cli.md has them all.',
      ]),
    );
  // The first word after the node and script paths, when it is a command (options come after it).
  const first = argv[2];
  const named = GROUPS.find((group) => first !== undefined && group.commands.includes(first));
  const wanted = named ? [named] : GROUPS;
  // One after the other: the groups share modules, and the order of `--help` is the order here.
  for (const group of wanted) (await group.load())(program);
  return program;
}
