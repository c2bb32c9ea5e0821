import { z } from 'zod';
import { AppError } from '../errors/index.js';

/** A path id: a positive whole number, or a 400 naming it. */
export const Id = (what: string) => z.string().regex(/^[1-9]\d{0,15}$/, `${what} must be a positive whole number`).transform(Number);

/** Parses a request's input; a failure is INPUT_INVALID with every problem named. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('INPUT_INVALID', result.error.issues.map((i) => i.message).join('; '));
  return result.data;
}
