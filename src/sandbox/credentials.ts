import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors/index.js';

export interface SandboxCredentials {
  applicationId: string;
  /** PEM text. */
  privateKey: string;
  privateKeyPath: string;
  signatureSecret: string;
  /** True when this call created them (the operator must copy the env lines once). */
  created: boolean;
}

const StoredCredentials = z.object({ applicationId: z.string().min(1), signatureSecret: z.string().min(16) });

/**
 * Credentials for a standalone sandbox when the operator has not configured Vonage ones: an RSA
 * key pair and a signature secret kept in `dir` (data/sandbox/, gitignored), reused on later runs
 * so the dialer's .env stays valid. Files are written owner-readable only.
 */
export function ensureSandboxCredentials(dir: string): SandboxCredentials {
  const keyPath = path.join(dir, 'private.key');
  const metaPath = path.join(dir, 'credentials.json');
  if (existsSync(keyPath) && existsSync(metaPath)) {
    const parsed = StoredCredentials.safeParse(JSON.parse(readFileSync(metaPath, 'utf8')));
    if (!parsed.success) {
      throw new AppError('CONFIG_INVALID', `${metaPath} is damaged; delete ${dir} to generate new sandbox credentials`);
    }
    return { ...parsed.data, privateKey: readFileSync(keyPath, 'utf8'), privateKeyPath: keyPath, created: false };
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const stored = { applicationId: randomUUID(), signatureSecret: randomBytes(24).toString('base64url') };
  writeFileSync(keyPath, privateKey, { mode: 0o600 });
  writeFileSync(metaPath, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  return { ...stored, privateKey, privateKeyPath: keyPath, created: true };
}
