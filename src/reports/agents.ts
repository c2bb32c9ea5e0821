import { jsonText, type SqlReader } from '../db/index.js';
import { detractorSql, promoterSql } from '../ivr/index.js';
import type { CellCounts, PassResult } from './aggregate.js';
import { LOW_SAMPLE_RESPONSES, type AgentResults, type AgentRow } from './model.js';
import { adjustedWaldInterval } from './stats.js';

/** The attribute that names the agent: an import column or a triggered survey's `agent`. */
export const AGENT_ATTRIBUTE = 'agent';

/**
 * Per-agent results: each agent's NPS with its adjusted-Wald interval (the agent's own eligible
 * contacts as the finite population), answers and comments. Agents with fewer than
 * LOW_SAMPLE_RESPONSES answers are listed but not ranked: with a handful of answers the interval
 * spans most of the scale and a ranking would mostly rank chance. Ranked agents are ordered by
 * NPS, then by the interval's lower end, then by answers.
 *
 * The counts (comments included) come from the report's single pass when the list has at most
 * MAX_SEGMENT_VALUES agents; a larger contact centre gets one GROUP BY of its own.
 */
export async function agentResults(reader: SqlReader, listId: number, pass: PassResult): Promise<AgentResults | null> {
  const entry = pass.attributes.find(([name]) => name === AGENT_ATTRIBUTE);
  if (!entry) return null;
  const counts = entry[1] ?? (await agentCountsBySql(reader, listId));
  const rows: AgentRow[] = counts.map(([agent, cell]) => {
    const tally = { promoters: cell.promoters, passives: cell.responses - cell.promoters - cell.detractors, detractors: cell.detractors };
    const interval = adjustedWaldInterval(tally, { population: Math.max(cell.eligible, cell.responses) });
    return {
      agent,
      rank: null,
      contacts: cell.contacts,
      eligible: cell.eligible,
      responses: cell.responses,
      ...tally,
      nps: interval?.nps ?? null,
      npsCi95: interval?.ci ?? null,
      lowSample: cell.responses < LOW_SAMPLE_RESPONSES,
      comments: cell.comments,
    };
  });
  const ranked = rows
    .filter((r) => !r.lowSample)
    .sort((a, b) => b.nps! - a.nps! || b.npsCi95![0] - a.npsCi95![0] || b.responses - a.responses || a.agent.localeCompare(b.agent));
  ranked.forEach((row, i) => (row.rank = i + 1));
  const unranked = rows.filter((r) => r.lowSample).sort((a, b) => b.responses - a.responses || b.contacts - a.contacts || a.agent.localeCompare(b.agent));
  return { minResponses: LOW_SAMPLE_RESPONSES, ranked: ranked.length, rows: [...ranked, ...unranked] };
}

/** Counts per agent straight from the contacts, for lists with more agents than a segment keeps. */
async function agentCountsBySql(reader: SqlReader, listId: number): Promise<[string, CellCounts][]> {
  const agent = jsonText(reader.dialect, 'c.attributes', AGENT_ATTRIBUTE);
  const count = (condition: string) => `coalesce(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
  const rows = await reader.all<{ agent: string | number } & CellCounts>(
    `SELECT ${agent} AS agent, count(*) AS contacts, ${count(`c.status NOT IN ('suppressed', 'capped')`)} AS eligible,
            count(r.id) AS responses, ${count(promoterSql('r.score'))} AS promoters, ${count(detractorSql('r.score'))} AS detractors,
            ${count(`r.comment_status IN ('downloaded', 'pending', 'failed')`)} AS comments
     FROM contacts c LEFT JOIN responses r ON r.contact_id = c.id
     WHERE c.list_id = ? AND coalesce(${agent}, '') <> '' GROUP BY 1`,
    [listId],
  );
  return rows.map(({ agent, ...cell }) => [String(agent), cell]);
}
