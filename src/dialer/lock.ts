import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CANCELLED, type Clock } from '../clock/index.js';
import { prepared, type AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

/** Who dials from a database, as stored in its `dialer_lock` row. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  acquiredAt: number;
  heartbeatAt: number;
}

export interface AcquireDialerLockOptions {
  database: AppDatabase;
  clock: Clock;
  logger: Logger;
  /** What this process runs, e.g. `run 5` or `serve`; shown to the process that is refused. */
  command: string;
  /** How often the holder refreshes its heartbeat, in clock ms. */
  heartbeatMs?: number;
  /**
   * A heartbeat older than this (clock ms) is a dead holder on any host, whatever its pid says: the
   * fallback for another host's process and for a pid reused by an unrelated process.
   */
  staleMs?: number;
  /** Defaults to this process; tests pass others. */
  pid?: number;
  host?: string;
  /** Whether a pid on this host is alive; injectable for tests. */
  isProcessAlive?: (pid: number) => boolean;
}

export const DEFAULT_LOCK_HEARTBEAT_MS = 10_000;
export const DEFAULT_LOCK_STALE_MS = 60_000;

const LOCK_ID = 1;
const HOLDER_COLUMNS = 'token, pid, host, command, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt';

/**
 * The one dialer of a database, held from acquisition until `release()`. Every claim and refresh is
 * a conditional statement on the row's token, so two processes racing for the row cannot both win
 * (SQLite serialises writers) and a holder notices when another process took the row over: its
 * `lost` signal fires, and whoever dials with it must stop starting calls.
 */
export class DialerLock {
  readonly #database: AppDatabase;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #token: string;
  readonly #heartbeatMs: number;
  readonly #lost = new AbortController();
  readonly #stopped = new AbortController();
  #heartbeat: Promise<void> | undefined;
  readonly holder: LockHolder;

  /** Use acquireDialerLock. */
  constructor(options: { database: AppDatabase; clock: Clock; logger: Logger; token: string; heartbeatMs: number; holder: LockHolder }) {
    this.#database = options.database;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#token = options.token;
    this.#heartbeatMs = options.heartbeatMs;
    this.holder = options.holder;
  }

  /** Fires when the row was taken over (our heartbeat stalled beyond the stale limit). */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  startHeartbeat(): void {
    this.#heartbeat ??= this.#beat();
  }

