import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How a client checks that a webhook came from us: the header carries `sha256=` and the hex
 * HMAC-SHA256 of the raw request body under the client's webhook secret (`clients set
 * --alert-secret`). The receiver must compute it over the bytes it received, before parsing.
 */
export const SIGNATURE_HEADER = 'X-Nps-Signature';

export function signPayload(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** The check a receiver runs (exported for tests and for clients' reference); constant time. */
export function verifyPayloadSignature(secret: string, rawBody: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signPayload(secret, rawBody));
  const presented = Buffer.from(header.trim());
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** A new random webhook secret (256 bits), for `clients set --alert-url` without `--alert-secret`. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
