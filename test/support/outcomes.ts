import type { Clock } from '../../src/clock/index.js';
import type { AppDatabase } from '../../src/db/index.js';
import { buildReport, type ReportDeps } from '../../src/reports/index.js';
import { reportDeps } from './reports.js';

/**
 * The outcomes of every list in the database must agree with one another, in the tables and in
 * the report a client reads (docs/adr/0009-late-input.md): as many responses as respondents (contacts
 * `responded`), as many billed calls as person-answered calls. Returns the disagreements, one line
 * each naming the list; empty when all agree.
 */
export async function outcomeDisagreements(database: AppDatabase, clock: Clock, config: ReportDeps['config']): Promise<string[]> {
  const { sqlite } = database;
  const problems: string[] = [];
  const lists = sqlite.prepare('SELECT id FROM lists ORDER BY id').all() as { id: number }[];
  for (const { id } of lists) {
    const n = (sql: string) => (sqlite.prepare(sql).get(id) as { n: number }).n;
    const responses = n('SELECT count(*) AS n FROM responses WHERE list_id = ?');
    const respondents = n(`SELECT count(*) AS n FROM contacts WHERE list_id = ? AND status = 'responded'`);
    if (responses !== respondents) problems.push(`list ${id}: ${responses} responses but ${respondents} contacts responded`);
    const billed = n('SELECT count(*) AS n FROM billing_lines WHERE list_id = ?');
    const personAnswered = n(`SELECT count(*) AS n FROM calls WHERE list_id = ? AND outcome = 'human'`);
    if (billed !== personAnswered) problems.push(`list ${id}: ${billed} billed calls but ${personAnswered} person-answered calls`);
    const report = await buildReport(reportDeps(database, { clock, config }), { listId: id });
    if (report.responses !== report.dispositions.responded) problems.push(`list ${id}: the report counts ${report.responses} responses and ${report.dispositions.responded} responded`);
    if (report.billing.billableCalls !== report.calls.answeredByPerson) {
      problems.push(`list ${id}: the report bills ${report.billing.billableCalls} calls of ${report.calls.answeredByPerson} answered by a person`);
    }
  }
  return problems;
}
