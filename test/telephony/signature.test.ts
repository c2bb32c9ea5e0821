import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { verifySignature } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import { DEFAULT_CALLBACK_TOKEN_WINDOW, verifyCallbackSignature } from '../../src/telephony/index.js';
import { signCallback, SIGNATURE_SECRET } from '../support/dialer.js';

const body = Buffer.from(JSON.stringify({ status: 'answered', uuid: 'u-1' }));
const NOW_MS = Date.UTC(2026, 0, 5, 10, 0, 0);
const nowSeconds = NOW_MS / 1000;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

const verifyWith = (authorization: string | undefined, rawBody: Buffer | undefined) =>
  verifyCallbackSignature({ authorization, rawBody, secret: SIGNATURE_SECRET, nowMs: NOW_MS, window: DEFAULT_CALLBACK_TOKEN_WINDOW });
const verify = (authorization: string | undefined) => verifyWith(authorization, body);
/** A token signed with the real secret; claims set to undefined are left out (no iat means none, not jsonwebtoken's). */
function bearer(claims: Record<string, unknown>): string {
  const present = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return `Bearer ${jwt.sign(present, SIGNATURE_SECRET, { algorithm: 'HS256', noTimestamp: present.iat === undefined })}`;
}
const claims = (extra: object = {}) => ({ iat: nowSeconds, jti: 'jti-1', iss: 'Vonage', payload_hash: sha256(body), ...extra });

describe('webhook signature verification', () => {
  it('accepts what Vonage sends, agrees with @vonage/jwt verifySignature, and returns the claims that bind the token', () => {
    const authorization = signCallback(body.toString(), { nowMs: NOW_MS });
    expect(verifySignature(authorization.slice(7), SIGNATURE_SECRET)).toBe(true);
    expect(verify(authorization)).toEqual({ ok: true, token: { jti: expect.any(String), issuedAtMs: NOW_MS, payloadHash: sha256(body) } });
  });

  it('refuses a missing header, a wrong secret, another body and an expired token', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing Bearer token' });
    expect(verify(signCallback(body.toString(), { secret: 'another-secret-of-enough-length', nowMs: NOW_MS }))).toMatchObject({ ok: false });
    expect(verify(signCallback('{"status":"completed"}', { nowMs: NOW_MS }))).toEqual({ ok: false, reason: 'payload_hash does not match the body' });
    // exp is read against the clock we are given, with the skew allowance (60 s).
    expect(verify(bearer(claims({ exp: nowSeconds - 61 })))).toMatchObject({ ok: false });
    expect(verify(bearer(claims({ exp: nowSeconds - 30 })))).toMatchObject({ ok: true });
  });

  it('refuses tokens signed with another algorithm, and tokens without payload_hash, jti or iat', () => {
    const none = jwt.sign({ iss: 'Vonage' }, '', { algorithm: 'none' });
    expect(verify(`Bearer ${none}`)).toMatchObject({ ok: false });
    expect(verify(bearer(claims({ payload_hash: undefined })))).toEqual({ ok: false, reason: 'token has no payload_hash' });
    expect(verify(bearer(claims({ jti: undefined })))).toEqual({ ok: false, reason: 'token has no jti' });
    expect(verify(bearer(claims({ iat: undefined })))).toEqual({ ok: false, reason: 'token has no iat' });
  });

  it('requires the hash of the empty body on a bodiless request', () => {
    expect(verifyWith(bearer(claims({ payload_hash: undefined })), Buffer.alloc(0))).toEqual({ ok: false, reason: 'token has no payload_hash' });
    expect(verifyWith(bearer(claims()), undefined)).toEqual({ ok: false, reason: 'payload_hash does not match the body' });
    expect(verifyWith(bearer(claims({ payload_hash: sha256('') })), undefined)).toMatchObject({ ok: true });
    expect(verifyWith(bearer(claims({ payload_hash: sha256('') })), Buffer.alloc(0))).toMatchObject({ ok: true });
  });

  it('takes a token issued within the window and refuses one older, or further ahead than the clock skew', () => {
    const at = (iat: number) => verify(bearer(claims({ iat, jti: randomUUID() })));
    expect(at(nowSeconds - 300)).toMatchObject({ ok: true });
    expect(at(nowSeconds + 60)).toMatchObject({ ok: true });
    expect(at(nowSeconds - 301)).toEqual({ ok: false, reason: 'token issued 301 s ago, more than the 300 s allowed' });
    expect(at(nowSeconds + 61)).toEqual({ ok: false, reason: 'token issued 61 s in the future, more than the 60 s of clock skew allowed' });
    expect(at(nowSeconds - 2 * 365 * 86_400)).toMatchObject({ ok: false });
  });
});
