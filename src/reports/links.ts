import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.js';
import { REPORT_FORMATS, type ReportFormat } from './model.js';

/**
 * Signed report links for clients without an API key: `<payload>.<signature>`, both base64url.
 * The payload names the list, the format and the expiry; the signature is HMAC-SHA256 over a
 * versioned prefix and the payload with REPORT_LINK_SECRET. Changing any byte of either part, or
 * signing with another secret, fails verification; so does a link past its expiry.
 */

export interface ReportLink {
  listId: number;
  format: ReportFormat;
  /** Epoch milliseconds after which the link is refused. */
  expiresAt: number;
}

/** Links live at most this long: a forwarded link should not stay valid for ever. */
export const MAX_LINK_LIFETIME_MS = 90 * 86_400_000;

const SIGNING_CONTEXT = 'nps-dialer/report-link/v1.';
/** Recording links are signed under another context, so neither kind of token passes for the other. */
const RECORDING_CONTEXT = 'nps-dialer/recording-link/v1.';

const Payload = z.object({
  l: z.number().int().positive(),
  f: z.enum(REPORT_FORMATS),
  e: z.number().int().positive(),
});

function sign(secret: string, payload: string, context = SIGNING_CONTEXT): Buffer {
  return createHmac('sha256', secret).update(context + payload).digest();
}

export function signReportLink(secret: string, link: ReportLink): string {
  const payload = Buffer.from(JSON.stringify({ l: link.listId, f: link.format, e: link.expiresAt })).toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

const refused = (reason: string) => new AppError('UNAUTHORIZED', `report link refused: ${reason}`, { userMessage: `this link is not valid: ${reason}` });

/** The link a token stands for; an AppError UNAUTHORIZED when it is altered, malformed or expired. */
export function verifyReportLink(secret: string, token: string, nowMs: number): ReportLink {
  const parsed = verifiedPayload(secret, token, SIGNING_CONTEXT, Payload);
  if (parsed.e <= nowMs) throw refused(`it expired at ${new Date(parsed.e).toISOString()}; ask for a new one`);
  return { listId: parsed.l, format: parsed.f, expiresAt: parsed.e };
}

function verifiedPayload<T>(secret: string, token: string, context: string, schema: z.ZodType<T>): T {
  const match = /^([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw refused('malformed link');
  const [, payload, signature] = match as unknown as [string, string, string];
  // Compared as text, not decoded bytes: base64url decoding ignores the last character's spare
  // bits, so several strings decode to one signature and the link would not be unique.
  const expected = Buffer.from(sign(secret, payload, context).toString('base64url'));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw refused('the signature does not match');
  try {
    return schema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw refused('malformed link');
  }
}

/**
 * A link to one call's comment recording, for a detractor alert: it opens that recording only,
 * not the list's report or its other recordings.
 */
export interface RecordingLink {
  listId: number;
  callId: number;
  /** Epoch milliseconds after which the link is refused. */
  expiresAt: number;
}

const RecordingPayload = z.object({
  l: z.number().int().positive(),
  c: z.number().int().positive(),
  e: z.number().int().positive(),
});

export function signRecordingLink(secret: string, link: RecordingLink): string {
  const payload = Buffer.from(JSON.stringify({ l: link.listId, c: link.callId, e: link.expiresAt })).toString('base64url');
  return `${payload}.${sign(secret, payload, RECORDING_CONTEXT).toString('base64url')}`;
}

export function verifyRecordingLink(secret: string, token: string, nowMs: number): RecordingLink {
  const parsed = verifiedPayload(secret, token, RECORDING_CONTEXT, RecordingPayload);
  if (parsed.e <= nowMs) throw refused(`it expired at ${new Date(parsed.e).toISOString()}`);
  return { listId: parsed.l, callId: parsed.c, expiresAt: parsed.e };
}
