import { Auth } from '@vonage/auth';
import type { Clock } from '../clock/index.js';

export interface ReusingAuthOptions {
  applicationId: string;
  privateKey: string;
  /** How long one JWT is reused, in ms; 0 mints one per request (the SDK's own behaviour). */
  reuseMs: number;
  clock: Clock;
}

/**
 * The SDK's Auth, with the bearer token reused for a short while. Minting an RS256 JWT costs about
 * 1 ms of CPU (key parsing and signing); the SDK mints one for every request, which was a fifth of
 * the dialer's CPU per call at 100 calls/s. Tokens live 15 minutes (the SDK's default `exp`) and
 * are reused for `reuseMs` (default 60 s), far inside that. Vonage's own CLI and runtime SDK reuse a
 * token until it expires; whether the Voice API ever refuses a reused `jti` is UNCONFIRMED, hence
 * VONAGE_JWT_REUSE_SECONDS=0 to turn reuse off.
 */
export class ReusingAuth extends Auth {
  constructor(options: ReusingAuthOptions) {
    super({ applicationId: options.applicationId, privateKey: options.privateKey });
    if (options.reuseMs <= 0) return;
    // Auth defines createBearerHeader as an instance field, so it is wrapped, not overridden.
    const mint = this.createBearerHeader;
    let header: string | undefined;
    let mintedAt = Number.NEGATIVE_INFINITY;
    this.createBearerHeader = async () => {
      const now = options.clock.monotonicMs();
      if (header === undefined || now - mintedAt >= options.reuseMs) {
        header = await mint();
        mintedAt = now;
      }
      return header;
    };
  }
}
