import { randomUUID } from 'node:crypto';
import type { Tariff } from '../../src/config/index.js';
import { addClient, SqliteClientStore, SqliteListStore, type ClientStore, type ListStore } from '../../src/contacts/index.js';
import type { ManualClock } from '../../src/clock/index.js';
import { sqliteReader, type AppDatabase } from '../../src/db/index.js';
import type { CallOutcome, CommentStatus, ContactStatus } from '../../src/db/schema/index.js';
import { openDetractorFollowUp } from '../../src/followup/index.js';
import { sqliteCallUnits } from '../../src/calls/index.js';
import { reportReads } from '../../src/app/report-reads.js';
import type { ReportServiceDeps } from '../../src/reports/index.js';

export const REPORT_TARIFF: Tariff = { currency: 'EUR', callFeeMinor: 0, perMinuteMinor: 12, firstIncrementSeconds: 60, nextIncrementSeconds: 60 };
export const START = Date.UTC(2026, 0, 5, 10, 0, 0);

export interface ContactSpec {
  phone?: string;
  /** Final (or open) status; `responded` by default when a score is given, else `unanswered`. */
  status?: ContactStatus;
  /** Call attempts made; the last one carries the outcome of the status. Default 1 (0 for not dialled / suppressed / pending). */
  attempts?: number;
  score?: number;
  language?: string | null;
  attributes?: Record<string, string>;
  comment?: { status: Exclude<CommentStatus, 'none'>; file?: string; seconds?: number };
  /** The comment's words (status `ready`), stored themes (source `engine` unless given) and sentiment. */
  text?: { text: string; language?: string; themes?: string[]; themesSource?: 'engine' | 'manual'; sentiment?: 'positive' | 'neutral' | 'negative' };
  /** The keypad reason's choice key. */
  reason?: string;
  /** The contact's value (the list's value column). */
  value?: number;
}

/** The outcome of the last attempt that leaves a contact in `status`. */
function outcomeFor(status: ContactStatus): CallOutcome | null {
  switch (status) {
    case 'responded':
    case 'answered_no_score':
    case 'opted_out':
      return 'human';
    case 'busy':
    case 'machine':
    case 'failed':
    case 'rejected':
    case 'unanswered':
      return status;
    default:
      return null;
  }
}

let phoneSeq = 0;
/** A distinct valid-looking Polish mobile number per call. */
export const nextPhone = () => `+48600${String(++phoneSeq).padStart(6, '0')}`;

export interface SeededList {
  listId: number;
  contactIds: number[];
  /** The call that carries each contact's response, or null. */
  responseCallIds: (number | null)[];
}

/**
 * Inserts a ready list with contacts in their final (or open) state, as the dialer would have left
 * them: one call per attempt (the last with the status's outcome), a response with its comment,
 * and a billing line for every person-answered call (60 billable s, 12 minor units, provider price
 * 10,500 micros). Call k of the list starts at START + k minutes.
 */
