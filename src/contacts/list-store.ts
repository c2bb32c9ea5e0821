import { prepared, type AppDatabase } from '../db/index.js';
import { CONTACT_STATUSES, type ContactStatus } from '../db/schema/index.js';
import { FollowUpSettings } from '../followup/index.js';
import { DialingPolicy, parseJsonColumn, SurveyScript } from './settings.js';

/** A list's own row: what every read of a list starts from. */
export interface ListRow {
  id: number;
  name: string;
  clientId: number | null;
  clientName: string | null;
  previousListId: number | null;
  createdAt: number;
}

export interface ListOverview extends ListRow {
  contacts: number;
  byStatus: Record<ContactStatus, number>;
  /** Every contact is in a final state. */
  final: boolean;
}

/** What `lists set` changes in a list, whole (the use case merges a patch into the stored values). */
export interface ListSettingsValues {
  script: SurveyScript;
  policy: DialingPolicy;
  /** Triggered surveys may be added (POST /api/v1/surveys); `serve` dials the list continuously. */
  acceptsTriggers: boolean;
  followUp: FollowUpSettings;
}

export interface ListDetails extends ListOverview, ListSettingsValues {
  sourceFile: string | null;
  defaultCountry: string | null;
  defaultTimezone: string | null;
  attributes: string[];
  nextAttemptAt: number | null;
}

/** An empty list made by `lists create` (an import makes its own, contacts and all). */
export interface NewList {
  name: string;
  clientId: number | null;
  defaultCountry: string | null;
  defaultTimezone: string | null;
  script: SurveyScript;
  acceptsTriggers: boolean;
  createdAt: number;
}

export type CreateListOutcome = { kind: 'created'; listId: number } | { kind: 'unknown-client' } | { kind: 'name-taken'; listId: number };

/** A save of settings: done, refused because the list has active schedules, or no such ready list. */
export type SaveSettingsOutcome = 'saved' | 'scheduled' | 'missing';

/** A list whose import has not committed (yet), and the process that imports it. */
export interface ImportingList {
  listId: number;
  pid: number | null;
}

/**
 * The lists' store (docs/adr/0013-store-ports.md): the only code that speaks SQL for a list as the
 * operator and the clients see it, asynchronous so that PostgreSQL is a second adapter. A list
 * still `importing` is absent from every read. Each method is one unit of work. The import's bulk
 * path (its own port, ImportSink in import-sink.ts) and the dialer's settings cache
 * (list-settings.ts) keep their own SQL. Every adapter passes test/contacts/list-store-conformance.ts.
 */
export interface ListStore {
  /** Creates a ready, empty list, unless its client does not exist or already has a list of that name (no client: among lists without one). */
  create(list: NewList): Promise<CreateListOutcome>;
  /** A ready list with its contacts counted by status; undefined when there is none. */
  get(listId: number): Promise<ListDetails | undefined>;
  /** Every ready list (of one client, when given), newest first. */
  all(filter?: { clientId?: number | undefined }): Promise<ListOverview[]>;
  /**
   * Replaces a ready list's script, policy, follow-up settings and whether it takes triggers.
   * `refuseIfScheduled`: not when the list has an active schedule (checked in the same unit).
   */
  saveSettings(listId: number, settings: ListSettingsValues, options: { refuseIfScheduled: boolean }): Promise<SaveSettingsOutcome>;
  /** The lists whose import has not committed, oldest first. */
  importing(): Promise<ImportingList[]>;
  /**
   * Deletes a list whose import did not finish, and gives its id back when no later list took
   * one, so that a failed import leaves no gap in the operator's list numbers. False when there
   * was no such importing list.
   */
  discardImporting(listId: number): Promise<boolean>;
  /**
   * Pauses (a time) or resumes (null) a ready list, conditionally: a repeat changes nothing and a
   * pause keeps its first time. The list's pause as it is now, and whether this changed it;
   * undefined for no such ready list.
   */
  setPaused(listId: number, pausedAt: number | null): Promise<{ changed: boolean; pausedAt: number | null } | undefined>;
}


