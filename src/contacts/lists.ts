import type { Clock } from '../clock/index.js';
import type { AppDatabase } from '../db/index.js';
import { CONTACT_STATUSES, type ContactStatus } from '../db/schema/index.js';
import { AppError } from '../errors/index.js';
import { FollowUpSettings } from '../followup/index.js';
import { canonicalTimeZone } from './columns.js';
import { DialingPolicy, parseJsonColumn, SurveyScript } from './settings.js';

export interface ListOverview {
  id: number;
  name: string;
  clientId: number | null;
  clientName: string | null;
  previousListId: number | null;
  createdAt: number;
  contacts: number;
  byStatus: Record<ContactStatus, number>;
  /** Every contact is in a final state. */
  final: boolean;
}

export interface ListDetails extends ListOverview {
  sourceFile: string | null;
  defaultCountry: string | null;
  defaultTimezone: string | null;
  script: SurveyScript;
  policy: DialingPolicy;
  /** Triggered surveys may be added (POST /api/v1/surveys); `serve` dials the list continuously. */
  acceptsTriggers: boolean;
  followUp: FollowUpSettings;
  attributes: string[];
  nextAttemptAt: number | null;
}

const emptyCounts = (): Record<ContactStatus, number> =>
  Object.fromEntries(CONTACT_STATUSES.map((s) => [s, 0])) as Record<ContactStatus, number>;

interface ListRow {
  id: number;
  name: string;
  clientId: number | null;
  clientName: string | null;
  previousListId: number | null;
  createdAt: number;
}

const LIST_COLUMNS = `l.id, l.name, l.client_id AS clientId, c.name AS clientName, l.previous_list_id AS previousListId, l.created_at AS createdAt`;

function overview(database: AppDatabase, row: ListRow): ListOverview {
  const byStatus = emptyCounts();
  const counts = database.sqlite
    .prepare('SELECT status, count(*) AS n FROM contacts WHERE list_id = ? GROUP BY status')
    .all(row.id) as { status: ContactStatus; n: number }[];
  let contacts = 0;
  for (const { status, n } of counts) {
    byStatus[status] = n;
    contacts += n;
  }
  const open = byStatus.pending + byStatus.dialing;
  return { ...row, contacts, byStatus, final: contacts > 0 && open === 0 };
}

/**
 * Removes lists whose import was killed before it finished (state `importing`, importer process
 * gone). They were never visible; this gives their rows back.
 */
export function removeAbandonedImports(database: AppDatabase): number {
  const stale = database.sqlite.prepare(`SELECT id, import_pid AS pid FROM lists WHERE state = 'importing'`).all() as { id: number; pid: number | null }[];
  let removed = 0;
  for (const { id, pid } of stale) {
    if (pid !== null && processAlive(pid)) continue;
    removed += discardImportingList(database, id);
  }
  return removed;
}

/**
 * Deletes a list whose import did not finish (never visible) and gives its id back when no later
 * list took one, so that a failed import does not leave a gap in the operator's list numbers.
 * Returns 1 when it was deleted.
 */
