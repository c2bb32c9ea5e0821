import { z } from 'zod';
import { REPORT_FORMATS } from '../reports/index.js';

// The client API's own path and query schemas. The routes parse with them and the OpenAPI document
// (openapi.ts) is generated from them, so the two cannot disagree.

const Id = (what: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,15}$/, `${what} must be a positive whole number`)
    .transform(Number)
    .meta({ description: `The ${what}: a positive whole number.` });

export const ListId = Id('list id');
export const CallId = Id('callId');
export const CaseId = Id('case id');
export const ResponseId = Id('response id');

const Flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false (or 1 or 0)' })
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const ReportQuery = z.object({
  format: z
    .enum(REPORT_FORMATS, { error: (issue) => `must be one of ${REPORT_FORMATS.join(', ')}, got '${String(issue.input)}'` })
    .default('json')
    .meta({ description: 'json and html open inline, csv downloads as an attachment.' }),
  full: Flag.meta({ description: 'CSV: full phone numbers instead of masked ones.' }),
  summary: Flag.meta({ description: 'CSV: the one-row summary instead of a row per contact.' }),
});
