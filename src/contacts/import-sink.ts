import type Database from 'better-sqlite3';
import { prepared, type AppDatabase } from '../db/index.js';
import { SqliteListStore } from './list-store.js';
import { processAlive } from './lists.js';
import type { SurveyScript } from './settings.js';

/**
 * Rows of one statement: accepted rows as the parser made them (RangeRows in row-parser.ts), UTF-8
 * JSON arrays [e164, country, name, language, timezone, attributes JSON, chunk-local row, value]
 * joined by ",\n".
 */
export interface ContactRows {
  json: Buffer;
  /** Added to the rows' chunk-local numbers to give their row in the file. */
  base: number;
}

/** A row whose number, once normalised, an earlier row of the file already holds in the list. */
export interface DuplicateRow {
  row: number;
  value: string;
  /** The row whose contact was kept. */
  firstRow: number;
}

/** The list an import creates, `importing` until the import commits. */
export interface NewImport {
  name: string;
  clientId: number | null;
  sourceFile: string;
  defaultCountry: string | null;
  defaultTimezone: string | null;
  previousListId: number | null;
  script: SurveyScript | Record<string, never>;
  valueColumn: string | null;
  /** Clock time (ms): the list's creation, stamped on its contacts too. */
  now: number;
}

/** A list of some name: ready, or still being imported. */
export interface NamedList {
  listId: number;
  state: 'ready' | 'importing';
}

export type ImportBegun = { kind: 'begun'; session: ImportSession } | { kind: 'name-taken'; list: NamedList };

/**
 * Where the CSV import writes (docs/adr/0004, docs/adr/0013-store-ports.md): the import's bulk
 * path, a port of its own because it is not a store's unit of work but a long sequence of short
 * transactions on one list nobody else sees. import.ts parses, orders and counts; an adapter
 * creates the list, appends rows, finds duplicates, publishes or removes the list. Every adapter
 * passes test/contacts/import-sink-conformance.ts.
 */
export interface ImportSink {
  clientExists(clientId: number): Promise<boolean>;
  readyListExists(listId: number): Promise<boolean>;
  /** The list of that name and client (null: among the lists without one), ready or importing. */
  listNamed(name: string, clientId: number | null): Promise<NamedList | undefined>;
  /**
   * Creates the list in state `importing` (absent from every read until the session commits),
   * unless its name is taken: checked in the same transaction, which a racing import cannot enter.
   */
  begin(list: NewImport): Promise<ImportBegun>;
  /** A dry run's session: rows go to a private scratch table with the same uniqueness rule, and nothing is stored. */
  beginDryRun(): Promise<ImportSession>;
  /** Lists left `importing` by an import that no longer runs (killed, or its machine gone), oldest first. */
  abandoned(): Promise<number[]>;
  /** Deletes a list still `importing`, contacts and all; false when there was none. */
  discardImporting(listId: number): Promise<boolean>;
}

/** One import's writes to its list (or a dry run's scratch table). */
export interface ImportSession {
  /** The list being filled; null for a dry run. */
  readonly listId: number | null;
  /**
   * Appends the pieces in one transaction, every row or none, each piece's rows in (number, row)
   * order so that the first occurrence of a number is the one kept. The rows each piece inserted:
   * a number the list holds already inserts nothing.
   */
  write(batch: readonly ContactRows[]): Promise<number[]>;
  /** The rows of a piece already written whose number the list holds from another row. */
  duplicates(rows: ContactRows): Promise<DuplicateRow[]>;
  /**
   * Publishes the list (`importing` → `ready`) with the contacts on the do-not-call list marked
   * `suppressed`, in one transaction. Their count; undefined when the list was removed meanwhile.
   * A dry run counts the numbers that would be suppressed.
   */
  commit(): Promise<number | undefined>;
  /** The attributes (JSON text) of the list's first `limit` contacts by id; none for a dry run. */
  attributesSample(limit: number): Promise<string[]>;
  /** Removes the list unless it was published (nothing for a dry run). */
  abort(): Promise<void>;
  /** Lets go of what the session holds; called once, after commit or abort. */
  close(): Promise<void>;
}

