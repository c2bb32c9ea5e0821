import { prepared, type AppDatabase } from '../db/index.js';

export interface Client {
  id: number;
  name: string;
  apiKeyPrefix: string | null;
  createdAt: number;
}

export interface ClientDetails extends Client {
  alertUrl: string | null;
  reportUrl: string | null;
  caseOwner: string | null;
  /** Whether a webhook secret is set (the secret itself is shown once, when generated). */
  hasAlertSecret: boolean;
}

/** A client to store: its key only as a hash (sha256 hex) and a public prefix. */
export interface NewClient {
  name: string;
  apiKeyHash: string;
  apiKeyPrefix: string;
  createdAt: number;
}

/** A client with the stored hash of its API key, for the caller to compare. */
export interface ClientKey {
  client: Client;
  apiKeyHash: string;
}

/** What `clients set` changes: undefined keeps a value, null clears it. */
export interface ClientSettingsChanges {
  alertUrl?: string | null | undefined;
  alertSecret?: string | null | undefined;
  reportUrl?: string | null | undefined;
  caseOwner?: string | null | undefined;
}

/**
 * The clients' store (docs/adr/0013-store-ports.md): the only code that speaks SQL for a client
 * and its API key, asynchronous so that PostgreSQL is a second adapter. It never sees a key, only
 * its hash; the constant-time comparison is the caller's (authenticateClient). Each method is one
 * unit of work. Every adapter passes test/contacts/client-store-conformance.ts.
 */
export interface ClientStore {
  /** Stores a new client; undefined when the name is taken. */
  add(client: NewClient): Promise<Client | undefined>;
  /** Every client, oldest first. */
  all(): Promise<Client[]>;
  get(clientId: number): Promise<ClientDetails | undefined>;
  /** The clients whose API key starts with `prefix`, with their keys' hashes. */
  withKeyPrefix(prefix: string): Promise<ClientKey[]>;
  /** Changes a client's webhook and case settings; false when there is no such client. */
  updateSettings(clientId: number, changes: ClientSettingsChanges): Promise<boolean>;
}

const CLIENT_COLUMNS = 'id, name, api_key_prefix AS apiKeyPrefix, created_at AS createdAt';

/** The settings' columns, in the order an UPDATE names them. */
export const SETTING_COLUMNS = [
  ['alertUrl', 'alert_url'],
  ['alertSecret', 'alert_secret'],
  ['reportUrl', 'report_url'],
  ['caseOwner', 'case_owner'],
] as const;

/** The clients' store on SQLite (better-sqlite3: each call runs to completion before it returns). */
export class SqliteClientStore implements ClientStore {
  readonly #database: AppDatabase;

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  add(client: NewClient): Promise<Client | undefined> {
    const row = prepared(
      this.#database,
      `INSERT INTO clients (name, api_key_hash, api_key_prefix, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING ${CLIENT_COLUMNS}`,
    ).get(client.name, client.apiKeyHash, client.apiKeyPrefix, client.createdAt) as Client | undefined;
    return Promise.resolve(row);
  }

  all(): Promise<Client[]> {
    return Promise.resolve(prepared(this.#database, `SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY id`).all() as Client[]);
  }

  get(clientId: number): Promise<ClientDetails | undefined> {
    const row = prepared(
      this.#database,
      `SELECT ${CLIENT_COLUMNS}, alert_url AS alertUrl, report_url AS reportUrl, case_owner AS caseOwner, alert_secret IS NOT NULL AS hasAlertSecret FROM clients WHERE id = ?`,
    ).get(clientId) as (Omit<ClientDetails, 'hasAlertSecret'> & { hasAlertSecret: number }) | undefined;
    return Promise.resolve(row && { ...row, hasAlertSecret: row.hasAlertSecret === 1 });
  }

  withKeyPrefix(prefix: string): Promise<ClientKey[]> {
    const rows = prepared(this.#database, `SELECT ${CLIENT_COLUMNS}, api_key_hash AS apiKeyHash FROM clients WHERE api_key_prefix = ? AND api_key_hash IS NOT NULL`).all(prefix) as (Client & {
      apiKeyHash: string;
    })[];
    return Promise.resolve(rows.map(({ apiKeyHash, ...client }) => ({ client, apiKeyHash })));
  }

  updateSettings(clientId: number, changes: ClientSettingsChanges): Promise<boolean> {
    const set = SETTING_COLUMNS.filter(([key]) => changes[key] !== undefined);
    const sql =
      set.length > 0 ? `UPDATE clients SET ${set.map(([, column]) => `${column} = ?`).join(', ')} WHERE id = ?` : 'SELECT 1 FROM clients WHERE id = ?';
    const statement = prepared(this.#database, sql);
    const found = set.length > 0 ? statement.run(...set.map(([key]) => changes[key] ?? null), clientId).changes === 1 : statement.get(clientId) !== undefined;
    return Promise.resolve(found);
  }
}
