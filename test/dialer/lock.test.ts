import { describe, expect, it } from '@jest/globals';
import { acquireDialerLock, currentDialer, type AcquireDialerLockOptions } from '../../src/dialer/index.js';
import { AppError } from '../../src/errors/index.js';
import { testEnv, type TestEnv } from '../support/factories.js';

const alive = () => true;
/** Lets every promise continuation run (the heartbeat's refresh after a wake-up). */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const dead = () => false;

function acquire(env: TestEnv, options: Partial<AcquireDialerLockOptions> = {}) {
  return acquireDialerLock({ database: env.database, clock: env.clock, logger: env.logger, command: 'run 1', host: 'host-a', pid: 1001, isProcessAlive: alive, ...options });
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the lock to be refused');
}

describe('one dialer per database', () => {
  it('refuses a second dialer with LOCKED, naming the holder: pid, host, command and since when', () => {
    const env = testEnv();
    acquire(env, { command: 'serve' });
    env.clock.advance(5_000);
    const error = refusal(() => acquire(env, { pid: 2002, command: 'run 7' }));
    expect(error.code).toBe('LOCKED');
    expect(error.userMessage).toContain('pid 1001 on host-a, `nps-dialer serve`, since 2026-01-05T10:00:00Z');
    expect(error.details).toEqual({ holder: { pid: 1001, host: 'host-a', command: 'serve', since: '2026-01-05T10:00:00Z', heartbeatAt: '2026-01-05T10:00:00.000Z' } });
    expect(currentDialer(env.database)).toMatchObject({ pid: 1001, command: 'serve' });
  });

  it('takes over at once from a process on this host that is gone (kill -9)', () => {
    const env = testEnv();
    acquire(env, { pid: 1001 });
    const next = acquire(env, { pid: 2002, isProcessAlive: dead, command: 'run 2' });
    expect(next.holder.pid).toBe(2002);
    expect(currentDialer(env.database)).toMatchObject({ pid: 2002, host: 'host-a', command: 'run 2' });
  });

  it('takes over a row that carries our own pid (a restarted container reuses it)', () => {
    const env = testEnv();
    acquire(env, { pid: 1 });
    expect(acquire(env, { pid: 1, command: 'serve' }).holder.command).toBe('serve');
  });

  it("does not take over another host's live holder until its heartbeat is a minute old", () => {
    const env = testEnv();
    acquire(env, { host: 'host-b', pid: 1001 });
    env.clock.advance(60_000);
    expect(refusal(() => acquire(env, { pid: 2002 })).code).toBe('LOCKED');
    env.clock.advance(1);
    expect(acquire(env, { pid: 2002 }).holder.pid).toBe(2002);
  });

  it('keeps the lock while the heartbeat runs, and lets the holder know when it was taken over', async () => {
    const env = testEnv();
    const lock = acquire(env, { heartbeatMs: 10_000, staleMs: 60_000 });
    lock.startHeartbeat();
    for (let i = 0; i < 12; i++) {
      env.clock.advance(10_000);
      await settle();
    }
    // Two minutes later the heartbeat is fresh: nobody may take over.
    expect(refusal(() => acquire(env, { pid: 2002, host: 'host-b' })).code).toBe('LOCKED');
    expect(lock.lost.aborted).toBe(false);

    // A stalled holder (here: its row's heartbeat pushed into the past) loses the row to another host…
    env.database.sqlite.prepare('UPDATE dialer_lock SET heartbeat_at = heartbeat_at - 120000').run();
    acquire(env, { pid: 2002, host: 'host-b' });
    // …and learns it at its next beat, so it stops starting calls.
    env.clock.advance(10_000);
    await settle();
    expect(lock.lost.aborted).toBe(true);
    await lock.release();
    expect(currentDialer(env.database)).toMatchObject({ pid: 2002, host: 'host-b' });
  });

  it('frees the database on release, for the next dialer', async () => {
    const env = testEnv();
    const lock = acquire(env);
    await lock.release();
    expect(currentDialer(env.database)).toBeNull();
    expect(acquire(env, { pid: 2002 }).holder.pid).toBe(2002);
  });
});
