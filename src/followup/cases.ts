import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import type { SqlReader } from '../db/index.js';
import { CASE_STATUSES, type CaseStatus, type Sentiment } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { maskPhone } from '../logging/index.js';
import type { CaseState, CaseStore, StoredCase } from './case-store.js';
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

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const isOverdue = (c: { status: CaseStatus; dueAt: number }, now: number) => c.status === 'open' && c.dueAt < now;

function toView(stored: StoredCase, now: number): CaseView {
  return {
    id: stored.id,
    listId: stored.listId,
    surveyId: stored.surveyId,
    responseId: stored.responseId,
    callId: stored.callId,
    score: stored.score,
    agent: stored.agent,
    contact: { id: stored.contact.id, phone: maskPhone(stored.contact.phone), attributes: contactAttributes(stored.contact.attributes) },
    comment: stored.comment,
    reason: stored.reason,
    owner: stored.owner,
    status: stored.status,
    note: stored.note,
    dueAt: iso(stored.dueAt)!,
    overdue: isOverdue(stored, now),
    createdAt: iso(stored.createdAt)!,
    updatedAt: iso(stored.updatedAt)!,
    contactedAt: iso(stored.contactedAt),
    resolvedAt: iso(stored.resolvedAt),
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
  cases: CaseStore;
  clock: Clock;
}

/**
 * Cases, newest first. `clientId` scopes them to one client (the API); undefined lists every
 * client's (the operator's CLI).
 */
export async function listCases(deps: CaseDeps, input: { clientId?: number | undefined; query: CasesQuery }): Promise<CaseView[]> {
  const now = deps.clock.now();
  const q = input.query;
  const found = await deps.cases.list({
    clientId: input.clientId,
    status: q.status,
    listId: q.listId,
    overdue: q.overdue,
    theme: q.theme,
    before: q.before,
    limit: q.limit ?? DEFAULT_CASES_LIMIT,
    now,
  });
  return found.map((c) => toView(c, now));
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
 * Where a case goes when its status is set (or stays, when it is not): `contactedAt` and
 * `resolvedAt` are set the first time the status reaches them and kept on repeats (so a retried
 * PATCH changes nothing but `updatedAt`); any other status clears `resolvedAt`.
 */
function moveCase(from: CaseState, status: CaseStatus | undefined, now: number): CaseState {
  if (status === undefined) return from;
  return {
    status,
    contactedAt: status === 'contacted' ? (from.contactedAt ?? now) : from.contactedAt,
    resolvedAt: status === 'resolved' ? (from.resolvedAt ?? now) : null,
  };
}

/** Tries of a case's update whose case moved between the read and the write before it gives up. */
const UPDATE_TRIES = 5;

/**
 * Updates a case's owner, status or note. Another client's case is NOT_FOUND, exactly like a
 * missing one. The move is computed from the case as read and written only if the case is still
 * in that state; a case that moved in between (another request, another process) is read again.
 */
export async function updateCase(deps: CaseDeps, input: { clientId?: number | undefined; caseId: number; patch: unknown }): Promise<CaseView> {
  const patch = parsePatch(input.patch);
  const now = deps.clock.now();
  for (let tries = 1; ; tries++) {
    const current = await deps.cases.byId(input.caseId, input.clientId);
    if (!current) throw new AppError('NOT_FOUND', `case ${input.caseId} does not exist`);
    const updated = await deps.cases.update({
      caseId: input.caseId,
      clientId: input.clientId,
      from: current,
      to: moveCase(current, patch.status, now),
      owner: patch.owner,
      note: patch.note === '' ? null : patch.note,
      at: now,
    });
    if (updated) return toView(updated, now);
    if (tries === UPDATE_TRIES) throw new AppError('CONFLICT', `case ${input.caseId} kept changing while it was being updated; try again`);
  }
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

/**
 * Follow-up figures of one list at `now` (served by cases_list_status_idx). Part of the report's
 * read model, not of the cases' store: the report reads every section through one SqlReader
 * snapshot, on whichever backend.
 */
export async function caseSummary(reader: SqlReader, listId: number, now: number): Promise<FollowUpSummary> {
  const count = (condition: string) => `coalesce(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
  // Late: followed up after the deadline, by whichever of contacted_at and resolved_at came first.
  const counts = (await reader.get<{ cases: number; open: number; contacted: number; resolved: number; overdue: number; late: number }>(
    `SELECT count(*) AS cases, ${count(`status = 'open'`)} AS open, ${count(`status = 'contacted'`)} AS contacted,
            ${count(`status = 'resolved'`)} AS resolved, ${count(`status = 'open' AND due_at < ?`)} AS overdue,
            ${count(`status <> 'open' AND coalesce(contacted_at, resolved_at) > due_at AND coalesce(resolved_at, contacted_at) > due_at`)} AS late
     FROM cases WHERE list_id = ?`,
    [now, listId],
  ))!;
  const overdueCases = (
    await reader.all<{ id: number; score: number; agent: string | null; owner: string | null; dueAt: number }>(
      `SELECT id, score, agent, owner, due_at AS "dueAt" FROM cases WHERE list_id = ? AND status = 'open' AND due_at < ? ORDER BY due_at, id LIMIT ${OVERDUE_SHOWN}`,
      [listId, now],
    )
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
