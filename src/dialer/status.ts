import type { SqlReader } from '../db/index.js';
import type { LockHolder } from './lock.js';

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

export async function dialerStatus(reader: SqlReader, input: { now: number; accountCps?: number | undefined }): Promise<DialerStatus> {
  const { now } = input;
  // One snapshot, so that the figures agree with each other while the dialer writes.
  return reader.snapshot(async (r) => {
    const holder = await lockHolder(r);
    // Served by calls_state_idx.
    const liveCalls = await r.all<{ listId: number; calls: number }>(`SELECT list_id AS "listId", count(*) AS calls FROM calls WHERE state <> 'ended' GROUP BY list_id ORDER BY list_id`);
    const created = (await r.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT created_at FROM calls ORDER BY id DESC LIMIT ${RECENT_CALLS}) recent WHERE created_at > ?`, [now - 60_000]))!;
    const recordings = (await r.get<{ n: number }>(`SELECT count(*) AS n FROM responses WHERE comment_status = 'pending'`))!;
    // Served by webhook_deliveries_status_idx.
    const deliveries = (await r.get<{ pending: number; failed: number }>(
      `SELECT coalesce(sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, coalesce(sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed
       FROM webhook_deliveries WHERE status IN ('pending', 'failed')`,
    ))!;
    const paused = await r.all<{ id: number }>(`SELECT id FROM lists WHERE paused_at IS NOT NULL AND state = 'ready' ORDER BY id`);
    const errors = await r.all<{ at: number; what: string; detail: string }>(
      `SELECT at, what, detail FROM (
         SELECT a.attempted_at AS at, 'webhook to client ' || coalesce(CAST(d.client_id AS text), '-') || ' (' || d.event || ')' AS what,
                coalesce(a.error, 'HTTP ' || a.status_code) AS detail
           FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE a.error IS NOT NULL OR a.status_code IS NULL OR a.status_code >= 300
          ORDER BY a.id DESC LIMIT ${ERRORS_SHOWN}) failed_attempts
       UNION ALL
       SELECT * FROM (SELECT last_ended_at AS at, 'schedule ' || id || ' of list ' || list_id AS what, last_result AS detail
           FROM schedules WHERE last_result LIKE 'error:%' ORDER BY last_ended_at DESC LIMIT ${ERRORS_SHOWN}) failed_runs
       UNION ALL
       SELECT * FROM (SELECT coalesce(ended_at, created_at) AS at, 'call ' || id || ' of list ' || list_id AS what,
                coalesce(provider_status, '') || CASE WHEN provider_detail IS NULL THEN '' ELSE ': ' || provider_detail END AS detail
           FROM (SELECT * FROM calls ORDER BY id DESC LIMIT 5000) recent WHERE outcome IN ('failed', 'lost') ORDER BY id DESC LIMIT ${ERRORS_SHOWN}) failed_calls
       ORDER BY at DESC LIMIT ${ERRORS_SHOWN}`,
    );
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
  });
}

/** Who holds the dialer lock (dialer/lock.ts), as the read models read it; null when nobody dials. */
async function lockHolder(reader: SqlReader): Promise<LockHolder | null> {
  // A read-only command does not migrate: a SQLite database last written by an older version has no table.
  if (reader.dialect === 'sqlite' && !(await reader.get(`SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'dialer_lock'`))) return null;
  const row = await reader.get<LockHolder>(`SELECT pid, host, command, acquired_at AS "acquiredAt", heartbeat_at AS "heartbeatAt" FROM dialer_lock WHERE id = 1`);
  return row ?? null;
}
