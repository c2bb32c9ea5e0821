import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import { CASE_STATUSES, type CaseStatus, type Sentiment } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { maskPhone } from '../logging/index.js';
import { contactAttributes } from './detractors.js';

/**
 * Follow-up cases of detractors. A case is **followed up** once it is `contacted` or `resolved`;
 * it is **overdue** while it is still `open` after its deadline. Time comes from the injected
 * clock, so tests (and reports) decide what "now" is.
 */

export interface CaseView {
  id: number;
  listId: number;
  /** The triggered survey that created the contact, when it was one. */
  surveyId: number | null;
  responseId: number;
  callId: number;
  score: number;
  agent: string | null;
  /** Masked to the last three digits; `attributes` are the client's own (e.g. a ticket id). */
  contact: { id: number; phone: string; attributes: Record<string, unknown> };
  /** What the detractor said (null until the text is there, or once retention removed it), its themes and sentiment. */
  comment: { text: string | null; themes: string[]; sentiment: Sentiment | null };
  /** The keypad reason's choice key, when the list asked and the callee chose. */
  reason: string | null;
  owner: string | null;
  status: CaseStatus;
  note: string | null;
  dueAt: string;
  overdue: boolean;
  createdAt: string;
  updatedAt: string;
  contactedAt: string | null;
  resolvedAt: string | null;
}

interface CaseRow {
  id: number;
  listId: number;
  surveyId: number | null;
  responseId: number;
  callId: number;
  score: number;
  agent: string | null;
  contactId: number;
  phone: string;
  attributes: string;
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

const CASE_SELECT = `SELECT k.id, k.list_id AS listId, (SELECT t.id FROM survey_triggers t WHERE t.contact_id = k.contact_id) AS surveyId,
    k.response_id AS responseId, k.call_id AS callId, k.score, k.agent, k.contact_id AS contactId, c.phone_e164 AS phone, c.attributes,
    k.owner, k.status, k.note, k.due_at AS dueAt, k.created_at AS createdAt, k.updated_at AS updatedAt,
    k.contacted_at AS contactedAt, k.resolved_at AS resolvedAt, r.comment_text AS commentText, r.sentiment, r.reason,
    (SELECT group_concat(theme, ',') FROM (SELECT theme FROM response_themes t WHERE t.response_id = k.response_id ORDER BY theme)) AS themes
  FROM cases k JOIN contacts c ON c.id = k.contact_id LEFT JOIN responses r ON r.id = k.response_id`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const isOverdue = (c: { status: CaseStatus; dueAt: number }, now: number) => c.status === 'open' && c.dueAt < now;

function toView(row: CaseRow, now: number): CaseView {
  const attributes = contactAttributes(row.attributes);
  return {
    id: row.id,
    listId: row.listId,
    surveyId: row.surveyId,
    responseId: row.responseId,
    callId: row.callId,
    score: row.score,
    agent: row.agent,
    contact: { id: row.contactId, phone: maskPhone(row.phone), attributes },
    comment: { text: row.commentText, themes: row.themes ? row.themes.split(',') : [], sentiment: row.sentiment },
    reason: row.reason,
    owner: row.owner,
    status: row.status,
    note: row.note,
    dueAt: iso(row.dueAt)!,
    overdue: isOverdue(row, now),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
    contactedAt: iso(row.contactedAt),
    resolvedAt: iso(row.resolvedAt),
  };
}

const Flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false (or 1 or 0)' })
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

/** GET /api/v1/cases and `cases list`: the query, as strings (a URL's query or CLI flags). */
export const CasesQuery = z.strictObject({
  status: z.enum(CASE_STATUSES, { error: (issue) => `must be one of ${CASE_STATUSES.join(', ')}, got '${String(issue.input)}'` }).optional(),
  listId: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .optional(),
  overdue: Flag,
  /** Only cases whose comment has this theme (response_themes_list_idx). */
  theme: z.string().trim().min(1, 'must be a theme id').max(64, 'must be a theme id').optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, 'must be a whole number from 1 to 500')
    .optional(),
  /** Paging: only cases older than this case id (the `next` link of a full page carries it). */
  before: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a case id (a positive whole number)')
    .transform(Number)
    .optional(),
});
export type CasesQuery = z.infer<typeof CasesQuery>;

export const DEFAULT_CASES_LIMIT = 100;

export interface CaseDeps {
  database: AppDatabase;
  clock: Clock;
}

/**
 * Cases, newest first. `clientId` scopes them to one client (the API); undefined lists every
 * client's (the operator's CLI).
 */
export function listCases(deps: CaseDeps, input: { clientId?: number | undefined; query: CasesQuery }): CaseView[] {
  const now = deps.clock.now();
  const q = input.query;
  const rows = prepared(
    deps.database,
    `${CASE_SELECT}
     WHERE (@scoped = 0 OR k.client_id = @clientId) AND (@status IS NULL OR k.status = @status) AND (@listId IS NULL OR k.list_id = @listId)
       AND (@overdue IS NULL OR (@overdue = 1) = (k.status = 'open' AND k.due_at < @now)) AND (@before IS NULL OR k.id < @before)
       AND (@theme IS NULL OR EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = k.response_id AND t.theme = @theme))
     ORDER BY k.id DESC LIMIT @limit`,
  ).all({
    scoped: input.clientId === undefined ? 0 : 1,
    clientId: input.clientId ?? null,
    status: q.status ?? null,
    listId: q.listId ?? null,
    overdue: q.overdue === undefined ? null : q.overdue ? 1 : 0,
    before: q.before ?? null,
    theme: q.theme ?? null,
    now,
    limit: q.limit ?? DEFAULT_CASES_LIMIT,
  }) as CaseRow[];
  return rows.map((row) => toView(row, now));
}

