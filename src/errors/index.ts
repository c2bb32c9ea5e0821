/**
 * The application's error family. Expected outcomes (busy, machine, a rejected CSV row) are data,
 * not errors; an AppError means a request cannot be carried out. Each code is mapped to a CLI exit
 * code and an HTTP status here and nowhere else, and the Records force every new code to be mapped.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'USAGE',
  'INPUT_INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'LOCKED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'PROVIDER_ERROR',
  'INTERRUPTED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  /** Safe to show to the operator or API client; defaults to the message. */
  userMessage?: string;
  /** True when the same request may succeed later without any change. */
  retryable?: boolean;
  /** Structured detail for --json output and API bodies (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.userMessage = options.userMessage ?? message;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Exit codes follow sysexits(3) loosely; 2 is "you called it wrong", as the CLI contract says. */
export const EXIT_CODE: Record<ErrorCode, number> = {
  CONFIG_INVALID: 2,
  USAGE: 2,
  INPUT_INVALID: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  LOCKED: 6,
  UNAUTHORIZED: 7,
  FORBIDDEN: 7,
  RATE_LIMITED: 75,
  PROVIDER_ERROR: 69,
  INTERRUPTED: 130,
  INTERNAL: 1,
};

export const HTTP_STATUS: Record<ErrorCode, number> = {
  CONFIG_INVALID: 500,
  USAGE: 400,
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LOCKED: 423,
  UNAUTHORIZED: 401,
  FORBIDDEN: 404, // Another client's resource is indistinguishable from a missing one.
  RATE_LIMITED: 429,
  PROVIDER_ERROR: 502,
  INTERRUPTED: 503,
  INTERNAL: 500,
};

/** Wraps anything thrown into an AppError; unknown errors become INTERNAL with a masked message. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError('INTERNAL', error instanceof Error ? error.message : String(error), {
    userMessage: 'internal error; see the log for details',
    cause: error,
  });
}
