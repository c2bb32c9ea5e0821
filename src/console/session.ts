import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock/index.js';

/**
 * Console sessions (docs/adr/0011-web-console.md). A signed-in browser holds only a random session
 * id in an HttpOnly, SameSite=Strict cookie; who it is (a client, or the operator), its CSRF token
 * and its expiry stay here, in the memory of the serving process. So a session is ended for good by
 * sign-out, expiry or a restart, and a stolen cookie value is useless once any of those happened.
 * Ids are kept only as SHA-256 digests, so even a heap dump lists no usable cookie.
 */

export type ConsoleIdentity = { kind: 'client'; clientId: number; clientName: string } | { kind: 'operator' };

export interface ConsoleSession {
  identity: ConsoleIdentity;
  /** Sent back in every form and the `X-CSRF-Token` header of a script's request; checked on every POST. */
  csrfToken: string;
  /** Epoch ms (the injected clock) after which the session is gone; each request moves it on. */
  expiresAt: number;
  /** Epoch ms after which the session ends whatever its use: a forgotten open tab is not a key for ever. */
  endsAt: number;
}

export const SESSION_COOKIE = 'nps_console';
/** However active, a session lasts at most this long (clock ms). */
export const MAX_SESSION_MS = 12 * 3600_000;
/** Sessions kept at most; past it the ones closest to expiry go first (a flood of sign-ins cannot exhaust memory). */
const MAX_SESSIONS = 10_000;

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export class SessionStore {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #sessions = new Map<string, ConsoleSession>();

  constructor(options: { clock: Clock; idleMinutes: number }) {
    this.#clock = options.clock;
    this.#idleMs = options.idleMinutes * 60_000;
  }

  /** Starts a session and returns the cookie value (the only copy of the id). */
  create(identity: ConsoleIdentity): { id: string; session: ConsoleSession } {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const session: ConsoleSession = { identity, csrfToken: randomBytes(32).toString('base64url'), expiresAt: now + this.#idleMs, endsAt: now + MAX_SESSION_MS };
    this.#sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, its idle expiry moved on; undefined when unknown or expired. */
  touch(id: string | undefined): ConsoleSession | undefined {
    if (!id || id.length > 100) return undefined;
    const key = digest(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#clock.now();
    if (session.expiresAt <= now || session.endsAt <= now) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.expiresAt = Math.min(now + this.#idleMs, session.endsAt);
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.#sessions.delete(digest(id));
  }

  /** Seconds a fresh cookie should live: the idle time (the browser forgets it when the server would). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.#idleMs / 1000);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [key, s] of this.#sessions) if (s.expiresAt <= now || s.endsAt <= now) this.#sessions.delete(key);
    if (this.#sessions.size < MAX_SESSIONS) return;
    const oldest = [...this.#sessions].sort((a, b) => a[1].expiresAt - b[1].expiresAt).slice(0, this.#sessions.size - MAX_SESSIONS + 1);
    for (const [key] of oldest) this.#sessions.delete(key);
  }
}

/** Constant-time comparison of two secrets given as text. */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header (no library: one name, base64url values). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  return `${SESSION_COOKIE}=${value}; Path=/console; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
