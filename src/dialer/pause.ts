import type { Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
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
export function pauseList(deps: { database: AppDatabase; clock: Clock }, input: { listId: number }): PauseResult {
  const changed = prepared(deps.database, `UPDATE lists SET paused_at = ? WHERE id = ? AND state = 'ready' AND paused_at IS NULL`).run(deps.clock.now(), input.listId).changes === 1;
  return { listId: input.listId, pausedAt: pausedAt(deps.database, input.listId), changed };
}

export function resumeList(deps: { database: AppDatabase }, input: { listId: number }): PauseResult {
  const changed = prepared(deps.database, `UPDATE lists SET paused_at = NULL WHERE id = ? AND state = 'ready' AND paused_at IS NOT NULL`).run(input.listId).changes === 1;
  return { listId: input.listId, pausedAt: pausedAt(deps.database, input.listId), changed };
}

function pausedAt(database: AppDatabase, listId: number): number | null {
  const row = prepared(database, `SELECT paused_at AS pausedAt FROM lists WHERE id = ? AND state = 'ready'`).get(listId) as { pausedAt: number | null } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `list ${listId} does not exist; see \`nps-dialer lists\``);
  return row.pausedAt;
}