const LIST_COLUMNS = `l.id, l.name, l.client_id AS clientId, c.name AS clientName, l.previous_list_id AS previousListId, l.created_at AS createdAt`;

const emptyCounts = (): Record<ContactStatus, number> => Object.fromEntries(CONTACT_STATUSES.map((s) => [s, 0])) as Record<ContactStatus, number>;

/** A list with its contacts counted by status (the rows of a `GROUP BY status`), on every engine. */
export function withCounts(row: ListRow, counts: readonly { status: ContactStatus; n: number }[]): ListOverview {
  const byStatus = emptyCounts();
  let contacts = 0;
  for (const { status, n } of counts) {
    byStatus[status] = n;
    contacts += n;
  }
  const open = byStatus.pending + byStatus.dialing;
  return { ...row, contacts, byStatus, final: contacts > 0 && open === 0 };
}

/** A list's settings as stored (JSON text, a 0/1 flag), read back on every engine. */
export function storedSettings(row: { script: string; policy: string; acceptsTriggers: number; followUp: string }): ListSettingsValues {
  return {
    script: parseJsonColumn(SurveyScript, row.script, 'survey script'),
    policy: parseJsonColumn(DialingPolicy, row.policy, 'dialing policy'),
    acceptsTriggers: row.acceptsTriggers === 1,
    followUp: parseJsonColumn(FollowUpSettings, row.followUp, 'follow-up settings'),
  };
}

function overview(database: AppDatabase, row: ListRow): ListOverview {
  return withCounts(row, prepared(database, 'SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status').all(row.id) as { status: ContactStatus; n: number }[]);
}

/** A ready list's details on SQLite. */
function sqliteListDetails(database: AppDatabase, listId: number): ListDetails | undefined {
  const row = prepared(
    database,
    `SELECT ${LIST_COLUMNS}, l.source_file AS sourceFile, l.default_country AS defaultCountry,
            l.default_timezone AS defaultTimezone, l.script, l.policy, l.accepts_triggers AS acceptsTriggers, l.follow_up AS followUp
     FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ? AND l.state = 'ready'`,
  ).get(listId) as
    | (ListRow & { sourceFile: string | null; defaultCountry: string | null; defaultTimezone: string | null; script: string; policy: string; acceptsTriggers: number; followUp: string })
    | undefined;
  if (!row) return undefined;
  const { script, policy, sourceFile, defaultCountry, defaultTimezone, acceptsTriggers, followUp, ...base } = row;
  const attributes = (
    prepared(database, `SELECT DISTINCT j.key AS key FROM contacts, json_each(contacts.attributes) j WHERE contacts.list_id = ? ORDER BY j.key`).all(listId) as { key: string }[]
  ).map((r) => r.key);
  const next = prepared(database, `SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = ? AND status = 'pending'`).get(listId) as { at: number | null };
  return {
    ...overview(database, base),
    sourceFile,
    defaultCountry,
    defaultTimezone,
    ...storedSettings({ script, policy, acceptsTriggers, followUp }),
    attributes,
    nextAttemptAt: next.at,
  };
}

/** Saves a list's settings on SQLite, the check of active schedules in the same transaction. */
function sqliteSaveListSettings(database: AppDatabase, listId: number, settings: ListSettingsValues, options: { refuseIfScheduled: boolean }): SaveSettingsOutcome {
  return database.sqlite
    .transaction((): SaveSettingsOutcome => {
      if (options.refuseIfScheduled && prepared(database, `SELECT 1 FROM schedules WHERE list_id = ? AND status = 'active'`).get(listId)) return 'scheduled';
      const { changes } = prepared(database, `UPDATE lists SET script = ?, policy = ?, follow_up = ?, accepts_triggers = ? WHERE id = ? AND state = 'ready'`).run(
        JSON.stringify(settings.script),
        JSON.stringify(settings.policy),
        JSON.stringify(settings.followUp),
        settings.acceptsTriggers ? 1 : 0,
        listId,
      );
      return changes === 1 ? 'saved' : 'missing';
    })
    .immediate();
}

