import { describe, expect, it } from '@jest/globals';
import { buildProgram } from '../../src/cli/program.js';

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
