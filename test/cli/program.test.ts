import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { PHONE_COLUMN_NAMES } from '../../src/contacts/index.js';

const ALL = ['lists', 'dnc', 'clients', 'run', 'report', 'surveys', 'alerts', 'cases', 'schedule', 'serve', 'demo', 'sandbox', 'contacts', 'recordings', 'comments'];
const names = async (...args: string[]) => (await buildProgram(['node', 'nps-dialer', ...args])).commands.map((c) => c.name());

describe('the CLI program loads only the command group it runs', () => {
  it('registers just the named group (lists import never loads the dialer)', async () => {
    expect(await names('lists', 'import', 'contacts.csv', '--name', 'Q4')).toEqual(['lists']);
    expect(await names('cases', '--overdue')).toEqual(['alerts', 'cases']);
    expect(await names('recordings', 'purge')).toEqual(['contacts', 'recordings']);
    expect(await names('comments', 'classify', '--language', 'pl-PL')).toEqual(['comments']);
  });

  it('registers every group, in the help order, for --help, help, --version and unknown commands', async () => {
    for (const args of [['--help'], ['help', 'lists'], ['--version'], ['lsits'], []]) expect(await names(...args)).toEqual(ALL);
  });
});

/** The full `--help` text of a command (`['lists', 'import']`), as the operator sees it. */
async function helpOf(...path: string[]): Promise<string> {
  let command: Command = await buildProgram(['node', 'nps-dialer', ...path, '--help']);
  for (const name of path) command = command.commands.find((c) => c.name() === name)!;
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

describe('--help', () => {
  it('gives examples for the program and its main commands', async () => {
    for (const path of [[], ['run'], ['report'], ['lists', 'import'], ['lists', 'set'], ['lists', 'plan'], ['sandbox'], ['schedule', 'add'], ['serve'], ['demo']]) {
      expect(await helpOf(...path)).toMatch(/\nExamples:\n {2}nps-dialer /);
    }
  });

  it('says which settings run and serve need before they can dial', async () => {
    for (const command of ['run', 'serve']) {
      const help = await helpOf(command);
      for (const variable of ['VONAGE_APPLICATION_ID', 'VONAGE_PRIVATE_KEY', 'VONAGE_SIGNATURE_SECRET', 'VONAGE_FROM_NUMBER', 'PUBLIC_BASE_URL']) expect(help).toContain(variable);
      expect(help).toContain('nps-dialer sandbox --write-env');
    }
  });

  it('lists the accepted phone-column names of an import and says tab-separated files work', async () => {
    const help = await helpOf('lists', 'import');
    expect(help).toContain(`named ${PHONE_COLUMN_NAMES.join(', ')} (any case)`);
    expect(help).toMatch(/tabs \(\.tsv files work\)/);
  });
});
