import { prepared, type AppDatabase } from '../db/index.js';

/** What opening a case reads of its list: the client, the stored follow-up settings, the owners, the contact's attributes. */
export interface CaseContext {
  clientId: number | null;
  /** The list's follow-up settings as stored (JSON); parsed by the caller, which tolerates damage. */
  followUp: string | null;
  clientOwner: string | null;
  /** The contact's attributes as stored (JSON). */
  attributes: string | null;
}

export interface NewCase {
  responseId: number;
  clientId: number | null;
  listId: number;
  contactId: number;
  callId: number;
  score: number;
  threshold: number;
  agent: string | null;
  owner: string | null;
  dueAt: number;
  at: number;
}

/**
 * The follow-up cases store, on the side that opens them (docs/adr/0013-store-ports.md). A case is
 * keyed by its response (a unique index): a duplicated input webhook opens nothing twice.
 */
export interface CaseStore {
  /** What a case of this list and contact is opened with; undefined for an unknown list. */
  contextOf(listId: number, contactId: number): Promise<CaseContext | undefined>;
  /** Opens the case, status `open`; undefined when its response has one already. */
  open(newCase: NewCase): Promise<number | undefined>;
}

/** The cases store on SQLite. */
export class SqliteCaseStore implements CaseStore {
  readonly #db: AppDatabase;

  constructor(database: AppDatabase) {
    this.#db = database;
  }

  async contextOf(listId: number, contactId: number): Promise<CaseContext | undefined> {
    return prepared(
      this.#db,
      `SELECT l.client_id AS clientId, l.follow_up AS followUp, c.case_owner AS clientOwner, k.attributes
       FROM lists l LEFT JOIN clients c ON c.id = l.client_id JOIN contacts k ON k.id = ? WHERE l.id = ?`,
    ).get(contactId, listId) as CaseContext | undefined;
  }

  async open(c: NewCase): Promise<number | undefined> {
    const row = prepared(
      this.#db,
      `INSERT INTO cases (response_id, client_id, list_id, contact_id, call_id, score, threshold, agent, owner, status, due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (response_id) DO NOTHING RETURNING id`,
    ).get(c.responseId, c.clientId, c.listId, c.contactId, c.callId, c.score, c.threshold, c.agent, c.owner, c.dueAt, c.at, c.at) as { id: number } | undefined;
    return row?.id;
  }
}
