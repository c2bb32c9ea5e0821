import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { ContactStatus } from '../db/schema/index.js';
import {
  storedSettings,
  withCounts,
  type CreateListOutcome,
  type ImportingList,
  type ListDetails,
  type ListOverview,
  type ListRow,
  type ListSettingsValues,
  type ListStore,
  type NewList,
  type SaveSettingsOutcome,
} from './list-store.js';

const LIST_COLUMNS = `l.id, l.name, l.client_id AS "clientId", c.name AS "clientName", l.previous_list_id AS "previousListId", l.created_at AS "createdAt"`;

async function overview(q: Queryable, row: ListRow): Promise<ListOverview> {
  return withCounts(row, await rows<{ status: ContactStatus; n: number }>(q, 'SELECT status, count(*) AS n FROM contacts WHERE list_id = $1 GROUP BY status', [row.id]));
}

/**
 * The lists' store on PostgreSQL, statement for statement the SQLite one's. Where SQLite's single
 * writer made a read-then-write safe, units here run at once on several nodes, so: a name is
 * checked under the table lock that list creations take turns on (the import's too), settings are
 * checked against schedules with the list row locked, and a discarded list's id is given back only
 * while no INSERT can take the next one.
 */
export class PostgresListStore implements ListStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async setPaused(listId: number, pausedAt: number | null): Promise<{ changed: boolean; pausedAt: number | null } | undefined> {
    // Each conditional: of two nodes pausing at once, the second waits for the first's row and then changes nothing.
    const changed =
      pausedAt === null
        ? (await changes(this.#q, `UPDATE lists SET paused_at = NULL WHERE id = $1 AND state = 'ready' AND paused_at IS NOT NULL`, [listId])) === 1
        : (await changes(this.#q, `UPDATE lists SET paused_at = $1 WHERE id = $2 AND state = 'ready' AND paused_at IS NULL`, [pausedAt, listId])) === 1;
    const row = await one<{ pausedAt: number | null }>(this.#q, `SELECT paused_at AS "pausedAt" FROM lists WHERE id = $1 AND state = 'ready'`, [listId]);
    return row ? { changed, pausedAt: row.pausedAt } : undefined;
  }

  create(list: NewList): Promise<CreateListOutcome> {
    return transaction(this.#q, async (q): Promise<CreateListOutcome> => {
      if (list.clientId !== null && !(await one(q, 'SELECT 1 FROM clients WHERE id = $1', [list.clientId]))) return { kind: 'unknown-client' };
      // No unique index holds a name (a list without a client has none to share it with): at READ
      // COMMITTED two nodes would both find it free. Creations of lists, an import's included, take
      // turns on this lock, which conflicts with every INSERT into lists, for a few milliseconds.
      await q.query('LOCK TABLE lists IN SHARE ROW EXCLUSIVE MODE');
      const existing = await one<{ id: number }>(q, 'SELECT id FROM lists WHERE name = $1 AND client_id IS NOT DISTINCT FROM $2', [list.name, list.clientId]);
      if (existing) return { kind: 'name-taken', listId: existing.id };
      const row = (await one<{ id: number }>(
        q,
        `INSERT INTO lists (client_id, name, default_country, default_timezone, script, policy, accepts_triggers, follow_up, state, created_at)
         VALUES ($1, $2, $3, $4, $5, '{}', $6, '{}', 'ready', $7) RETURNING id`,
        [list.clientId, list.name, list.defaultCountry, list.defaultTimezone, JSON.stringify(list.script), list.acceptsTriggers ? 1 : 0, list.createdAt],
      ))!;
      return { kind: 'created', listId: row.id };
    });
  }

  async get(listId: number): Promise<ListDetails | undefined> {
    const row = await one<ListRow & { sourceFile: string | null; defaultCountry: string | null; defaultTimezone: string | null; script: string; policy: string; acceptsTriggers: number; followUp: string }>(
      this.#q,
      `SELECT ${LIST_COLUMNS}, l.source_file AS "sourceFile", l.default_country AS "defaultCountry", l.default_timezone AS "defaultTimezone",
              l.script, l.policy, l.accepts_triggers AS "acceptsTriggers", l.follow_up AS "followUp"
       FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = $1 AND l.state = 'ready'`,
      [listId],
    );
    if (!row) return undefined;
    const { script, policy, sourceFile, defaultCountry, defaultTimezone, acceptsTriggers, followUp, ...base } = row;
    // Byte order ("C"), as SQLite sorts them: 'Customer Since' before 'agent' whatever the database's collation.
    const attributes = (
      await rows<{ key: string }>(
        this.#q,
        `SELECT DISTINCT j.key COLLATE "C" AS key FROM contacts, jsonb_object_keys(contacts.attributes::jsonb) AS j(key) WHERE contacts.list_id = $1 ORDER BY 1`,
        [listId],
      )
    ).map((r) => r.key);
    const next = (await one<{ at: number | null }>(this.#q, `SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = $1 AND status = 'pending'`, [listId]))!;
    return {
      ...(await overview(this.#q, base)),
      sourceFile,
      defaultCountry,
      defaultTimezone,
      ...storedSettings({ script, policy, acceptsTriggers, followUp }),
      attributes,
      nextAttemptAt: next.at,
    };
  }

  async all(filter: { clientId?: number | undefined } = {}): Promise<ListOverview[]> {
    const found = await rows<ListRow>(
      this.#q,
      `SELECT ${LIST_COLUMNS} FROM lists l LEFT JOIN clients c ON c.id = l.client_id
       WHERE l.state = 'ready' AND ($1::integer IS NULL OR l.client_id = $1) ORDER BY l.id DESC`,
      [filter.clientId ?? null],
    );
    const lists: ListOverview[] = [];
    for (const row of found) lists.push(await overview(this.#q, row));
    return lists;
  }

  saveSettings(listId: number, settings: ListSettingsValues, options: { refuseIfScheduled: boolean }): Promise<SaveSettingsOutcome> {
    return transaction(this.#q, async (q): Promise<SaveSettingsOutcome> => {
      if (options.refuseIfScheduled) {
        // FOR UPDATE conflicts with the KEY SHARE lock that inserting a schedule takes on its list
        // (the foreign key): a schedule being added commits before the check below reads, or waits
        // until this save has committed.
        await q.query('SELECT 1 FROM lists WHERE id = $1 FOR UPDATE', [listId]);
        if (await one(q, `SELECT 1 FROM schedules WHERE list_id = $1 AND status = 'active'`, [listId])) return 'scheduled';
      }
      const saved = await changes(q, `UPDATE lists SET script = $1, policy = $2, follow_up = $3, accepts_triggers = $4 WHERE id = $5 AND state = 'ready'`, [
        JSON.stringify(settings.script),
        JSON.stringify(settings.policy),
        JSON.stringify(settings.followUp),
        settings.acceptsTriggers ? 1 : 0,
        listId,
      ]);
      return saved === 1 ? 'saved' : 'missing';
    });
  }

  importing(): Promise<ImportingList[]> {
    return rows<ImportingList>(this.#q, `SELECT id AS "listId", import_pid AS pid FROM lists WHERE state = 'importing' ORDER BY id`);
  }

  discardImporting(listId: number): Promise<boolean> {
    return transaction(this.#q, async (q) => {
      // The list first, locked against its import publishing it; its contacts before the table
      // lock, which then holds list creations up for one row's delete, not a million contacts'.
      if (!(await one(q, `SELECT 1 FROM lists WHERE id = $1 AND state = 'importing' FOR UPDATE`, [listId]))) return false;
      await q.query('DELETE FROM contacts WHERE list_id = $1', [listId]);
      await q.query('LOCK TABLE lists IN SHARE ROW EXCLUSIVE MODE');
      await q.query('DELETE FROM lists WHERE id = $1', [listId]);
      // As on SQLite, the id goes back when no later list took one. The table lock keeps every
      // INSERT, hence every nextval, out between the check and setval. setval is not undone by a
      // rollback, so it comes last, just before the commit.
      await q.query(
        `SELECT setval(s.seq, $1, false) FROM (SELECT pg_get_serial_sequence('lists', 'id')::regclass AS seq) s WHERE pg_sequence_last_value(s.seq) = $1`,
        [listId],
      );
      return true;
    });
  }
}
