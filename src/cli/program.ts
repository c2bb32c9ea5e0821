import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { resolveFromRoot } from '../config/index.js';
import { registerClientsCommands } from './commands/clients.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDncCommands } from './commands/dnc.js';
import { registerFollowUpCommands } from './commands/followup.js';
import { registerListsCommands } from './commands/lists.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { registerReportCommand } from './commands/report.js';
import { registerRunCommand } from './commands/run.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSandboxCommand } from './commands/sandbox.js';
import { registerSurveysCommands } from './commands/surveys.js';

export function buildProgram(): Command {
  const { version } = JSON.parse(readFileSync(resolveFromRoot('package.json'), 'utf8')) as { version: string };
  const program = new Command('nps-dialer')
    .description('Automated phone NPS surveys over the Vonage Voice API')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerListsCommands(program);
  registerDncCommands(program);
  registerClientsCommands(program);
  registerRunCommand(program);
  registerReportCommand(program);
  registerSurveysCommands(program);
  registerFollowUpCommands(program);
  registerScheduleCommands(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerSandboxCommand(program);
  registerPrivacyCommands(program);
  return program;
}
