import { changes, one, rows, type Queryable } from '../db/postgres/index.js';
import type { NewSchedule, ScheduledListFacts, ScheduleRow, ScheduleStore, StoredSchedule } from './store.js';

const COLUMNS = `s.id, s.list_id AS "listId", s.cron, s.timezone, s.until_minute AS "untilMinute", s.duration_ms AS "durationMs", s.status,
  s.last_started_at AS "lastStartedAt", s.last_ended_at AS "lastEndedAt", s.last_result AS "lastResult", s.created_at AS "createdAt"`;

/**
 * The schedules' store on PostgreSQL, on the pool: each method is one statement, so each is its own
 * transaction. Recording a run of several schedules is one UPDATE over their ids where SQLite ran
 * one per id in a transaction. Every PostgreSQL database has the schedules table from its first
 * migration, so `all` does not ask for it as SQLite's adapter does for an older file.
 */
export class PostgresScheduleStore implements ScheduleStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async listFacts(listId: number): Promise<ScheduledListFacts | undefined> {
    const row = await one<Omit<ScheduledListFacts, 'acceptsTriggers'> & { acceptsTriggers: number }>(
      this.#q,
      `SELECT l.name, l.accepts_triggers AS "acceptsTriggers", (SELECT count(*) FROM contacts c WHERE c.list_id = l.id AND c.status IN ('pending', 'dialing')) AS open,
              (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) AS contacts
       FROM lists l WHERE l.id = $1 AND l.state = 'ready'`,
      [listId],
    );
    return row && { ...row, acceptsTriggers: row.acceptsTriggers === 1 };
  }

  async insert(schedule: NewSchedule): Promise<number> {
    const row = await one<{ id: number }>(
      this.#q,
      `INSERT INTO schedules (list_id, cron, timezone, until_minute, duration_ms, status, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id`,
      [schedule.listId, schedule.cron, schedule.timezone, schedule.untilMinute, schedule.durationMs, schedule.createdAt],
    );
    return row!.id;
  }

  get(id: number): Promise<StoredSchedule | undefined> {
    return one<StoredSchedule>(this.#q, `SELECT ${COLUMNS}, l.name AS "listName" FROM schedules s JOIN lists l ON l.id = s.list_id WHERE s.id = $1`, [id]);
  }

  all(): Promise<StoredSchedule[]> {
    return rows<StoredSchedule>(this.#q, `SELECT ${COLUMNS}, l.name AS "listName" FROM schedules s JOIN lists l ON l.id = s.list_id ORDER BY s.id`);
  }

  async remove(id: number): Promise<boolean> {
    return (await changes(this.#q, 'DELETE FROM schedules WHERE id = $1', [id])) > 0;
  }

  active(): Promise<ScheduleRow[]> {
    return rows<ScheduleRow>(this.#q, `SELECT ${COLUMNS} FROM schedules s WHERE s.status = 'active' ORDER BY s.id`);
  }

  async recordRunStarted(scheduleIds: readonly number[], at: number): Promise<void> {
    await this.#q.query('UPDATE schedules SET last_started_at = $1, last_ended_at = NULL, last_result = NULL WHERE id = ANY($2::int[])', [at, [...scheduleIds]]);
  }

  async recordRunEnded(scheduleIds: readonly number[], at: number, result: string): Promise<void> {
    await this.#q.query('UPDATE schedules SET last_ended_at = $1, last_result = $2 WHERE id = ANY($3::int[])', [at, result, [...scheduleIds]]);
  }

  async markListDone(listId: number): Promise<void> {
    await this.#q.query(`UPDATE schedules SET status = 'done' WHERE list_id = $1 AND status = 'active'`, [listId]);
  }

  triggeredLists(): Promise<{ id: number; nextAt: number | null }[]> {
    return rows<{ id: number; nextAt: number | null }>(
      this.#q,
      `SELECT l.id, (SELECT min(c.next_attempt_at) FROM contacts c WHERE c.list_id = l.id AND c.status = 'pending') AS "nextAt"
       FROM lists l WHERE l.accepts_triggers = 1 AND l.state = 'ready' ORDER BY l.id`,
    );
  }
}