export function discardImportingList(database: AppDatabase, listId: number): number {
  return database.sqlite
    .transaction(() => {
      const removed = database.sqlite.prepare(`DELETE FROM lists WHERE id = ? AND state = 'importing'`).run(listId).changes;
      // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence; rewind it only past this list.
      if (removed === 1) database.sqlite.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'lists' AND seq = ?`).run(listId - 1, listId);
      return removed;
    })
    .immediate();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every list, newest first, with its contacts counted by status. */
export function listLists(options: { database: AppDatabase; clientId?: number }): ListOverview[] {
  const rows = options.database.sqlite
    .prepare(
      `SELECT ${LIST_COLUMNS} FROM lists l LEFT JOIN clients c ON c.id = l.client_id
       WHERE l.state = 'ready' AND (? IS NULL OR l.client_id = ?) ORDER BY l.id DESC`,
    )
    .all(options.clientId ?? null, options.clientId ?? null) as ListRow[];
  return rows.map((row) => overview(options.database, row));
}

export function getList(options: { database: AppDatabase; listId: number }): ListDetails {
  const { sqlite } = options.database;
  const row = sqlite
    .prepare(
      `SELECT ${LIST_COLUMNS}, l.source_file AS sourceFile, l.default_country AS defaultCountry,
              l.default_timezone AS defaultTimezone, l.script, l.policy, l.accepts_triggers AS acceptsTriggers, l.follow_up AS followUp
       FROM lists l LEFT JOIN clients c ON c.id = l.client_id WHERE l.id = ? AND l.state = 'ready'`,
    )
    .get(options.listId) as
    | (ListRow & { sourceFile: string | null; defaultCountry: string | null; defaultTimezone: string | null; script: string; policy: string; acceptsTriggers: number; followUp: string })
    | undefined;
  if (!row) throw new AppError('NOT_FOUND', `list ${options.listId} does not exist; see \`nps-dialer lists\``);
  const { script, policy, sourceFile, defaultCountry, defaultTimezone, acceptsTriggers, followUp, ...base } = row;
  const attributes = (
    sqlite
      .prepare(`SELECT DISTINCT j.key AS key FROM contacts, json_each(contacts.attributes) j WHERE contacts.list_id = ? ORDER BY j.key`)
      .all(options.listId) as { key: string }[]
  ).map((r) => r.key);
  const next = sqlite
    .prepare(`SELECT min(next_attempt_at) AS at FROM contacts WHERE list_id = ? AND status = 'pending'`)
    .get(options.listId) as { at: number | null };
  return {
    ...overview(options.database, base),
    sourceFile,
    defaultCountry,
    defaultTimezone,
    script: parseJsonColumn(SurveyScript, script, 'survey script'),
    policy: parseJsonColumn(DialingPolicy, policy, 'dialing policy'),
    acceptsTriggers: acceptsTriggers === 1,
    followUp: parseJsonColumn(FollowUpSettings, followUp, 'follow-up settings'),
    attributes,
    nextAttemptAt: next.at,
  };
}


export interface ListSettingsPatch {
  /** `reasons` is merged into the stored one: `--reasons off` keeps a list's own choices for later. */
  script?: Partial<Omit<SurveyScript, 'reasons'>> & { reasons?: Partial<NonNullable<SurveyScript['reasons']>> | undefined };
  policy?: Partial<DialingPolicy>;
  acceptsTriggers?: boolean | undefined;
  followUp?: Partial<FollowUpSettings>;
}

/**
 * Saves new script and policy values into a list (unset keys keep their stored value). `run`
 * saves its flags this way, so webhooks, restarts and schedules all use the same settings.
 * A list takes triggered surveys or runs on schedules, not both: `serve` dials a triggered list
 * continuously, and a schedule's window would stop it.
 */
export function updateListSettings(options: { database: AppDatabase; listId: number; patch: ListSettingsPatch }): ListDetails {
  const current = getList({ database: options.database, listId: options.listId });
  const reasonsPatch = definedOnly(options.patch.script?.reasons ?? {});
  // New choices come with their own question (or the built-in one): an old question may not fit them.
  const newChoices = reasonsPatch.choices !== undefined ? { question: reasonsPatch.question } : {};
  const reasons = Object.keys(reasonsPatch).length > 0 ? { enabled: false, ...current.script.reasons, ...reasonsPatch, ...newChoices } : current.script.reasons;
  const script = SurveyScript.parse({ ...current.script, ...definedOnly(options.patch.script ?? {}), reasons });
  const policy = DialingPolicy.parse({ ...current.policy, ...definedOnly(options.patch.policy ?? {}) });
  const followUp = FollowUpSettings.parse({ ...current.followUp, ...definedOnly(options.patch.followUp ?? {}) });
  const acceptsTriggers = options.patch.acceptsTriggers ?? current.acceptsTriggers;
  const { sqlite } = options.database;
  if (acceptsTriggers && !current.acceptsTriggers && sqlite.prepare(`SELECT 1 FROM schedules WHERE list_id = ? AND status = 'active'`).get(options.listId)) {
    throw new AppError('CONFLICT', `list ${options.listId} has active schedules; a list that accepts triggers is dialled continuously by serve. Remove them first (\`nps-dialer schedule list\`)`);
  }
  sqlite
    .prepare('UPDATE lists SET script = ?, policy = ?, follow_up = ?, accepts_triggers = ? WHERE id = ?')
    .run(JSON.stringify(script), JSON.stringify(policy), JSON.stringify(followUp), acceptsTriggers ? 1 : 0, options.listId);
  return getList({ database: options.database, listId: options.listId });
}

export interface CreateListInput {
  name: string;
  clientId?: number | undefined;
  /** ISO alpha-2 for numbers given in national format. */
  country?: string | undefined;
  /** IANA zone for callees of multi-zone countries without their own. */
  timezone?: string | undefined;
  script?: Partial<SurveyScript>;
  acceptsTriggers?: boolean | undefined;
}

/**
 * Creates an empty list (`lists create`): the home of triggered surveys, whose contacts arrive one
 * by one through POST /api/v1/surveys or `surveys trigger` rather than from a file.
 */
export function createList(options: { database: AppDatabase; clock: Clock; input: CreateListInput }): ListDetails {
  const { sqlite } = options.database;
  const input = options.input;
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AppError('USAGE', `--name must be 1 to 200 characters, got ${name.length}`);
  if (input.clientId !== undefined && !sqlite.prepare('SELECT 1 FROM clients WHERE id = ?').get(input.clientId)) {
    throw new AppError('NOT_FOUND', `client ${input.clientId} does not exist; see \`nps-dialer clients list\``);
  }
  const timezone = input.timezone === undefined ? null : canonicalTimeZone(input.timezone);
  if (input.timezone !== undefined && !timezone) throw new AppError('USAGE', `--timezone '${input.timezone}' is not an IANA time zone; use a name such as Europe/Moscow`);
  const script = SurveyScript.parse(definedOnly(input.script ?? {}));
  const listId = sqlite.transaction(() => {
    const existing = sqlite.prepare('SELECT id FROM lists WHERE name = ? AND client_id IS ?').get(name, input.clientId ?? null) as { id: number } | undefined;
    if (existing) throw new AppError('CONFLICT', `a list named "${name}" already exists${input.clientId !== undefined ? ` for client ${input.clientId}` : ''} (list ${existing.id}); choose another --name`);
    return (
      sqlite
        .prepare(
          `INSERT INTO lists (client_id, name, default_country, default_timezone, script, policy, accepts_triggers, follow_up, state, created_at)
           VALUES (?, ?, ?, ?, ?, '{}', ?, '{}', 'ready', ?) RETURNING id`,
        )
        .get(input.clientId ?? null, name, input.country ?? null, timezone, JSON.stringify(script), input.acceptsTriggers ? 1 : 0, options.clock.now()) as { id: number }
    ).id;
  }).immediate();
  return getList({ database: options.database, listId });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
