import { prepared, type AppDatabase } from '../db/index.js';
import type { Taxonomy } from '../themes/index.js';

/**
 * The clients' taxonomies (docs/adr/0013-store-ports.md): which themes a client's comments are
 * classified with — a setting of the client, kept apart from the comments' store so that it joins
 * the clients' store when that one moves behind its port. Asynchronous, so that PostgreSQL is a
 * second adapter; every adapter passes test/comments/taxonomy-store-conformance.ts.
 *
 * A stored taxonomy is handed out as the JSON document it was stored as (`custom`), not yet
 * validated: the use cases validate it with parseTaxonomy and name it in their own words. Null is
 * the default taxonomy.
 */
export interface TaxonomyStore {
  /** The client's own taxonomy (null: the default); undefined for an unknown client. */
  ofClient(clientId: number): Promise<{ custom: unknown } | undefined>;
  /** The own taxonomy of the client owning the list; null when the default applies (no client, none of its own, no such list). */
  ofList(listId: number): Promise<unknown>;
  /** Stores the client's taxonomy (null: back to the default); false for an unknown client. */
  setForClient(clientId: number, taxonomy: Taxonomy | null): Promise<boolean>;
  /** The clients named exactly `name`, in id order. */
  clientsNamed(name: string): Promise<number[]>;
}

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** The clients' taxonomies on SQLite (the clients.taxonomy column, JSON text). */
export class SqliteTaxonomyStore implements TaxonomyStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async ofClient(clientId: number): Promise<{ custom: unknown } | undefined> {
    const row = prepared(this.#db, 'SELECT taxonomy FROM clients WHERE id = ?').get(clientId) as { taxonomy: string | null } | undefined;
    return row && { custom: parsed(row.taxonomy) };
  }

  async ofList(listId: number): Promise<unknown> {
    const row = prepared(this.#db, 'SELECT c.taxonomy AS taxonomy FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ?').get(listId) as { taxonomy: string | null } | undefined;
    return parsed(row?.taxonomy ?? null);
  }

  async setForClient(clientId: number, taxonomy: Taxonomy | null): Promise<boolean> {
    return prepared(this.#db, 'UPDATE clients SET taxonomy = ? WHERE id = ?').run(taxonomy === null ? null : JSON.stringify(taxonomy), clientId).changes === 1;
  }

  async clientsNamed(name: string): Promise<number[]> {
    return (prepared(this.#db, 'SELECT id FROM clients WHERE name = ? ORDER BY id').all(name) as { id: number }[]).map((r) => r.id);
  }
}
