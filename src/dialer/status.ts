import { prepared, type AppDatabase } from '../db/index.js';
import { currentDialer, type LockHolder } from './lock.js';

/**
 * The dialer's state as the database shows it, for the operator view: read-only, a few indexed
 * look-ups, so a dashboard polling it costs the dialing thread next to nothing. What lives only in
 * the dialing process's memory (the pacer's queue, 429s of the current run) is not here; the
 * calls created in the last minute are the pace the provider saw.
 */
export interface DialerStatus {
  at: number;
  /** Who holds the dialer lock (run or serve), and how old its heartbeat is; null when nobody dials. */
  holder: (LockHolder & { heartbeatAgeMs: number }) | null;
  /** Calls not ended, by list. */
  liveCalls: { listId: number; calls: number }[];
  liveCallsTotal: number;
  /** Create requests made in the last 60 s (of the newest RECENT_CALLS calls), per second. */
  createsPerSecond: number;
  accountCps: number | null;
  /** Comment recordings waiting to be downloaded. */
  recordingsPending: number;
  /** Alerts and announcements to clients waiting for their (next) attempt, and those failed for good. */
  deliveriesPending: number;
  deliveriesFailed: number;
  pausedLists: number[];
  /** The latest problems, newest first: failed deliveries' attempts, failed scheduled runs, failed calls. */
  lastErrors: { at: number; what: string; detail: string }[];
}

/** How far back in the calls table the pace is counted: a minute at up to RECENT_CALLS / 60 creates per second. */
const RECENT_CALLS = 60_000;
const ERRORS_SHOWN = 10;

export function dialerStatus(database: AppDatabase, input: { now: number; accountCps?: number | undefined }): DialerStatus {
  const { now } = input;
  const holder = currentDialer(database);
  // Served by calls_state_idx.
  const liveCalls = prepared(database, `SELECT list_id AS listId, count(*) AS calls FROM calls WHERE state <> 'ended' GROUP BY list_id ORDER BY list_id`).all() as { listId: number; calls: number }[];
  const created = prepared(database, `SELECT count(*) AS n FROM (SELECT created_at FROM calls ORDER BY id DESC LIMIT ${RECENT_CALLS}) WHERE created_at > ?`).get(now - 60_000) as { n: number };
  const recordings = prepared(database, `SELECT count(*) AS n FROM responses WHERE comment_status = 'pending'`).get() as { n: number };
  // Served by webhook_deliveries_status_idx.
  const deliveries = prepared(database, `SELECT coalesce(sum(status = 'pending'), 0) AS pending, coalesce(sum(status = 'failed'), 0) AS failed FROM webhook_deliveries WHERE status IN ('pending', 'failed')`).get() as {
    pending: number;
    failed: number;
  };
  const paused = prepared(database, `SELECT id FROM lists WHERE paused_at IS NOT NULL AND state = 'ready' ORDER BY id`).all() as { id: number }[];
  const errors = prepared(
    database,
    `SELECT at, what, detail FROM (
       SELECT a.attempted_at AS at, 'webhook to client ' || coalesce(d.client_id, '-') || ' (' || d.event || ')' AS what,
              coalesce(a.error, 'HTTP ' || a.status_code) AS detail
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE a.error IS NOT NULL OR a.status_code IS NULL OR a.status_code >= 300
        ORDER BY a.id DESC LIMIT ${ERRORS_SHOWN})
     UNION ALL
     SELECT * FROM (SELECT last_ended_at AS at, 'schedule ' || id || ' of list ' || list_id AS what, last_result AS detail
         FROM schedules WHERE last_result LIKE 'error:%' ORDER BY last_ended_at DESC LIMIT ${ERRORS_SHOWN})
     UNION ALL
     SELECT * FROM (SELECT coalesce(ended_at, created_at) AS at, 'call ' || id || ' of list ' || list_id AS what,
              coalesce(provider_status, '') || CASE WHEN provider_detail IS NULL THEN '' ELSE ': ' || provider_detail END AS detail
         FROM (SELECT * FROM calls ORDER BY id DESC LIMIT 5000) WHERE outcome IN ('failed', 'lost') ORDER BY id DESC LIMIT ${ERRORS_SHOWN})
     ORDER BY at DESC LIMIT ${ERRORS_SHOWN}`,
  ).all() as { at: number; what: string; detail: string }[];
  return {
    at: now,
    holder: holder ? { ...holder, heartbeatAgeMs: Math.max(0, now - holder.heartbeatAt) } : null,
    liveCalls,
    liveCallsTotal: liveCalls.reduce((sum, l) => sum + l.calls, 0),
    createsPerSecond: created.n / 60,
    accountCps: input.accountCps ?? null,
    recordingsPending: recordings.n,
    deliveriesPending: deliveries.pending,
    deliveriesFailed: deliveries.failed,
    pausedLists: paused.map((p) => p.id),
    lastErrors: errors,
  };
}
