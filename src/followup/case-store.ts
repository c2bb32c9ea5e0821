import { prepared, type AppDatabase } from '../db/index.js';
import type { CaseStatus, Sentiment } from '../db/schema/index.js';

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

/** A stored case with what it shows of its contact and response. Times are epoch ms. */
export interface StoredCase {
  id: number;
  clientId: number | null;
  listId: number;
  /** The triggered survey that created the contact, when it was one. */
  surveyId: number | null;
  responseId: number;
  callId: number;
  score: number;
  agent: string | null;
  /** The number unmasked (E.164) and the attributes as stored (JSON): the caller masks and parses. */
  contact: { id: number; phone: string; attributes: string | null };
  /** The comment's text (null until it is there, or once retention removed it), its themes (sorted) and sentiment. */
  comment: { text: string | null; themes: string[]; sentiment: Sentiment | null };
  reason: string | null;
  owner: string | null;
  status: CaseStatus;
  note: string | null;
  dueAt: number;
  createdAt: number;
  updatedAt: number;
  contactedAt: number | null;
  resolvedAt: number | null;
}

/** Which cases `list` finds; every criterion given must hold. */
export interface CaseFilter {
  /** One client's cases; undefined: every client's. */
  clientId?: number | undefined;
  listId?: number | undefined;
  status?: CaseStatus | undefined;
  /** Only cases overdue at `now` (still open after their deadline), or only those that are not. */
  overdue?: boolean | undefined;
  /** Only cases whose comment has this theme. */
  theme?: string | undefined;
  /** Only cases older than this case (paging). */
  before?: number | undefined;
  limit: number;
  /** The time `overdue` is judged at. */
  now: number;
}

/** What a case's moves depend on: its status and when it was first contacted and resolved. */
export type CaseState = Pick<StoredCase, 'status' | 'contactedAt' | 'resolvedAt'>;

/** A conditional change of one case, made only if the case is still as it was read. */
export interface CaseChange {
  caseId: number;
  /** Only if it is this client's case; undefined: any client's. */
  clientId?: number | undefined;
  /** The state the change was computed from: the change is refused when the case is no longer in it. */
  from: CaseState;
  to: CaseState;
  /** A new owner (null unassigns); undefined keeps the owner. */
  owner?: string | null | undefined;
  /** A new note (null clears it); undefined keeps the note. */
  note?: string | null | undefined;
  at: number;
}

/**
 * The follow-up cases' store (docs/adr/0013-store-ports.md): the only code that speaks SQL for
 * them. A case is keyed by its response (a unique index): a duplicated input webhook opens nothing
 * twice. `contextOf` and `open` run in the webhooks' unit of work; the others on their own. The
 * contract: test/followup/case-store-conformance.ts.
 */
export interface CaseStore {
  /** What a case of this list and contact is opened with; undefined for an unknown list. */
  contextOf(listId: number, contactId: number): Promise<CaseContext | undefined>;
  /** Opens the case, status `open`; undefined when its response has one already. */
  open(newCase: NewCase): Promise<number | undefined>;
  /** The cases the filter finds, newest (highest id) first, at most `filter.limit`. */
  list(filter: CaseFilter): Promise<StoredCase[]>;
  /** One case; undefined when there is none, or when `clientId` is given and it is another client's. */
  byId(caseId: number, clientId?: number): Promise<StoredCase | undefined>;
  /**
   * Moves a case to `change.to`, sets its owner or note if given, and stamps `updatedAt`, all at
   * once, only if it is still in `change.from` (and the client's, when one is given). Returns the
   * case as changed; undefined when nothing was changed: no such case, another client's, or it
   * moved since it was read.
   */
  update(change: CaseChange): Promise<StoredCase | undefined>;
}

/** A case as both engines' queries read it, before it takes its shape. */
export interface CaseRow {
  id: number;
  clientId: number | null;
  listId: number;
  surveyId: number | null;
  responseId: number;
  callId: number;
  score: number;
  agent: string | null;
  contactId: number;
  phone: string;
  attributes: string | null;
  commentText: string | null;
  themes: string | null;
  sentiment: Sentiment | null;
  reason: string | null;
  owner: string | null;
  status: CaseStatus;
  note: string | null;
  dueAt: number;
  createdAt: number;
  updatedAt: number;
  contactedAt: number | null;
  resolvedAt: number | null;
}

