import { changes, one, rows, type Queryable } from '../db/postgres/index.js';
import { SETTING_COLUMNS, type Client, type ClientDetails, type ClientKey, type ClientSettingsChanges, type ClientStore, type NewClient } from './client-store.js';

const CLIENT_COLUMNS = `id, name, api_key_prefix AS "apiKeyPrefix", created_at AS "createdAt"`;

/**
 * The clients' store on PostgreSQL, statement for statement the SQLite one's. Like it, it stores a
 * key only as its hash and public prefix. Each write is one statement: a name is taken by the
 * unique index (of two nodes adding it at once, the second's insert waits and then does nothing).
 */
export class PostgresClientStore implements ClientStore {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  add(client: NewClient): Promise<Client | undefined> {
    return one<Client>(
      this.#q,
      `INSERT INTO clients (name, api_key_hash, api_key_prefix, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING ${CLIENT_COLUMNS}`,
      [client.name, client.apiKeyHash, client.apiKeyPrefix, client.createdAt],
    );
  }

  all(): Promise<Client[]> {
    return rows<Client>(this.#q, `SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY id`);
  }

  get(clientId: number): Promise<ClientDetails | undefined> {
    return one<ClientDetails>(
      this.#q,
      `SELECT ${CLIENT_COLUMNS}, alert_url AS "alertUrl", report_url AS "reportUrl", case_owner AS "caseOwner", alert_secret IS NOT NULL AS "hasAlertSecret" FROM clients WHERE id = $1`,
      [clientId],
    );
  }

  async withKeyPrefix(prefix: string): Promise<ClientKey[]> {
    const found = await rows<Client & { apiKeyHash: string }>(
      this.#q,
      `SELECT ${CLIENT_COLUMNS}, api_key_hash AS "apiKeyHash" FROM clients WHERE api_key_prefix = $1 AND api_key_hash IS NOT NULL`,
      [prefix],
    );
    return found.map(({ apiKeyHash, ...client }) => ({ client, apiKeyHash }));
  }

  async updateSettings(clientId: number, settings: ClientSettingsChanges): Promise<boolean> {
    const set = SETTING_COLUMNS.filter(([key]) => settings[key] !== undefined);
    if (set.length === 0) return (await one(this.#q, 'SELECT 1 FROM clients WHERE id = $1', [clientId])) !== undefined;
    const sql = `UPDATE clients SET ${set.map(([, column], i) => `${column} = $${i + 1}`).join(', ')} WHERE id = $${set.length + 1}`;
    return (await changes(this.#q, sql, [...set.map(([key]) => settings[key] ?? null), clientId])) === 1;
  }
}
