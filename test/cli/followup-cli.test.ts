import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { addClient, SqliteClientStore } from '../../src/contacts/index.js';
import { ManualClock } from '../../src/clock/index.js';
import { openDatabase } from '../../src/db/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/factories.js';
import { scored, seedList } from '../support/reports.js';

// The real CLI from the sources; each run costs about a second, so one test walks the whole path.

describe('follow-up from the CLI', () => {
  it('wires a client, creates a trigger list, triggers a survey, and prints the ranked agents', async () => {
    const databasePath = path.join(tempDir('nps-followup-cli-'), 'db.sqlite');
    const database = openDatabase({ path: databasePath });
    await addClient({ clients: new SqliteClientStore(database), clock: new ManualClock(), name: 'Acme' });
    const { listId: seeded } = seedList(database, { contacts: [...scored({ promoters: 20, passives: 5, detractors: 5 }, { attributes: { agent: 'Ann' } }), ...scored({ promoters: 1, passives: 0, detractors: 1 }, { attributes: { agent: 'Bob' } })] });
    database.close();

    const metadata = await runCli(['clients', 'set', '1', '--alert-url', 'https://169.254.169.254/latest/meta-data/'], databasePath, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: '' });
    expect(metadata.exitCode).toBe(2);
    expect(metadata.stderr).toContain("--alert-url: 'https://169.254.169.254/latest/meta-data/' is refused: 169.254.169.254 is a link-local address");
    const onPremises = await runCli(['clients', 'set', '1', '--alert-url', 'https://10.1.2.3/nps', '--json'], databasePath, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/8' });
    expect(onPremises.exitCode).toBe(0);
    expect(JSON.parse(onPremises.stdout)).toMatchObject({ alertUrl: 'https://10.1.2.3/nps', alertSecret: expect.stringMatching(/^whsec_/) });
    const wired = await runCli(['clients', 'set', '1', '--alert-url', 'https://crm.example.com/nps', '--case-owner', 'Quality team', '--json'], databasePath);
    expect(wired.exitCode).toBe(0);
    expect(JSON.parse(wired.stdout)).toMatchObject({ id: 1, alertUrl: 'https://crm.example.com/nps', caseOwner: 'Quality team', hasAlertSecret: true });
    const created = await runCli(['lists', 'create', 'Support', '--client', '1', '--accept-triggers', '--json'], databasePath);
    expect(created.exitCode).toBe(0);
    const listId = (JSON.parse(created.stdout) as { id: number; acceptsTriggers: boolean }).id;
    // Any hour of the real clock the test runs at is a calling hour.
    const again = openDatabase({ path: databasePath });
    again.sqlite.prepare(`UPDATE lists SET policy = '{"callingHours":"00:00-24:00"}' WHERE id = ?`).run(listId);
    again.close();
    const triggered = await runCli(['surveys', 'trigger', String(listId), '+48501234567', '--agent', 'Ann', '--attr', 'ticket=4711', '--json'], databasePath);
    expect(triggered.exitCode).toBe(0);
    expect(JSON.parse(triggered.stdout)).toMatchObject({ listId, status: 'queued', replayed: false });

    const agents = await runCli(['report', String(seeded), '--by', 'agent', '--format', 'csv'], databasePath);
    expect(agents.exitCode).toBe(0);
    expect((parse(agents.stdout, { columns: true }) as Record<string, string>[]).map((r) => [r.rank, r.agent, r.responses])).toEqual([
      ['1', 'Ann', '30'],
      ['', 'Bob', '2'],
    ]);
  });
});