/** SQLite page cache while importing, KiB: the key range a transaction touches fits comfortably. */
const IMPORT_CACHE_KIB = 16 * 1024;

/** The import on SQLite: the bulk path of docs/adr/0004, each call run to completion before it returns. */
export class SqliteImportSink implements ImportSink {
  readonly #database: AppDatabase;
  readonly #lists: SqliteListStore;

  constructor(database: AppDatabase) {
    this.#database = database;
    this.#lists = new SqliteListStore(database);
  }

  async clientExists(clientId: number): Promise<boolean> {
    return prepared(this.#database, 'SELECT 1 FROM clients WHERE id = ?').get(clientId) !== undefined;
  }

  async readyListExists(listId: number): Promise<boolean> {
    return prepared(this.#database, `SELECT 1 FROM lists WHERE id = ? AND state = 'ready'`).get(listId) !== undefined;
  }

  async listNamed(name: string, clientId: number | null): Promise<NamedList | undefined> {
    return sqliteListNamed(this.#database, name, clientId);
  }

  async begin(list: NewImport): Promise<ImportBegun> {
    const database = this.#database;
    const begun = database.sqlite
      .transaction((): { listId: number } | NamedList => {
        const taken = sqliteListNamed(database, list.name, list.clientId);
        if (taken) return taken;
        return prepared(
          database,
          `INSERT INTO lists (client_id, name, source_file, default_country, default_timezone, previous_list_id, script, policy, value_column, state, import_pid, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, 'importing', ?, ?) RETURNING id AS listId`,
        ).get(
          list.clientId,
          list.name,
          list.sourceFile,
          list.defaultCountry,
          list.defaultTimezone,
          list.previousListId,
          JSON.stringify(list.script),
          list.valueColumn,
          process.pid,
          list.now,
        ) as { listId: number };
      })
      .immediate();
    if ('state' in begun) return { kind: 'name-taken', list: begun };
    return { kind: 'begun', session: new SqliteImportSession(database, this.#lists, begun.listId, list.now) };
  }

  async beginDryRun(): Promise<ImportSession> {
    const { sqlite } = this.#database;
    sqlite.exec('DROP TABLE IF EXISTS temp.dry_run_contacts');
    sqlite.exec('CREATE TEMP TABLE dry_run_contacts (phone_e164 TEXT PRIMARY KEY, row_number INTEGER NOT NULL)');
    return new SqliteImportSession(this.#database, this.#lists, null, 0);
  }

  /** An import's process runs on this machine (one database file, one machine): a list whose importer's pid is gone was left. */
  async abandoned(): Promise<number[]> {
    return (await this.#lists.importing()).filter(({ pid }) => pid === null || !processAlive(pid)).map(({ listId }) => listId);
  }

  discardImporting(listId: number): Promise<boolean> {
    return this.#lists.discardImporting(listId);
  }
}

function sqliteListNamed(database: AppDatabase, name: string, clientId: number | null): NamedList | undefined {
  return prepared(database, 'SELECT id AS listId, state FROM lists WHERE name = ? AND client_id IS ?').get(name, clientId) as NamedList | undefined;
}

class SqliteImportSession implements ImportSession {
  readonly listId: number | null;
  readonly #database: AppDatabase;
  readonly #lists: SqliteListStore;
  readonly #insert: Database.Statement;
  readonly #findDuplicates: Database.Statement;
  readonly #write: (batch: readonly ContactRows[]) => number[];
  readonly #cacheBefore: number;

  constructor(database: AppDatabase, lists: SqliteListStore, listId: number | null, now: number) {
    const { sqlite } = database;
    this.listId = listId;
    this.#database = database;
    this.#lists = lists;
    // One statement per piece: jsonb_each reads the rows from the bytes (made a JSON array by
    // SQLite; jsonb rather than json, so that ->> reads each row's fields without re-parsing its
    // text: ~25% less time) and @base turns chunk-local row numbers into the file's.
    // Row fields: 0 e164, 1 country, 2 name, 3 language, 4 timezone, 5 attributes, 6 row, 7 value.
    // Duplicates are looked up with a subquery per row, not a join: joined, SQLite may loop over the
    // list's contacts outside and the rows inside (jsonb_each has no index), quadratic in the list.
    const rows = `jsonb_each('[' || CAST(@json AS TEXT) || ']') r`;
    if (listId === null) {
      this.#insert = sqlite.prepare(
        `INSERT INTO temp.dry_run_contacts (row_number, phone_e164)
         SELECT r.value->>6 + @base, r.value->>0 FROM ${rows} WHERE true ORDER BY r.value->>0, r.value->>6
         ON CONFLICT DO NOTHING`,
      );
      this.#findDuplicates = sqlite.prepare(
        `SELECT * FROM (
           SELECT r.value->>6 + @base AS row, r.value->>0 AS value,
                  (SELECT d.row_number FROM temp.dry_run_contacts d WHERE d.phone_e164 = r.value->>0) AS firstRow
           FROM ${rows})
         WHERE firstRow <> row`,
      );
    } else {
      this.#insert = sqlite.prepare(
        `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, value, status, attempts, next_attempt_at, updated_at)
         SELECT ${listId}, r.value->>6 + @base, r.value->>0, r.value->>1, r.value->>2, r.value->>3, r.value->>4, r.value->>5, r.value->>7, 'pending', 0, ${now}, ${now}
         FROM ${rows} WHERE true ORDER BY r.value->>0, r.value->>6
         ON CONFLICT DO NOTHING`,
      );
      this.#findDuplicates = sqlite.prepare(
        `SELECT * FROM (
           SELECT r.value->>6 + @base AS row, r.value->>0 AS value,
                  (SELECT c.row_number FROM contacts c WHERE c.phone_e164 = r.value->>0 AND c.list_id = ${listId}) AS firstRow
           FROM ${rows})
         WHERE firstRow <> row`,
      );
    }
    // IMMEDIATE: the write lock is taken at BEGIN, so no reader of ours ever needs to upgrade.
    this.#write = sqlite.transaction((batch: readonly ContactRows[]) => batch.map((piece) => this.#insert.run(piece).changes)).immediate;
    this.#cacheBefore = sqlite.pragma('cache_size', { simple: true }) as number;
    sqlite.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
  }

  async write(batch: readonly ContactRows[]): Promise<number[]> {
    return this.#write(batch);
  }

  async duplicates(rows: ContactRows): Promise<DuplicateRow[]> {
    return this.#findDuplicates.all(rows) as DuplicateRow[];
  }

  async commit(): Promise<number | undefined> {
    const database = this.#database;
    const listId = this.listId;
    if (listId === null) {
      return (prepared(database, 'SELECT count(*) AS n FROM temp.dry_run_contacts d JOIN main.suppressions s ON s.phone_e164 = d.phone_e164').get() as { n: number }).n;
    }
    return database.sqlite
      .transaction(() => {
        // Suppressed numbers stay in the list (the report counts them) but are never dialled.
        const suppressed = prepared(
          database,
          `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL
           WHERE list_id = ? AND phone_e164 IN (SELECT phone_e164 FROM suppressions)`,
        ).run(listId).changes;
        const published = prepared(database, `UPDATE lists SET state = 'ready', import_pid = NULL WHERE id = ? AND state = 'importing'`).run(listId).changes;
        return published === 1 ? suppressed : undefined;
      })
      .immediate();
  }

  async attributesSample(limit: number): Promise<string[]> {
    if (this.listId === null) return [];
    const rows = prepared(this.#database, 'SELECT attributes FROM contacts WHERE list_id = ? ORDER BY id LIMIT ?').all(this.listId, limit) as { attributes: string }[];
    return rows.map((r) => r.attributes);
  }

  async abort(): Promise<void> {
    if (this.listId !== null) await this.#lists.discardImporting(this.listId);
  }

  async close(): Promise<void> {
    const { sqlite } = this.#database;
    sqlite.pragma(`cache_size = ${this.#cacheBefore}`);
    if (this.listId === null) sqlite.exec('DROP TABLE IF EXISTS temp.dry_run_contacts');
  }
}
