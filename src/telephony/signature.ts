import { createHash, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const keys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/**
 * Verifies a signed Vonage callback: `Authorization: Bearer <HS256 JWT>` signed with the account
 * signature secret, whose `payload_hash` claim is the sha256 of the raw body.
 *
 * This is what @vonage/jwt's verifySignature does (jsonwebtoken, signature plus exp/nbf), with two
 * differences: only HS256 is accepted, and the secret is a cached KeyObject. verifySignature also
 * allows RS256, so jsonwebtoken first tries to read the secret as a public key and fails — on every
 * callback; that was 15 % of the dialer's CPU (docs/performance.md). verifySignature does not check
 * payload_hash, so a captured token could be replayed with another body; we compare the hash
 * ourselves (docs/adr/0003-webhook-signatures.md). The sandbox's tests verify its callbacks with
 * verifySignature itself, so both agree on the format.
 */
export function verifyCallbackSignature(input: { authorization: string | undefined; rawBody: Buffer | undefined; secret: string }): SignatureCheck {
  const match = /^Bearer\s+(\S+)$/i.exec(input.authorization ?? '');
  if (!match) return { ok: false, reason: 'missing Bearer token' };
  let claims: jwt.JwtPayload;
  try {
    const verified = jwt.verify(match[1]!, secretKey(input.secret), { algorithms: ['HS256'] });
    if (typeof verified === 'string') return { ok: false, reason: 'token has no claims' };
    claims = verified;
  } catch {
    return { ok: false, reason: 'signature does not verify' };
  }
  const body = input.rawBody ?? Buffer.alloc(0);
  // A bodiless (GET) callback has nothing a replayed token could be attached to, and what Vonage
  // hashes for it is undocumented; every callback with a body must carry the matching hash.
  if (body.length === 0) return { ok: true };
  if (typeof claims.payload_hash !== 'string') return { ok: false, reason: 'token has no payload_hash' };
  const expected = Buffer.from(claims.payload_hash);
  const actual = Buffer.from(createHash('sha256').update(body).digest('hex'));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'payload_hash does not match the body' };
  return { ok: true };
}
