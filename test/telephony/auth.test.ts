import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { ManualClock } from '../../src/clock/index.js';
import { ReusingAuth } from '../../src/telephony/index.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const applicationId = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

describe('ReusingAuth', () => {
  it('signs a valid RS256 application JWT and reuses it within the window only', async () => {
    const clock = new ManualClock();
    const auth = new ReusingAuth({ applicationId, privateKey, reuseMs: 60_000, clock });
    const first = await auth.createBearerHeader();
    const claims = jwt.verify(first.replace(/^Bearer /, ''), keys.publicKey, { algorithms: ['RS256'] }) as jwt.JwtPayload;
    expect(claims.application_id).toBe(applicationId);
    expect(claims.exp! - claims.iat!).toBe(900);
    clock.advance(59_999);
    expect(await auth.createBearerHeader()).toBe(first);
    clock.advance(1);
    expect(await auth.createBearerHeader()).not.toBe(first);
  });

  it('mints a new token for every request when reuse is off', async () => {
    const auth = new ReusingAuth({ applicationId, privateKey, reuseMs: 0, clock: new ManualClock() });
    expect(await auth.createBearerHeader()).not.toBe(await auth.createBearerHeader());
  });
});
