import type pg from 'pg';
import { changes, one, rows, transaction, type Queryable } from '../db/postgres/index.js';
import type { ContactRows, DuplicateRow, ImportBegun, ImportSession, ImportSink, NamedList, NewImport } from './import-sink.js';

/**
 * The advisory lock class of imports: an import holds (IMPORT_LOCK, list id) on a connection of its
 * own from before its list is visible until it is published or removed. PostgreSQL releases it when
 * that connection ends, however the process ended, on whichever machine: a list `importing` whose
 * lock is free was left by a dead import. (A pid, as on SQLite, names a process of one machine.)
 * Two 32-bit keys: a key space apart from the single 64-bit keys (the migrations' lock).
 */
const IMPORT_LOCK = 72_635_410;

/**
 * A piece's rows as one jsonb array: ->> then reads a row's fields without parsing its text again.
 * Ordered by number (byte order: "C"), then row, so that the first occurrence of a number within the
 * statement is inserted and a later one conflicts with it.
 * Row fields: 0 e164, 1 country, 2 name, 3 language, 4 timezone, 5 attributes, 6 row, 7 value.
 */
const ROWS = `jsonb_array_elements($2::jsonb) r`;
const ROW_ORDER = `ORDER BY (r->>0) COLLATE "C", (r->>6)::integer`;

/**
 * The import on PostgreSQL: one statement per piece, its rows sent as one JSON text that the server
 * unpacks (no per-row parameters, no parsing in Node), in a transaction per batch on the pool.
 * Takes the pool rather than any Queryable: an import lives longer than a unit of work, and holds a
 * connection of its own for its lock (and a dry run's scratch table, which is per connection), so
 * it needs two of the pool's connections at once.
 */