/** The lists' store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteListStore implements ListStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  async setPaused(listId: number, pausedAt: number | null): Promise<{ changed: boolean; pausedAt: number | null } | undefined> {
    const changed =
      pausedAt === null
        ? prepared(this.#database, `UPDATE lists SET paused_at = NULL WHERE id = ? AND state = 'ready' AND paused_at IS NOT NULL`).run(listId).changes === 1
        : prepared(this.#database, `UPDATE lists SET paused_at = ? WHERE id = ? AND state = 'ready' AND paused_at IS NULL`).run(pausedAt, listId).changes === 1;
    const row = prepared(this.#database, `SELECT paused_at AS pausedAt FROM lists WHERE id = ? AND state = 'ready'`).get(listId) as { pausedAt: number | null } | undefined;
    return row ? { changed, pausedAt: row.pausedAt } : undefined;
  }

  create(list: NewList): Promise<CreateListOutcome> {
    const database = this.#database;
    const outcome = database.sqlite
      .transaction((): CreateListOutcome => {
        if (list.clientId !== null && !prepared(database, 'SELECT 1 FROM clients WHERE id = ?').get(list.clientId)) return { kind: 'unknown-client' };
        const existing = prepared(database, 'SELECT id FROM lists WHERE name = ? AND client_id IS ?').get(list.name, list.clientId) as { id: number } | undefined;
        if (existing) return { kind: 'name-taken', listId: existing.id };
        const row = prepared(
          database,
          `INSERT INTO lists (client_id, name, default_country, default_timezone, script, policy, accepts_triggers, follow_up, state, created_at)
           VALUES (?, ?, ?, ?, ?, '{}', ?, '{}', 'ready', ?) RETURNING id`,
        ).get(list.clientId, list.name, list.defaultCountry, list.defaultTimezone, JSON.stringify(list.script), list.acceptsTriggers ? 1 : 0, list.createdAt) as { id: number };
        return { kind: 'created', listId: row.id };
      })
      .immediate();
    return Promise.resolve(outcome);
  }

  get(listId: number): Promise<ListDetails | undefined> {
    return Promise.resolve(sqliteListDetails(this.#database, listId));
  }

  all(filter: { clientId?: number | undefined } = {}): Promise<ListOverview[]> {
    const clientId = filter.clientId ?? null;
    const rows = prepared(
      this.#database,
      `SELECT ${LIST_COLUMNS} FROM lists l LEFT JOIN clients c ON c.id = l.client_id
       WHERE l.state = 'ready' AND (? IS NULL OR l.client_id = ?) ORDER BY l.id DESC`,
    ).all(clientId, clientId) as ListRow[];
    return Promise.resolve(rows.map((row) => overview(this.#database, row)));
  }

  saveSettings(listId: number, settings: ListSettingsValues, options: { refuseIfScheduled: boolean }): Promise<SaveSettingsOutcome> {
    return Promise.resolve(sqliteSaveListSettings(this.#database, listId, settings, options));
  }

  importing(): Promise<ImportingList[]> {
    return Promise.resolve(prepared(this.#database, `SELECT id AS listId, import_pid AS pid FROM lists WHERE state = 'importing' ORDER BY id`).all() as ImportingList[]);
  }

  discardImporting(listId: number): Promise<boolean> {
    const database = this.#database;
    const removed = database.sqlite
      .transaction(() => {
        const { changes } = prepared(database, `DELETE FROM lists WHERE id = ? AND state = 'importing'`).run(listId);
        // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence; rewind it only past this list.
        if (changes === 1) prepared(database, `UPDATE sqlite_sequence SET seq = ? WHERE name = 'lists' AND seq = ?`).run(listId - 1, listId);
        return changes === 1;
      })
      .immediate();
    return Promise.resolve(removed);
  }
}
