import { createHash, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** How old (and how far ahead of our clock) a callback token's `iat` may be. */
export interface CallbackTokenWindow {
  /** A token issued longer ago than this is refused (WEBHOOK_TOKEN_MAX_AGE_SECONDS). */
  maxAgeSeconds: number;
  /**
   * A token issued up to this far in our future is still taken, and `exp`/`nbf` get the same
   * tolerance (WEBHOOK_CLOCK_SKEW_SECONDS): Vonage's clock and ours never agree exactly.
   */
  clockSkewSeconds: number;
}

export const DEFAULT_CALLBACK_TOKEN_WINDOW: CallbackTokenWindow = { maxAgeSeconds: 300, clockSkewSeconds: 60 };

/** The claims of a verified token that bind it to one request. */
export interface CallbackToken {
  jti: string;
  issuedAtMs: number;
  /** sha256 hex of the body it was issued for (the empty body's for a bodiless request). */
  payloadHash: string;
}

export type SignatureCheck = { ok: true; token: CallbackToken } | { ok: false; reason: string };

const keys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * Verifies a signed Vonage callback: `Authorization: Bearer <HS256 JWT>` signed with the account
 * signature secret, whose `payload_hash` claim is the sha256 of the raw body, issued (`iat`) within
 * the window around `nowMs`, with a `jti` the caller checks for reuse (docs/adr/0003).
 *
 * This is what @vonage/jwt's verifySignature does (jsonwebtoken, signature plus exp/nbf), with
 * these differences: only HS256 is accepted, the secret is a cached KeyObject, and the claims that
 * bind a token to one request are required. verifySignature also allows RS256, so jsonwebtoken
 * first tries to read the secret as a public key and fails — on every callback; that was 15 % of
 * the dialer's CPU (docs/performance.md). The sandbox's tests verify its callbacks with
 * verifySignature itself, so both agree on the format.
 */
export function verifyCallbackSignature(input: {
  authorization: string | undefined;
  rawBody: Buffer | undefined;
  secret: string;
  nowMs: number;
  window: CallbackTokenWindow;
}): SignatureCheck {
  const match = /^Bearer\s+(\S+)$/i.exec(input.authorization ?? '');
  if (!match) return { ok: false, reason: 'missing Bearer token' };
  const nowSeconds = Math.floor(input.nowMs / 1000);
  let claims: jwt.JwtPayload;
  try {
    // exp and nbf (Vonage sends neither) are checked against our clock, with the skew allowance.
    const verified = jwt.verify(match[1]!, secretKey(input.secret), { algorithms: ['HS256'], clockTimestamp: nowSeconds, clockTolerance: input.window.clockSkewSeconds });
    if (typeof verified === 'string') return { ok: false, reason: 'token has no claims' };
    claims = verified;
  } catch {
    return { ok: false, reason: 'signature does not verify' };
  }
  if (typeof claims.jti !== 'string' || claims.jti.length === 0) return { ok: false, reason: 'token has no jti' };
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return { ok: false, reason: 'token has no iat' };
  const ageSeconds = nowSeconds - claims.iat;
  if (ageSeconds > input.window.maxAgeSeconds) return { ok: false, reason: `token issued ${ageSeconds} s ago, more than the ${input.window.maxAgeSeconds} s allowed` };
  if (-ageSeconds > input.window.clockSkewSeconds) return { ok: false, reason: `token issued ${-ageSeconds} s in the future, more than the ${input.window.clockSkewSeconds} s of clock skew allowed` };
  // Every request must carry the hash of what it carries, a bodiless one the empty body's: a
  // token is then only good for the body it was issued for, including "no body".
  if (typeof claims.payload_hash !== 'string') return { ok: false, reason: 'token has no payload_hash' };
  const expected = Buffer.from(claims.payload_hash);
  const actual = Buffer.from(createHash('sha256').update(input.rawBody ?? EMPTY_BODY).digest('hex'));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'payload_hash does not match the body' };
  return { ok: true, token: { jti: claims.jti, issuedAtMs: claims.iat * 1000, payloadHash: claims.payload_hash } };
}