export class PostgresImportSink implements ImportSink {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async clientExists(clientId: number): Promise<boolean> {
    return (await one(this.#pool, 'SELECT 1 FROM clients WHERE id = $1', [clientId])) !== undefined;
  }

  async readyListExists(listId: number): Promise<boolean> {
    return (await one(this.#pool, `SELECT 1 FROM lists WHERE id = $1 AND state = 'ready'`, [listId])) !== undefined;
  }

  listNamed(name: string, clientId: number | null): Promise<NamedList | undefined> {
    return pgListNamed(this.#pool, name, clientId);
  }

  async begin(list: NewImport): Promise<ImportBegun> {
    const holder = await Holder.connect(this.#pool);
    try {
      const begun = await transaction(this.#pool, async (tx): Promise<{ listId: number } | NamedList> => {
        // At READ COMMITTED two imports of one name would both find it free: list creations take
        // turns here (a lock that conflicts with every INSERT into lists, held for milliseconds).
        await tx.query('LOCK TABLE lists IN SHARE ROW EXCLUSIVE MODE');
        const taken = await pgListNamed(tx, list.name, list.clientId);
        if (taken) return taken;
        const created = (await one<{ listId: number }>(
          tx,
          `INSERT INTO lists (client_id, name, source_file, default_country, default_timezone, previous_list_id, script, policy, value_column, state, import_pid, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, 'importing', $9, $10) RETURNING id AS "listId"`,
          [list.clientId, list.name, list.sourceFile, list.defaultCountry, list.defaultTimezone, list.previousListId, JSON.stringify(list.script), list.valueColumn, process.pid, list.now],
        ))!;
        // Locked before the list commits: no one can see it `importing` with its lock free.
        await holder.client.query('SELECT pg_advisory_lock($1, $2)', [IMPORT_LOCK, created.listId]);
        return created;
      });
      if ('state' in begun) {
        holder.release();
        return { kind: 'name-taken', list: begun };
      }
      return { kind: 'begun', session: new PostgresImportSession(this, this.#pool, holder, begun.listId, list.now) };
    } catch (error) {
      // The lock, if taken, goes with the connection.
      holder.release(error);
      throw error;
    }
  }

  async beginDryRun(): Promise<ImportSession> {
    const holder = await Holder.connect(this.#pool);
    try {
      await holder.client.query('DROP TABLE IF EXISTS pg_temp.dry_run_contacts');
      await holder.client.query('CREATE TEMP TABLE dry_run_contacts (phone_e164 text PRIMARY KEY, row_number integer NOT NULL)');
    } catch (error) {
      holder.release(error);
      throw error;
    }
    return new PostgresImportSession(this, this.#pool, holder, null, 0);
  }

  /**
   * Tries each importing list's lock for the length of one statement: taken, no import holds it.
   * The locks taken are released at once; a dead import never comes back for its list.
   */
  async abandoned(): Promise<number[]> {
    const found = await rows<{ id: number }>(
      this.#pool,
      `SELECT id FROM (SELECT id FROM lists WHERE state = 'importing' ORDER BY id) l WHERE pg_try_advisory_xact_lock($1, l.id)`,
      [IMPORT_LOCK],
    );
    return found.map((r) => r.id);
  }

  discardImporting(listId: number): Promise<boolean> {
    return transaction(this.#pool, async (tx) => {
      // The list first, locked against a publish; its contacts before the table lock, which then
      // holds list creations only for the time of one row's delete, not of a million contacts'.
      if (!(await one(tx, `SELECT 1 FROM lists WHERE id = $1 AND state = 'importing' FOR UPDATE`, [listId]))) return false;
      await tx.query('DELETE FROM contacts WHERE list_id = $1', [listId]);
      // As on SQLite, the id goes back when no later list took one (no gap in the operator's list
      // numbers); the table lock keeps any INSERT, hence any nextval, out between the check and setval.
      await tx.query('LOCK TABLE lists IN SHARE ROW EXCLUSIVE MODE');
      await tx.query('DELETE FROM lists WHERE id = $1', [listId]);
      await tx.query(
        `SELECT setval(s.seq, $1, false) FROM (SELECT pg_get_serial_sequence('lists', 'id')::regclass AS seq) s WHERE pg_sequence_last_value(s.seq) = $1`,
        [listId],
      );
      return true;
    });
  }
}

/**
 * A connection an import keeps for its whole length. Its errors are caught: the server may end it
 * between two statements (a restart), which would otherwise crash the process; the import then
 * fails at its next statement on it, or its lock is simply gone.
 */
class Holder {
  readonly client: pg.PoolClient;
  #broken: Error | undefined;
  readonly #onError = (error: Error) => (this.#broken = error);

  private constructor(client: pg.PoolClient) {
    this.client = client;
    client.on('error', this.#onError);
  }

  static async connect(pool: pg.Pool): Promise<Holder> {
    return new Holder(await pool.connect());
  }

  /** Back to the pool, or discarded when it broke or `error` says it may have. */
  release(error?: unknown): void {
    this.client.off('error', this.#onError);
    const broken = this.#broken ?? (error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)));
    this.client.release(broken);
  }
}

function pgListNamed(q: Queryable, name: string, clientId: number | null): Promise<NamedList | undefined> {
  return one<NamedList>(q, `SELECT id AS "listId", state FROM lists WHERE name = $1 AND client_id IS NOT DISTINCT FROM $2`, [name, clientId]);
}

class PostgresImportSession implements ImportSession {
  readonly listId: number | null;
  readonly #sink: PostgresImportSink;
  readonly #pool: pg.Pool;
  /** The connection holding the import's lock, or a dry run's scratch table. */
  readonly #holder: Holder;
  readonly #now: number;
  #published = false;

  constructor(sink: PostgresImportSink, pool: pg.Pool, holder: Holder, listId: number | null, now: number) {
    this.#sink = sink;
    this.#pool = pool;
    this.#holder = holder;
    this.listId = listId;
    this.#now = now;
  }

  async write(batch: readonly ContactRows[]): Promise<number[]> {
    if (this.listId === null) {
      // A dry run's rows are its own connection's, dropped with it: no transaction needed.
      const inserted: number[] = [];
      for (const piece of batch) {
        inserted.push(
          await changes(
            this.#holder.client,
            `INSERT INTO dry_run_contacts (row_number, phone_e164)
             SELECT (r->>6)::integer + $1, r->>0 FROM ${ROWS} ${ROW_ORDER}
             ON CONFLICT DO NOTHING`,
            [piece.base, jsonArray(piece)],
          ),
        );
      }
      return inserted;
    }
    const listId = this.listId;
    return transaction(this.#pool, async (tx) => {
      const inserted: number[] = [];
      for (const piece of batch) {
        inserted.push(
          await changes(
            tx,
            `INSERT INTO contacts (list_id, row_number, phone_e164, country, name, language, timezone, attributes, value, status, attempts, next_attempt_at, updated_at)
             SELECT $1, (r->>6)::integer + $3, r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, (r->>7)::double precision, 'pending', 0, $4, $4
             FROM ${ROWS} ${ROW_ORDER}
             ON CONFLICT DO NOTHING`,
            [listId, jsonArray(piece), piece.base, this.#now],
          ),
        );
      }
      return inserted;
    });
  }

  async duplicates(piece: ContactRows): Promise<DuplicateRow[]> {
    // A subquery per row, as on SQLite: each an index lookup on (phone_e164, list_id).
    if (this.listId === null) {
      return rows<DuplicateRow>(
        this.#holder.client,
        `SELECT * FROM (
           SELECT (r->>6)::integer + $1 AS "row", r->>0 AS value,
                  (SELECT d.row_number FROM dry_run_contacts d WHERE d.phone_e164 = r->>0) AS "firstRow"
           FROM ${ROWS}) x
         WHERE "firstRow" <> "row"`,
        [piece.base, jsonArray(piece)],
      );
    }
    return rows<DuplicateRow>(
      this.#pool,
      `SELECT * FROM (
         SELECT (r->>6)::integer + $3 AS "row", r->>0 AS value,
                (SELECT c.row_number FROM contacts c WHERE c.phone_e164 = r->>0 AND c.list_id = $1) AS "firstRow"
         FROM ${ROWS}) x
       WHERE "firstRow" <> "row"`,
      [this.listId, jsonArray(piece), piece.base],
    );
  }

  async commit(): Promise<number | undefined> {
    const listId = this.listId;
    if (listId === null) {
      return (await one<{ n: number }>(this.#holder.client, 'SELECT count(*) AS n FROM dry_run_contacts d JOIN suppressions s ON s.phone_e164 = d.phone_e164'))!.n;
    }
    const suppressed = await transaction(this.#pool, async (tx) => {
      // Suppressed numbers stay in the list (the report counts them) but are never dialled. A number
      // put on the do-not-call list stops the pending contacts its transaction sees; one whose
      // transaction began before the batch holding the contact committed, and ends after the update
      // below began, would be seen by neither. So the update waits for the additions in flight
      // (SHARE conflicts with their inserts; an opt-out then waits for this update, once per
      // import), and an addition that starts later sees this list's contacts, committed before.
      await tx.query('LOCK TABLE suppressions IN SHARE MODE');
      const n = await changes(
        tx,
        `UPDATE contacts SET status = 'suppressed', next_attempt_at = NULL
         WHERE list_id = $1 AND phone_e164 IN (SELECT phone_e164 FROM suppressions)`,
        [listId],
      );
      const published = await changes(tx, `UPDATE lists SET state = 'ready', import_pid = NULL WHERE id = $1 AND state = 'importing'`, [listId]);
      return published === 1 ? n : undefined;
    });
    this.#published = suppressed !== undefined;
    return suppressed;
  }

  async attributesSample(limit: number): Promise<string[]> {
    if (this.listId === null) return [];
    const sample = await rows<{ attributes: string }>(this.#pool, 'SELECT attributes FROM contacts WHERE list_id = $1 ORDER BY id LIMIT $2', [this.listId, limit]);
    return sample.map((r) => r.attributes);
  }

  async abort(): Promise<void> {
    if (this.listId !== null && !this.#published) await this.#sink.discardImporting(this.listId);
  }

  async close(): Promise<void> {
    try {
      if (this.listId === null) await this.#holder.client.query('DROP TABLE IF EXISTS pg_temp.dry_run_contacts');
      else await this.#holder.client.query('SELECT pg_advisory_unlock($1, $2)', [IMPORT_LOCK, this.listId]);
      this.#holder.release();
    } catch (error) {
      // A broken connection is discarded; its lock and table went with it.
      this.#holder.release(error);
    }
  }
}

/** The piece's rows as the text of one JSON array. */
function jsonArray(piece: ContactRows): string {
  return `[${piece.json.toString('utf8')}]`;
}
