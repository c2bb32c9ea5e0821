import type { Clock } from '../clock/index.js';
import type { ListStore } from '../contacts/index.js';
import { AppError } from '../errors/index.js';

export interface PauseResult {
  listId: number;
  /** When the list was paused; null once resumed. */
  pausedAt: number | null;
  /** False when the list already was in that state (a repeat changes nothing). */
  changed: boolean;
}

/**
 * Pauses a list: every run of it (`run`, a schedule, the triggered dialer) starts no new call until
 * it is resumed; calls in progress finish. A conditional update, so a repeat keeps the first time.
 * A run in another process sees it at its next turn (at most its sleep bound: 60 s, 5 s for a
 * triggered list); the caller in the dialing process wakes its runs at once (CallSignals).
 */
export async function pauseList(deps: { lists: ListStore; clock: Clock }, input: { listId: number }): Promise<PauseResult> {
  return paused(input.listId, await deps.lists.setPaused(input.listId, deps.clock.now()));
}

export async function resumeList(deps: { lists: ListStore }, input: { listId: number }): Promise<PauseResult> {
  return paused(input.listId, await deps.lists.setPaused(input.listId, null));
}

function paused(listId: number, state: { changed: boolean; pausedAt: number | null } | undefined): PauseResult {
  if (!state) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
  return { listId, pausedAt: state.pausedAt, changed: state.changed };
}
