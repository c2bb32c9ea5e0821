import { z } from 'zod';
import { REASON_STEPS } from '../ivr/index.js';

// Webhook bodies are validated loosely: the fields we act on must have the right type, and every
// other field is kept (the whole body is stored in call_events). Unknown fields never fail.

export const StatusEventBody = z.looseObject({
  status: z.string().min(1).max(64),
  uuid: z.string().max(200).optional(),
  call_uuid: z.string().max(200).optional(),
  conversation_uuid: z.string().max(200).optional(),
  timestamp: z.string().max(64).optional(),
  duration: z.union([z.string().max(20), z.number()]).optional(),
  price: z.union([z.string().max(32), z.number()]).optional(),
  rate: z.union([z.string().max(32), z.number()]).nullable().optional(),
  start_time: z.string().max(64).nullable().optional(),
  end_time: z.string().max(64).nullable().optional(),
  network: z.string().max(64).nullable().optional(),
  detail: z.string().max(200).optional(),
});

export const InputBody = z.looseObject({
  dtmf: z
    .looseObject({
      digits: z.string().max(64).nullable().optional(),
      timed_out: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  timestamp: z.string().max(64).optional(),
});

export const RecordingBody = z.looseObject({
  recording_url: z.string().max(2000),
  start_time: z.string().max(64).optional(),
  end_time: z.string().max(64).optional(),
  timestamp: z.string().max(64).optional(),
});

/** The transcription webhook (reference §6, `record`): where the transcript is, or that it failed. */
export const TranscriptionBody = z.looseObject({
  status: z.string().max(64).optional(),
  transcription_url: z.string().max(2000).optional(),
  recording_uuid: z.string().max(200).optional(),
  conversation_uuid: z.string().max(200).optional(),
  timestamp: z.string().max(64).optional(),
});

/** The answer request (a POST body, or a GET query): the call leg it speaks for must be named. */
export const AnswerFields = z.looseObject({
  uuid: z.string().min(1).max(200),
});

export const InputStepQuery = z.enum(['question', 'reprompt', ...REASON_STEPS, 'comment']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * The byte offset at which UTF-8 JSON text first nests deeper than `maxDepth` objects and arrays,
 * or -1. Brackets inside strings do not count. It reads the raw bytes before parsing, so a body
 * nested thousands deep is refused before anything is built from it; multi-byte UTF-8 sequences
 * never contain these ASCII bytes. Invalid JSON is the parser's business.
 */
export function nestingBeyond(bytes: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++; // the escaped character cannot end the string
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > maxDepth) return i;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return -1;
}

/** A message for a failed body validation that names the field and what is accepted. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
}
