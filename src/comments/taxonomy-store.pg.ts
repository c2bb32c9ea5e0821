import { changes, one, rows, type Queryable } from '../db/postgres/index.js';
import type { Taxonomy } from '../themes/index.js';
import type { TaxonomyStore } from './taxonomy-store.js';

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** The clients' taxonomies on PostgreSQL (the clients.taxonomy column, JSON text as on SQLite). */
export class PostgresTaxonomyStore implements TaxonomyStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async ofClient(clientId: number): Promise<{ custom: unknown } | undefined> {
    const row = await one<{ taxonomy: string | null }>(this.#q, 'SELECT taxonomy FROM clients WHERE id = $1', [clientId]);
    return row && { custom: parsed(row.taxonomy) };
  }

  async ofList(listId: number): Promise<unknown> {
    const row = await one<{ taxonomy: string | null }>(this.#q, 'SELECT c.taxonomy AS taxonomy FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = $1', [listId]);
    return parsed(row?.taxonomy ?? null);
  }

  async setForClient(clientId: number, taxonomy: Taxonomy | null): Promise<boolean> {
    return (await changes(this.#q, 'UPDATE clients SET taxonomy = $1 WHERE id = $2', [taxonomy === null ? null : JSON.stringify(taxonomy), clientId])) === 1;
  }

  async clientsNamed(name: string): Promise<number[]> {
    return (await rows<{ id: number }>(this.#q, 'SELECT id FROM clients WHERE name = $1 ORDER BY id', [name])).map((r) => r.id);
  }
}
