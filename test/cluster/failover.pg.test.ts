import { afterAll, expect, it } from '@jest/globals';
import { systemClock } from '../../src/clock/index.js';
import { interpretDtmf } from '../../src/ivr/index.js';
import { createdAt, haproxyBinary, HAPROXY_MISSING, startCluster, until, type RunningCluster } from '../support/cluster.js';
import { exited } from '../support/cli.js';
import { describeOnPostgres, freshPostgres, type FreshPostgres } from '../support/postgres.js';

const CPS = 10;
const CONTACTS = 240;

/**
 * Three nodes behind HAProxy on one PostgreSQL database, dialing the sandbox; the elected dialer is
 * killed (SIGKILL) mid-campaign. Another node must take over within 30 s and finish the list, and
 * the sandbox's own records must show that nothing was dialled twice, no acknowledged score was
 * lost, nothing was billed twice, and the account's pace held through the handover.
 */
describeOnPostgres('a cluster of three nodes', () => {
  let database: FreshPostgres | undefined;
  let cluster: RunningCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
    await database?.close();
  });

  it('survives the death of its dialing node: a successor dials within 30 s, and every guarantee holds', async () => {
    if (!haproxyBinary()) throw new Error(HAPROXY_MISSING);
    database = await freshPostgres({ poolSize: 2 });
    cluster = await startCluster({ databaseUrl: database.url, nodes: 3, contacts: CONTACTS, cps: CPS, leaseSeconds: 10 });
    const { sandbox, pool } = cluster;
    const explain = () => cluster!.nodes.map((n) => `--- ${n.name}\n${n.output().slice(-3000)}`).join('\n');

    // Mid-campaign: a third of the contacts dialled.
    await until(() => sandbox.stats().callsCreated >= CONTACTS / 3, () => `the cluster never dialled a third of the list:\n${explain()}`);
    const dialer = await cluster.leader();
    expect(dialer).toBeDefined();
    dialer!.child.kill('SIGKILL');
    const killedAt = systemClock.now();
    await exited(dialer!.child);
    const createdBefore = sandbox.stats().callsCreated;

    // A successor is elected (the lease runs out) and dials again.
    await until(() => sandbox.stats().callsCreated > createdBefore, () => `nobody dialled after the dialer died:\n${explain()}`, 60_000);
    const firstCreateAfter = Math.min(...sandbox.calls().map(createdAt).filter((at) => at > killedAt));
    const successor = await cluster.leader();
    expect(successor).toBeDefined();
    expect(successor!.name).not.toBe(dialer!.name);
    expect(firstCreateAfter - killedAt).toBeLessThan(30_000);

    // The list finishes; the calls the dead node left live are adopted and end.
    const open = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status IN ('pending', 'dialing')`)).rows[0]!.n;
    await until(async () => (await open()) === 0, () => `${'contacts stayed open'}:\n${explain()}`, 300_000);
    await sandbox.onIdle();

    const stats = sandbox.stats();
    const calls = sandbox.calls();
    // The pace held across the handover: the provider never refused a create, never saw more than its cps in a rolling second.
    expect(stats.rateLimited).toBe(0);
    expect(stats.maxCreatesInAnyRollingSecond).toBeLessThanOrEqual(CPS);
    expect(stats.maxConcurrentCallsPerNumber).toBeLessThanOrEqual(1);

    // Nothing dialled twice: every provider call is one attempt the database knows, at most one per (contact, attempt).
    const attempts = (await pool.query<{ phone: string; attempts: number; calls: number }>(
      `SELECT c.phone_e164 AS phone, c.attempts, (SELECT count(*)::int FROM calls k WHERE k.contact_id = c.id) AS calls FROM contacts c`,
    )).rows;
    const dialled = new Map<string, number>();
    for (const call of calls) dialled.set(`+${call.to}`, (dialled.get(`+${call.to}`) ?? 0) + 1);
    const overDialled = attempts.filter((c) => (dialled.get(c.phone) ?? 0) > c.attempts || c.attempts > 2);
    expect(overDialled).toEqual([]);
    const withProviderUuid = (await pool.query<{ n: number }>('SELECT count(DISTINCT provider_uuid)::int AS n FROM calls WHERE provider_uuid IS NOT NULL')).rows[0]!.n;
    expect(withProviderUuid).toBe(calls.length);

    // No acknowledged score lost: every score a callee keyed and the provider delivered is stored.
    const stored = new Map(
      (await pool.query<{ phone: string; score: number }>('SELECT c.phone_e164 AS phone, r.score FROM responses r JOIN contacts c ON c.id = r.contact_id')).rows.map((r) => [r.phone, r.score]),
    );
    let acknowledged = 0;
    for (const call of calls) {
      const keyed = call.inputs.map((i) => ({ input: i, answer: interpretDtmf(i.digits) })).find((a) => a.answer.kind === 'score' || a.answer.kind === 'opt_out');
      if (keyed?.answer.kind !== 'score' || !keyed.input.delivered) continue;
      acknowledged++;
      expect(stored.get(`+${call.to}`)).toBe(keyed.answer.score);
    }
    expect(acknowledged).toBeGreaterThan(CONTACTS / 3);

    // Nothing billed twice: one line per person-answered call, none per contact twice.
    const billing = (await pool.query<{ lines: number; human: number; twice: number }>(
      `SELECT (SELECT count(*)::int FROM billing_lines) AS lines, (SELECT count(*)::int FROM calls WHERE outcome = 'human') AS human,
              (SELECT count(*)::int FROM (SELECT k.contact_id FROM billing_lines b JOIN calls k ON k.id = b.call_id GROUP BY k.contact_id HAVING count(*) > 1) t) AS twice`,
    )).rows[0]!;
    expect(billing.twice).toBe(0);
    expect(billing.lines).toBe(billing.human);
    const respondents = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status = 'responded'`)).rows[0]!.n;
    expect(respondents).toBe(stored.size);
  }, 600_000);
});
