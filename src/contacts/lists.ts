import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { FollowUpSettings } from '../followup/index.js';
import { canonicalTimeZone } from './columns.js';
import type { ListDetails, ListOverview, ListSettingsValues, ListStore, SaveSettingsOutcome } from './list-store.js';
import { DialingPolicy, SurveyScript } from './settings.js';

const notFound = (listId: number) => new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);

/**
 * Removes lists whose import was killed before it finished (state `importing`, importer process
 * gone). They were never visible; this gives their rows back.
 */
export async function removeAbandonedImports(lists: ListStore): Promise<number> {
  let removed = 0;
  for (const { listId, pid } of await lists.importing()) {
    if (pid !== null && processAlive(pid)) continue;
    if (await lists.discardImporting(listId)) removed++;
  }
  return removed;
}

/** Whether a process of this machine with that pid runs (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every list, newest first, with its contacts counted by status. */
export function listLists(options: { lists: ListStore; clientId?: number | undefined }): Promise<ListOverview[]> {
  return options.lists.all({ clientId: options.clientId });
}

/** One list with its settings and its contacts counted by status (`lists show`); NOT_FOUND when there is no such ready list. */
export async function showList(options: { lists: ListStore; listId: number }): Promise<ListDetails> {
  const list = await options.lists.get(options.listId);
  if (!list) throw notFound(options.listId);
  return list;
}

export interface ListSettingsPatch {
  /** `reasons` is merged into the stored one: `--reasons off` keeps a list's own choices for later. */
  script?: Partial<Omit<SurveyScript, 'reasons'>> & { reasons?: Partial<NonNullable<SurveyScript['reasons']>> | undefined };
  policy?: Partial<DialingPolicy>;
  acceptsTriggers?: boolean | undefined;
  followUp?: Partial<FollowUpSettings>;
}

/** The list's settings with `patch` merged in (unset keys keep their stored value), validated. */
function mergeSettings(current: ListDetails, patch: ListSettingsPatch): ListSettingsValues {
  const reasonsPatch = definedOnly(patch.script?.reasons ?? {});
  // New choices come with their own question (or the built-in one): an old question may not fit them.
  const newChoices = reasonsPatch.choices !== undefined ? { question: reasonsPatch.question } : {};
  const reasons = Object.keys(reasonsPatch).length > 0 ? { enabled: false, ...current.script.reasons, ...reasonsPatch, ...newChoices } : current.script.reasons;
  return {
    script: SurveyScript.parse({ ...current.script, ...definedOnly(patch.script ?? {}), reasons }),
    policy: DialingPolicy.parse({ ...current.policy, ...definedOnly(patch.policy ?? {}) }),
    followUp: FollowUpSettings.parse({ ...current.followUp, ...definedOnly(patch.followUp ?? {}) }),
    acceptsTriggers: patch.acceptsTriggers ?? current.acceptsTriggers,
  };
}

/** A list starting to take triggers must have no active schedule: their window would stop `serve`'s continuous dialing. */
const startsTakingTriggers = (current: ListDetails, next: ListSettingsValues) => next.acceptsTriggers && !current.acceptsTriggers;

function settingsSaved(listId: number, outcome: SaveSettingsOutcome): void {
  if (outcome === 'scheduled') {
    throw new AppError('CONFLICT', `list ${listId} has active schedules; a list that accepts triggers is dialled continuously by serve. Remove them first (\`nps-dialer schedule list\`)`);
  }
  if (outcome === 'missing') throw notFound(listId);
}

/**
 * Saves new script and policy values into a list (unset keys keep their stored value). `run`
 * saves its flags this way, so webhooks, restarts and schedules all use the same settings.
 * A list takes triggered surveys or runs on schedules, not both: `serve` dials a triggered list
 * continuously, and a schedule's window would stop it.
 */
export async function changeListSettings(options: { lists: ListStore; listId: number; patch: ListSettingsPatch }): Promise<ListDetails> {
  const { lists, listId } = options;
  const current = await showList({ lists, listId });
  const next = mergeSettings(current, options.patch);
  settingsSaved(listId, await lists.saveSettings(listId, next, { refuseIfScheduled: startsTakingTriggers(current, next) }));
  return showList({ lists, listId });
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
export async function createList(options: { lists: ListStore; clock: Clock; input: CreateListInput }): Promise<ListDetails> {
  const { lists, input } = options;
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AppError('USAGE', `--name must be 1 to 200 characters, got ${name.length}`);
  const timezone = input.timezone === undefined ? null : canonicalTimeZone(input.timezone);
  if (input.timezone !== undefined && !timezone) throw new AppError('USAGE', `--timezone '${input.timezone}' is not an IANA time zone; use a name such as Europe/Moscow`);
  const script = SurveyScript.parse(definedOnly(input.script ?? {}));
  const clientId = input.clientId ?? null;
  const created = await lists.create({
    name,
    clientId,
    defaultCountry: input.country ?? null,
    defaultTimezone: timezone,
    script,
    acceptsTriggers: input.acceptsTriggers ?? false,
    createdAt: options.clock.now(),
  });
  if (created.kind === 'unknown-client') throw new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);
  if (created.kind === 'name-taken') {
    throw new AppError('CONFLICT', `a list named "${name}" already exists${input.clientId !== undefined ? ` for client ${input.clientId}` : ''} (list ${created.listId}); choose another --name`);
  }
  return showList({ lists, listId: created.listId });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