/** PATCH /api/v1/cases/:id and `cases set`: at least one of owner, status, note. */
export const CasePatch = z
  .strictObject(
    {
      /** null unassigns. */
      owner: z.string().trim().min(1, 'must not be empty; send null to unassign').max(100, 'must be at most 100 characters').nullable().optional(),
      status: z.enum(CASE_STATUSES, { error: (issue) => `must be one of ${CASE_STATUSES.join(', ')}, got ${JSON.stringify(issue.input)}` }).optional(),
      /** Replaces the note; null clears it. */
      note: z.string().trim().max(2000, 'must be at most 2000 characters').nullable().optional(),
    },
    // Only for a body that is not an object at all; unknown keys keep their own message.
    { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object with at least one of owner, status, note' : undefined) },
  )
  .refine((p) => p.owner !== undefined || p.status !== undefined || p.note !== undefined, { error: 'give at least one of owner, status, note' });
export type CasePatch = z.infer<typeof CasePatch>;

function parsePatch(value: unknown): CasePatch {
  const result = CasePatch.safeParse(value);
  if (!result.success) {
    throw new AppError('INPUT_INVALID', result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return result.data;
}

/**
 * Updates a case's owner, status or note. Another client's case is NOT_FOUND, exactly like a
 * missing one. One conditional statement: `contactedAt` and `resolvedAt` are set the first time the
 * status reaches them (kept on repeats, so a retried PATCH changes nothing but `updatedAt`);
 * reopening clears `resolvedAt`.
 */
export function updateCase(deps: CaseDeps, input: { clientId?: number | undefined; caseId: number; patch: unknown }): CaseView {
  const patch = parsePatch(input.patch);
  const now = deps.clock.now();
  const changed = prepared(
    deps.database,
    `UPDATE cases SET
       owner = CASE WHEN @setOwner THEN @owner ELSE owner END,
       note = CASE WHEN @setNote THEN @note ELSE note END,
       status = coalesce(@status, status),
       contacted_at = CASE WHEN @status = 'contacted' THEN coalesce(contacted_at, @now) ELSE contacted_at END,
       resolved_at = CASE WHEN @status = 'resolved' THEN coalesce(resolved_at, @now) WHEN @status IS NOT NULL THEN NULL ELSE resolved_at END,
       updated_at = @now
     WHERE id = @id AND (@scoped = 0 OR client_id = @clientId)`,
  ).run({
    setOwner: patch.owner === undefined ? 0 : 1,
    owner: patch.owner ?? null,
    setNote: patch.note === undefined ? 0 : 1,
    note: patch.note === '' ? null : (patch.note ?? null),
    status: patch.status ?? null,
    now,
    id: input.caseId,
    scoped: input.clientId === undefined ? 0 : 1,
    clientId: input.clientId ?? null,
  }).changes;
  if (changed !== 1) throw new AppError('NOT_FOUND', `case ${input.caseId} does not exist`);
  const row = prepared(deps.database, `${CASE_SELECT} WHERE k.id = ?`).get(input.caseId) as CaseRow;
  return toView(row, now);
}

export interface OverdueCase {
  id: number;
  score: number;
  agent: string | null;
  owner: string | null;
  dueAt: string;
  /** Whole hours past the deadline. */
  overdueHours: number;
}

/** The report's `followUp` section (docs/report-format.md). */
export interface FollowUpSummary {
  cases: number;
  open: number;
  contacted: number;
  resolved: number;
  /** Contacted or resolved. */
  followedUp: number;
  /** followedUp / cases; null without cases. */
  completionRate: number | null;
  /** Still open after the deadline, at the report's time. */
  overdue: number;
  /** Followed up, but after the deadline. */
  followedUpLate: number;
  /** The overdue cases, longest overdue first (at most OVERDUE_SHOWN). */
  overdueCases: OverdueCase[];
}

export const OVERDUE_SHOWN = 100;

/** Follow-up figures of one list at `now` (served by cases_list_status_idx). */
export function caseSummary(database: AppDatabase, listId: number, now: number): FollowUpSummary {
  const counts = prepared(
    database,
    `SELECT count(*) AS cases, coalesce(sum(status = 'open'), 0) AS open, coalesce(sum(status = 'contacted'), 0) AS contacted,
            coalesce(sum(status = 'resolved'), 0) AS resolved, coalesce(sum(status = 'open' AND due_at < @now), 0) AS overdue,
            coalesce(sum(status <> 'open' AND min(coalesce(contacted_at, resolved_at), coalesce(resolved_at, contacted_at)) > due_at), 0) AS late
     FROM cases WHERE list_id = @listId`,
  ).get({ listId, now }) as { cases: number; open: number; contacted: number; resolved: number; overdue: number; late: number };
  const overdueCases = (
    prepared(
      database,
      `SELECT id, score, agent, owner, due_at AS dueAt FROM cases WHERE list_id = ? AND status = 'open' AND due_at < ? ORDER BY due_at, id LIMIT ${OVERDUE_SHOWN}`,
    ).all(listId, now) as { id: number; score: number; agent: string | null; owner: string | null; dueAt: number }[]
  ).map((c) => ({ ...c, dueAt: iso(c.dueAt)!, overdueHours: Math.floor((now - c.dueAt) / 3_600_000) }));
  const followedUp = counts.contacted + counts.resolved;
  return {
    cases: counts.cases,
    open: counts.open,
    contacted: counts.contacted,
    resolved: counts.resolved,
    followedUp,
    completionRate: counts.cases === 0 ? null : followedUp / counts.cases,
    overdue: counts.overdue,
    followedUpLate: counts.late,
    overdueCases,
  };
}