const CASE_SELECT = `SELECT k.id, k.client_id AS clientId, k.list_id AS listId, (SELECT t.id FROM survey_triggers t WHERE t.contact_id = k.contact_id) AS surveyId,
    k.response_id AS responseId, k.call_id AS callId, k.score, k.agent, k.contact_id AS contactId, c.phone_e164 AS phone, c.attributes,
    k.owner, k.status, k.note, k.due_at AS dueAt, k.created_at AS createdAt, k.updated_at AS updatedAt,
    k.contacted_at AS contactedAt, k.resolved_at AS resolvedAt, r.comment_text AS commentText, r.sentiment, r.reason,
    (SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = k.response_id ORDER BY theme)) AS themes
  FROM cases k JOIN contacts c ON c.id = k.contact_id LEFT JOIN responses r ON r.id = k.response_id`;

/** A case row in the port's shape: its contact and comment grouped, its themes a sorted list. */
export function toStored(row: CaseRow): StoredCase {
  return {
    id: row.id,
    clientId: row.clientId,
    listId: row.listId,
    surveyId: row.surveyId,
    responseId: row.responseId,
    callId: row.callId,
    score: row.score,
    agent: row.agent,
    contact: { id: row.contactId, phone: row.phone, attributes: row.attributes },
    comment: { text: row.commentText, themes: row.themes ? row.themes.split(',') : [], sentiment: row.sentiment },
    reason: row.reason,
    owner: row.owner,
    status: row.status,
    note: row.note,
    dueAt: row.dueAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    contactedAt: row.contactedAt,
    resolvedAt: row.resolvedAt,
  };
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

  async list(filter: CaseFilter): Promise<StoredCase[]> {
    const rows = prepared(
      this.#db,
      `${CASE_SELECT}
       WHERE (@scoped = 0 OR k.client_id = @clientId) AND (@status IS NULL OR k.status = @status) AND (@listId IS NULL OR k.list_id = @listId)
         AND (@overdue IS NULL OR (@overdue = 1) = (k.status = 'open' AND k.due_at < @now)) AND (@before IS NULL OR k.id < @before)
         AND (@theme IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = k.response_id AND t.theme = @theme))
       ORDER BY k.id DESC LIMIT @limit`,
    ).all({
      scoped: filter.clientId === undefined ? 0 : 1,
      clientId: filter.clientId ?? null,
      status: filter.status ?? null,
      listId: filter.listId ?? null,
      overdue: filter.overdue === undefined ? null : filter.overdue ? 1 : 0,
      before: filter.before ?? null,
      theme: filter.theme ?? null,
      now: filter.now,
      limit: filter.limit,
    }) as CaseRow[];
    return rows.map(toStored);
  }

  async byId(caseId: number, clientId?: number): Promise<StoredCase | undefined> {
    return this.#byId(caseId, clientId);
  }

  async update(change: CaseChange): Promise<StoredCase | undefined> {
    const database = this.#db;
    return database.sqlite
      .transaction(() => {
        const changed = prepared(
          database,
          `UPDATE cases SET
             owner = CASE WHEN @setOwner THEN @owner ELSE owner END,
             note = CASE WHEN @setNote THEN @note ELSE note END,
             status = @status, contacted_at = @contactedAt, resolved_at = @resolvedAt, updated_at = @at
           WHERE id = @id AND (@scoped = 0 OR client_id = @clientId)
             AND status = @fromStatus AND contacted_at IS @fromContactedAt AND resolved_at IS @fromResolvedAt`,
        ).run({
          setOwner: change.owner === undefined ? 0 : 1,
          owner: change.owner ?? null,
          setNote: change.note === undefined ? 0 : 1,
          note: change.note ?? null,
          status: change.to.status,
          contactedAt: change.to.contactedAt,
          resolvedAt: change.to.resolvedAt,
          at: change.at,
          id: change.caseId,
          scoped: change.clientId === undefined ? 0 : 1,
          clientId: change.clientId ?? null,
          fromStatus: change.from.status,
          fromContactedAt: change.from.contactedAt,
          fromResolvedAt: change.from.resolvedAt,
        }).changes;
        return changed === 1 ? this.#byId(change.caseId, undefined) : undefined;
      })
      .immediate();
  }

  #byId(caseId: number, clientId: number | undefined): StoredCase | undefined {
    const row = prepared(this.#db, `${CASE_SELECT} WHERE k.id = @id AND (@scoped = 0 OR k.client_id = @clientId)`).get({
      id: caseId,
      scoped: clientId === undefined ? 0 : 1,
      clientId: clientId ?? null,
    }) as CaseRow | undefined;
    return row && toStored(row);
  }
}
