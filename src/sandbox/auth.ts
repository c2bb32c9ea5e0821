import { createHash, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { realNowMs } from './real-time.js';

export type AuthResult = { ok: true } | { ok: false; reason: string };

/**
 * A token that verified is taken again for this long without a new RSA check: the dialer reuses
 * its JWT for up to a minute, and checking it on each of 200 creates a second cost the sandbox
 * 4 % of its CPU. A token expiring meanwhile is accepted at most this much past its `exp`.
 */
const VERIFIED_TTL_MS = 5_000;
const VERIFIED_CACHE_SIZE = 1_000;

/**
 * Verifies the RS256 application JWT the SDK mints for every request (reference §0): signature
 * against the public half of the application's key, `application_id`, and `exp`/`nbf`. Expiry is
 * checked against the real clock inside jsonwebtoken on purpose: the SDK stamps tokens with real
 * time, whatever time scale the sandbox runs at.
 */
export class RequestAuthenticator {
  readonly #publicKey: KeyObject;
  readonly #applicationId: string;
  /** Tokens that verified, and until when (real monotonic ms) they are taken without a check. */
  readonly #verified = new Map<string, number>();

  constructor(options: { privateKey: string; applicationId: string }) {
    this.#publicKey = createPublicKey(options.privateKey);
    this.#applicationId = options.applicationId;
  }

  verify(authorizationHeader: string | undefined): AuthResult {
    const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader ?? '');
    if (!match) return { ok: false, reason: 'no Bearer token' };
    const token = match[1]!;
    const now = realNowMs();
    if ((this.#verified.get(token) ?? 0) > now) return { ok: true };
    const result = this.#check(token);
    if (result.ok) {
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.clear();
      this.#verified.set(token, now + VERIFIED_TTL_MS);
    }
    return result;
  }

  #check(token: string): AuthResult {
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.#publicKey, { algorithms: ['RS256'] });
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    if (typeof claims === 'string') return { ok: false, reason: 'token payload is not a JSON object' };
    if (claims.application_id !== this.#applicationId) return { ok: false, reason: 'wrong application_id' };
    // Vonage documents iat and jti as required claims, besides application_id.
    if (typeof claims.iat !== 'number' || typeof claims.jti !== 'string') return { ok: false, reason: 'missing iat or jti' };
    return { ok: true };
  }
}

/**
 * What `payload_hash` a bodiless (GET) callback carries; Vonage's choice is UNCONFIRMED
 * (reference §8, §12). `empty-body`: the SHA-256 of the empty string, as for any other body.
 * `omitted`: no payload_hash claim at all.
 */
export const BODILESS_PAYLOAD_HASHES = ['empty-body', 'omitted'] as const;
export type BodilessPayloadHash = (typeof BODILESS_PAYLOAD_HASHES)[number];

export interface CallbackSignerOptions {
  signatureSecret: string;
  apiKey: string;
  applicationId: string;
  bodilessPayloadHash: BodilessPayloadHash;
}

/**
 * Signs a callback as Vonage does (reference §8): HS256 with the signature secret, claims iat, jti,
 * iss "Vonage", payload_hash (SHA-256 hex of the exact body bytes), api_key and application_id,
 * and no exp. A bodiless callback's hash follows `bodilessPayloadHash`.
 */
export function signCallback(options: CallbackSignerOptions, body: string, nowMs: number): string {
  const hashed = body.length > 0 || options.bodilessPayloadHash === 'empty-body';
  const claims = {
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    ...(hashed ? { payload_hash: createHash('sha256').update(body, 'utf8').digest('hex') } : {}),
    api_key: options.apiKey,
    application_id: options.applicationId,
  };
  // jsonwebtoken keeps an explicit iat (from the token clock); `noTimestamp` would delete it.
  return jwt.sign(claims, secretKey(options.signatureSecret), { algorithm: 'HS256' });
}

const secretKeys = new Map<string, KeyObject>();
/**
 * The signature secret as a KeyObject, made once. Given a string, jsonwebtoken first tries to read
 * it as a private key, which throws, for every token: 30 % of the sandbox's CPU at 200 calls/s.
 */
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}
