import { z } from 'zod';

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

export const InputStepQuery = z.enum(['question', 'reprompt']);

/** A message for a failed body validation that names the field and what is accepted. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
}
