import { InvalidArgumentError, Option, type Command } from 'commander';
import { openContext } from '../../app/context.js';
import { SURVEY_LANGUAGES } from '../../ivr/index.js';
import { triggerSurvey } from '../../triggers/index.js';
import { printJson, printLine } from '../output.js';
import { positiveInt } from '../parse.js';

interface TriggerFlags {
  agent: string;
  attr: Record<string, string>;
  notBefore?: string;
  idempotencyKey?: string;
  language?: string;
  timezone?: string;
  json?: boolean;
}

/** `--attr ticket=4711`, repeatable, into one object. */
function attribute(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([^=]+)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`'${value}' is not name=value, e.g. --attr ticket=4711`);
  return { ...previous, [match[1]!.trim()]: match[2]! };
}

export function registerSurveysCommands(program: Command): void {
  const surveys = program.command('surveys').description('triggered post-call surveys');

  surveys
    .command('trigger')
    .description('queue a survey of one conversation in a list that accepts triggers (`serve` calls within a minute, in calling hours)')
    .argument('<listId>', 'list id', positiveInt('listId'))
    .argument('<phone>', 'the number to call, E.164 (or national with the list country)')
    .requiredOption('--agent <name>', 'the agent whose conversation the survey rates')
    .option('--attr <name=value>', 'an attribute of the conversation (repeatable), e.g. --attr ticket=4711', attribute, {})
    .option('--not-before <iso>', 'not before this time, ISO 8601 with a zone, e.g. 2026-01-05T10:00:00Z')
    .option('--idempotency-key <key>', 'the same key with the same request answers with the same survey')
    .addOption(new Option('--language <bcp47>', 'survey language for this callee').choices(SURVEY_LANGUAGES))
    .option('--timezone <zone>', "the callee's IANA zone, for countries with several")
    .option('--json', 'print JSON')
    .action(async (listId: number, phone: string, flags: TriggerFlags) => {
      const ctx = await openContext();
      try {
        const { result, replayed } = await triggerSurvey(
          { units: ctx.backend.stores.triggerUnits, reader: ctx.backend.stores.reader, clock: ctx.clock, logger: ctx.logger.child({ module: 'surveys' }), config: ctx.config },
          {
            idempotencyKey: flags.idempotencyKey,
            request: {
              phone,
              listId,
              agent: flags.agent,
              ...(Object.keys(flags.attr).length ? { attributes: flags.attr } : {}),
              ...(flags.notBefore ? { notBefore: flags.notBefore } : {}),
              ...(flags.language ? { language: flags.language } : {}),
              ...(flags.timezone ? { timezone: flags.timezone } : {}),
            },
          },
        );
        if (flags.json) return printJson({ ...result, replayed });
        printLine(`Survey ${result.surveyId} in list ${result.listId}: ${result.status}${result.reason ? ` (${result.reason})` : ''}${replayed ? ', answered before with this key' : ''}.`);
        printLine(`  ${result.message}`);
        if (result.status !== 'refused') printLine('  `nps-dialer serve` dials it (a running `serve` picks it up within seconds).');
      } finally {
        await ctx.close();
      }
    });
}