  /** Refreshes the heartbeat now; false (and `lost` fires) when the row is no longer ours. */
  refresh(): boolean {
    const changed = prepared(this.#database, 'UPDATE dialer_lock SET heartbeat_at = ? WHERE id = ? AND token = ?').run(this.#clock.now(), LOCK_ID, this.#token).changes;
    if (changed === 0 && !this.#lost.signal.aborted) {
      this.#logger.error('the dialer lock was taken over by another process; no new calls will start');
      this.#lost.abort(new AppError('LOCKED', 'another dialer took over the database lock'));
    }
    return changed === 1;
  }

  /** Gives the row up (only if it is still ours) and stops the heartbeat. */
  async release(): Promise<void> {
    this.#stopped.abort(CANCELLED);
    await this.#heartbeat;
    prepared(this.#database, 'DELETE FROM dialer_lock WHERE id = ? AND token = ?').run(LOCK_ID, this.#token);
  }

  async #beat(): Promise<void> {
    for (;;) {
      try {
        await this.#clock.sleep(this.#heartbeatMs, this.#stopped.signal);
      } catch {
        return;
      }
      if (!this.refresh()) return;
    }
  }
}

/**
 * Claims the database for this dialer or throws LOCKED naming the holder. A row left by a process
 * that died (kill -9, a crash, a power cut) is taken over: at once when its pid is gone on this
 * host (or is our own pid, as after a container restart), otherwise once its heartbeat is older
 * than `staleMs`.
 */
export function acquireDialerLock(options: AcquireDialerLockOptions): DialerLock {
  const { database, clock } = options;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_LOCK_HEARTBEAT_MS;
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const pid = options.pid ?? process.pid;
  const host = options.host ?? hostname();
  const alive = options.isProcessAlive ?? isProcessAlive;
  const token = randomBytes(16).toString('hex');
  const now = clock.now();
  const holder: LockHolder = { pid, host, command: options.command, acquiredAt: now, heartbeatAt: now };
  const claim = () =>
    prepared(database, 'INSERT INTO dialer_lock (id, token, pid, host, command, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
      .run(LOCK_ID, token, pid, host, options.command, now, now).changes === 1;

  // Claim and takeover in one write transaction: nobody can change the row between our look and
  // our update (BEGIN IMMEDIATE takes the write lock first).
  const won = database.sqlite
    .transaction(() => {
      if (claim()) return { ok: true as const };
      const current = prepared(database, `SELECT ${HOLDER_COLUMNS} FROM dialer_lock WHERE id = ?`).get(LOCK_ID) as (LockHolder & { token: string }) | undefined;
      if (!current) return { ok: claim() } as const;
      const reason = takeoverReason(current, { pid, host, now, staleMs, alive });
      if (!reason) return { ok: false as const, current };
      prepared(database, 'UPDATE dialer_lock SET token = ?, pid = ?, host = ?, command = ?, acquired_at = ?, heartbeat_at = ? WHERE id = ? AND token = ?')
        .run(token, pid, host, options.command, now, now, LOCK_ID, current.token);
      options.logger.warn('took over the dialer lock of a process that is gone', { previousPid: current.pid, previousHost: current.host, reason });
      return { ok: true as const };
    })
    .immediate();
  if (!won.ok) {
    const current = 'current' in won ? won.current : undefined;
    throw lockedError(current, now);
  }
  return new DialerLock({ database, clock, logger: options.logger, token, heartbeatMs, holder });
}

function takeoverReason(
  current: LockHolder,
  me: { pid: number; host: string; now: number; staleMs: number; alive: (pid: number) => boolean },
): string | undefined {
  if (current.host === me.host && current.pid === me.pid) return 'the row carries our own pid: left by an earlier process with the same pid';
  if (current.host === me.host && !me.alive(current.pid)) return `process ${current.pid} is gone`;
  if (me.now - current.heartbeatAt > me.staleMs) return `no heartbeat for ${Math.round((me.now - current.heartbeatAt) / 1000)} s`;
  return undefined;
}

function lockedError(current: LockHolder | undefined, now: number): AppError {
  if (!current) return new AppError('LOCKED', 'another dialer is claiming this database right now; try again', { retryable: true });
  const since = new Date(current.acquiredAt).toISOString().replace(/\.\d+Z$/, 'Z');
  const beat = Math.max(0, Math.round((now - current.heartbeatAt) / 1000));
  return new AppError(
    'LOCKED',
    `another dialer is using this database: pid ${current.pid} on ${current.host}, \`nps-dialer ${current.command}\`, since ${since} ` +
      `(last heartbeat ${beat} s ago). Stop it first (SIGTERM lets its live calls finish); read-only commands such as lists, report and lists plan work meanwhile.`,
    { details: { holder: { pid: current.pid, host: current.host, command: current.command, since, heartbeatAt: new Date(current.heartbeatAt).toISOString() } }, retryable: true },
  );
}

/** The current holder, for read-only commands that want to show it; null when nobody dials. */
export function currentDialer(database: AppDatabase): LockHolder | null {
  // A read-only command does not migrate: a database last written by an older version has no table.
  const exists = database.sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dialer_lock'`).get();
  if (!exists) return null;
  const row = database.sqlite.prepare(`SELECT ${HOLDER_COLUMNS} FROM dialer_lock WHERE id = ?`).get(LOCK_ID) as (LockHolder & { token: string }) | undefined;
  if (!row) return null;
  const { token: _token, ...holder } = row;
  return holder;
}

/** Signal 0 checks existence only; EPERM means it exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
