import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { verifySignature } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import { verifyCallbackSignature } from '../../src/telephony/index.js';
import { signCallback, SIGNATURE_SECRET } from '../support/dialer.js';

const body = Buffer.from(JSON.stringify({ status: 'answered', uuid: 'u-1' }));

describe('webhook signature verification', () => {
  it('accepts what Vonage sends, and agrees with @vonage/jwt verifySignature', () => {
    const authorization = signCallback(body.toString());
    expect(verifySignature(authorization.slice(7), SIGNATURE_SECRET)).toBe(true);
    expect(verifyCallbackSignature({ authorization, rawBody: body, secret: SIGNATURE_SECRET })).toEqual({ ok: true });
  });

  it('refuses a missing header, a wrong secret, another body and an expired token', () => {
    expect(verifyCallbackSignature({ authorization: undefined, rawBody: body, secret: SIGNATURE_SECRET })).toEqual({ ok: false, reason: 'missing Bearer token' });
    expect(verifyCallbackSignature({ authorization: signCallback(body.toString(), 'another-secret-of-enough-length'), rawBody: body, secret: SIGNATURE_SECRET })).toMatchObject({ ok: false });
    expect(verifyCallbackSignature({ authorization: signCallback('{"status":"completed"}'), rawBody: body, secret: SIGNATURE_SECRET })).toEqual({
      ok: false,
      reason: 'payload_hash does not match the body',
    });
    const expired = jwt.sign({ iss: 'Vonage', payload_hash: createHash('sha256').update(body).digest('hex'), exp: Math.floor(Date.now() / 1000) - 60 }, SIGNATURE_SECRET, { algorithm: 'HS256' });
    expect(verifyCallbackSignature({ authorization: `Bearer ${expired}`, rawBody: body, secret: SIGNATURE_SECRET })).toMatchObject({ ok: false });
  });

  it('refuses tokens signed with another algorithm, and a token without payload_hash for a body', () => {
    const none = jwt.sign({ iss: 'Vonage' }, '', { algorithm: 'none' });
    expect(verifyCallbackSignature({ authorization: `Bearer ${none}`, rawBody: body, secret: SIGNATURE_SECRET })).toMatchObject({ ok: false });
    const noHash = jwt.sign({ iss: 'Vonage' }, SIGNATURE_SECRET, { algorithm: 'HS256' });
    expect(verifyCallbackSignature({ authorization: `Bearer ${noHash}`, rawBody: body, secret: SIGNATURE_SECRET })).toEqual({ ok: false, reason: 'token has no payload_hash' });
    expect(verifyCallbackSignature({ authorization: `Bearer ${noHash}`, rawBody: Buffer.alloc(0), secret: SIGNATURE_SECRET })).toEqual({ ok: true });
  });
});