export function seedList(
  database: AppDatabase,
  options: { contacts: ContactSpec[]; name?: string; clientId?: number | null; previousListId?: number | null; script?: object; state?: 'ready' | 'importing' },
): SeededList {
  const { sqlite } = database;
  const listId = (
    sqlite
      .prepare(`INSERT INTO lists (name, client_id, previous_list_id, script, policy, state, created_at) VALUES (?, ?, ?, ?, '{}', ?, ?) RETURNING id`)
      .get(options.name ?? `list-${randomUUID().slice(0, 8)}`, options.clientId ?? null, options.previousListId ?? null, JSON.stringify(options.script ?? { company: 'Acme' }), options.state ?? 'ready', START) as {
      id: number;
    }
  ).id;
  const insertContact = sqlite.prepare(
    `INSERT INTO contacts (list_id, row_number, phone_e164, country, language, attributes, status, attempts, next_attempt_at, value, updated_at)
     VALUES (?, ?, ?, 'PL', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertCall = sqlite.prepare(
    `INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, outcome, answered_by, created_at, answered_at, ended_at, duration_seconds, provider_price_micros)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertResponse = sqlite.prepare(
    `INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_file, comment_seconds, comment_mode, comment_text_status, comment_text, comment_language, sentiment, sentiment_source, themes_source, reason, reason_outcome, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertTheme = sqlite.prepare('INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)');
  const insertBilling = sqlite.prepare(
    `INSERT INTO billing_lines (call_id, list_id, client_id, billable_seconds, amount_minor, currency, provider_price_micros, created_at) VALUES (?, ?, ?, 60, 12, 'EUR', 10500, ?)`,
  );
  let callSeq = (sqlite.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n;
  const contactIds: number[] = [];
  const responseCallIds: (number | null)[] = [];
  sqlite.transaction(() => {
    options.contacts.forEach((spec, i) => {
      const status: ContactStatus = spec.status ?? (spec.score === undefined ? 'unanswered' : 'responded');
      const noCall = status === 'not_dialled' || status === 'suppressed' || status === 'pending';
      const attempts = spec.attempts ?? (noCall ? 0 : 1);
      const contactId = (
        insertContact.get(listId, i + 2, spec.phone ?? nextPhone(), spec.language ?? null, JSON.stringify(spec.attributes ?? {}), status, attempts, status === 'pending' ? START : null, spec.value ?? null, START) as { id: number }
      ).id;
      contactIds.push(contactId);
      let responseCall: number | null = null;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const last = attempt === attempts;
        const live = last && status === 'dialing';
        const outcome = live ? null : last ? (outcomeFor(status) ?? 'unanswered') : 'unanswered';
        const createdAt = START + callSeq++ * 60_000;
        const human = outcome === 'human';
        const callId = (
          insertCall.get(
            contactId,
            listId,
            attempt,
            randomUUID(),
            randomUUID(),
            live ? 'answered' : 'ended',
            outcome,
            human ? 'human' : outcome === 'machine' ? 'machine' : null,
            createdAt,
            human || outcome === 'machine' ? createdAt + 5_000 : null,
            live ? null : createdAt + 50_000,
            human ? 45 : 0,
            human ? 10_500 : null,
          ) as { id: number }
        ).id;
        if (human) insertBilling.run(callId, listId, options.clientId ?? null, createdAt);
        if (last && spec.score !== undefined) {
          const text = spec.text;
          const responseId = (
            insertResponse.get(
              contactId,
              callId,
              listId,
              spec.score,
              spec.comment?.status ?? 'none',
              spec.comment?.file ?? null,
              spec.comment?.seconds ?? null,
              text ? 'recording' : null,
              text ? 'ready' : 'none',
              text?.text ?? null,
              text ? (text.language ?? 'en-US') : null,
              text ? (text.sentiment ?? 'neutral') : null,
              text ? 'engine' : null,
              text ? (text.themesSource ?? 'engine') : null,
              spec.reason ?? null,
              spec.reason ? 'chosen' : null,
              createdAt,
            ) as { id: number }
          ).id;
          for (const theme of text?.themes ?? []) insertTheme.run(responseId, listId, theme);
          responseCall = callId;
        }
      }
      responseCallIds.push(responseCall);
    });
  })();
  return { listId, contactIds, responseCallIds };
}

/** `promoters` tens, `passives` eights and `detractors` threes, in that order. */
export function scored(counts: { promoters: number; passives: number; detractors: number }, extra: Omit<ContactSpec, 'score'> = {}): ContactSpec[] {
  return [
    ...Array.from({ length: counts.promoters }, () => ({ ...extra, score: 10 })),
    ...Array.from({ length: counts.passives }, () => ({ ...extra, score: 8 })),
    ...Array.from({ length: counts.detractors }, () => ({ ...extra, score: 3 })),
  ];
}

/** `n` contacts in one non-responding final status. */
export function others(n: number, status: ContactStatus, extra: Omit<ContactSpec, 'status'> = {}): ContactSpec[] {
  return Array.from({ length: n }, () => ({ ...extra, status }));
}

export async function seedClient(database: AppDatabase, clock: ManualClock, name = `client-${randomUUID().slice(0, 8)}`): Promise<{ clientId: number; apiKey: string }> {
  const { client, apiKey } = await addClient({ clients: new SqliteClientStore(database), clock, name });
  return { clientId: client.id, apiKey };
}

/** The stores the client API and the console read, and the reports' reads, on the test's SQLite database (as app/ builds them). */
export function clientStores(database: AppDatabase): { lists: ListStore; clients: ClientStore } & Pick<ReportServiceDeps, 'reader' | 'listSettings'> {
  return { lists: new SqliteListStore(database), clients: new SqliteClientStore(database), ...reportReads({ reader: sqliteReader(database), config: { defaultTariff: REPORT_TARIFF } }) };
}

/** A report's deps on the test's SQLite database (no signed links unless `linkSecret` is given). */
export function reportDeps(
  database: AppDatabase,
  rest: Pick<ReportServiceDeps, 'clock'> & { config?: Partial<ReportServiceDeps['config']>; linkSecret?: string | undefined },
): ReportServiceDeps {
  const config = { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent', ...rest.config };
  return { ...reportReads({ reader: sqliteReader(database), config }), clock: rest.clock, config, linkSecret: rest.linkSecret };
}

/** Opens the detractor follow-up (case and alert) of every response of a list, as the input webhook would; the case ids. */
export async function openCases(database: AppDatabase, listId: number): Promise<number[]> {
  const rows = database.sqlite.prepare('SELECT id, contact_id AS contactId, call_id AS callId, score, created_at AS at FROM responses WHERE list_id = ? ORDER BY id').all(listId) as {
    id: number;
    contactId: number;
    callId: number;
    score: number;
    at: number;
  }[];
  const ids: number[] = [];
  for (const r of rows) {
    const opened = await sqliteCallUnits(database).run((tx) => openDetractorFollowUp(tx, { responseId: r.id, listId, contactId: r.contactId, callId: r.callId, score: r.score, at: r.at }));
    if (opened) ids.push(opened.caseId);
  }
  return ids;
}
