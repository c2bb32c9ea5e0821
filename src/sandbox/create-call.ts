import { z } from 'zod';
import { primaryIssues } from './scenario.js';

/*
 * POST /v1/calls body validation (reference §1). Top-level keys are snake_case on the wire (the
 * SDK converts them); the NCCO keeps camelCase and is checked when it runs (ncco.ts). Unknown
 * top-level keys are ignored, as an API gateway would.
 */

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

/** Vonage wants exactly one URL in an array; a bare string is the classic mistake (reference §1). */
const urlArray = z.array(httpUrl).min(1, 'must contain one URL').max(1, 'must contain exactly one URL');

const phoneNumber = z.string().regex(/^\+?\d{7,15}$/, 'must be an E.164 number of 7 to 15 digits, e.g. 48501234567');

const PhoneEndpoint = z.looseObject({
  type: z.literal('phone', { error: 'the sandbox simulates phone endpoints only' }),
  number: phoneNumber,
  dtmfAnswer: z.string().optional(),
});

export const CreateCallRequest = z
  .looseObject({
    to: z.array(PhoneEndpoint).min(1, 'must contain one endpoint'),
    from: PhoneEndpoint.optional(),
    random_from_number: z.boolean().optional(),
    ncco: z.array(z.unknown()).optional(),
    answer_url: urlArray.optional(),
    answer_method: z.enum(['GET', 'POST'], { error: 'must be GET or POST' }).optional(),
    event_url: urlArray,
    event_method: z.enum(['GET', 'POST'], { error: 'must be GET or POST' }).optional(),
    machine_detection: z.enum(['continue', 'hangup'], { error: 'must be continue or hangup' }).optional(),
    advanced_machine_detection: z
      .looseObject({
        behavior: z.enum(['continue', 'hangup'], { error: 'must be continue or hangup' }),
        mode: z.enum(['default', 'detect', 'detect_beep'], { error: 'must be default, detect or detect_beep' }).optional(),
        beep_timeout: z.number().int().min(45, 'must be 45 to 120').max(120, 'must be 45 to 120').optional(),
      })
      .optional(),
    ringing_timer: z.number().int().min(1, 'must be 1 to 120').max(120, 'must be 1 to 120').optional(),
    length_timer: z.number().int().min(1, 'must be at least 1').optional(),
  })
  .superRefine((body, ctx) => {
    if (body.ncco !== undefined && body.answer_url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['answer_url'], message: 'give either answer_url or ncco, not both' });
    }
    if (body.ncco === undefined && body.answer_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['answer_url'], message: 'answer_url or ncco is required' });
    }
    if (body.from !== undefined && body.random_from_number === true) {
      ctx.addIssue({ code: 'custom', path: ['random_from_number'], message: 'cannot be combined with from' });
    }
    if (body.from === undefined && body.random_from_number !== true) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'from is required unless random_from_number is true' });
    }
  });
export type CreateCallRequest = z.infer<typeof CreateCallRequest>;

export interface InvalidParameter {
  name: string;
  reason: string;
}

function parameterName(path: PropertyKey[]): string {
  let name = '';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : name === '' ? String(key) : `.${String(key)}`;
  return name || 'body';
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export type CreateCallValidation = { ok: true; request: CreateCallRequest } | { ok: false; invalidParameters: InvalidParameter[] };

/**
 * Validates a create body. A wrong JSON type gets Vonage's own wording, "Invalid type parameter
 * provided" (reference §1, vonage-java-sdk issue #63); other problems say what is expected.
 */
export function validateCreateCall(body: unknown, options: { maxLengthTimerSeconds: number }): CreateCallValidation {
  const parsed = CreateCallRequest.safeParse(body);
  const invalidParameters: InvalidParameter[] = [];
  if (!parsed.success) {
    for (const issue of primaryIssues(parsed.error)) {
      const missing = valueAt(body, issue.path) === undefined;
      let reason = issue.message;
      if (issue.code === 'invalid_type') reason = missing ? 'Missing required parameter' : 'Invalid type parameter provided';
      invalidParameters.push({ name: parameterName(issue.path), reason });
    }
    return { ok: false, invalidParameters };
  }
  const lengthTimer = parsed.data.length_timer;
  if (lengthTimer !== undefined && lengthTimer > options.maxLengthTimerSeconds) {
    return { ok: false, invalidParameters: [{ name: 'length_timer', reason: `must be 1 to ${options.maxLengthTimerSeconds}` }] };
  }
  return { ok: true, request: parsed.data };
}
