import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';
import jwt from 'jsonwebtoken';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a signed Vonage callback: `Authorization: Bearer <HS256 JWT>` signed with the account
 * signature secret, whose `payload_hash` claim is the sha256 of the raw body.
 * @vonage/jwt checks the signature (and exp/nbf) but not payload_hash, so a captured token could be
 * replayed with another body; we compare the hash ourselves (docs/adr/0003-webhook-signatures.md).
 */
export function verifyCallbackSignature(input: { authorization: string | undefined; rawBody: Buffer | undefined; secret: string }): SignatureCheck {
  const header = input.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return { ok: false, reason: 'missing Bearer token' };
  const token = match[1]!;
  if (!verifySignature(token, input.secret)) return { ok: false, reason: 'signature does not verify' };
  const claims = jwt.decode(token, { json: true });
  if (!claims) return { ok: false, reason: 'token has no claims' };
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
