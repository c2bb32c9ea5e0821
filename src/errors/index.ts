import { z } from 'zod';

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

/** What each file-system error code says about the path, for toCliError. */
const FILE_PROBLEMS: Partial<Record<string, string>> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a folder; give the path of a file',
  ENOTDIR: 'has a part that is not a folder',
  EACCES: 'is not accessible: permission denied',
  EPERM: 'is not accessible: operation not permitted',
  EROFS: 'is on a read-only file system',
  ENAMETOOLONG: 'is too long a name',
};

/**
 * The CLI's mapping. Besides AppErrors, two kinds of error are the operator's mistake there rather
 * than an internal fault: a file-system error on a path the command was given (a folder where a
 * file was expected, a folder that does not exist, no permission), and a value that a domain schema
 * refused. Both become USAGE with a message that names the path or the value; commands also check
 * their flags and paths as they parse them, so this is the net under those checks. The HTTP API
 * keeps toAppError: there such errors are internal and masked.
 */
export function toCliError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof z.ZodError) {
    const problems = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`);
    return new AppError('USAGE', `invalid value: ${problems.join('; ')}`, { cause: error });
  }
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  const problem = code === undefined ? undefined : FILE_PROBLEMS[code];
  if (problem && typeof path === 'string') {
    return new AppError('USAGE', `'${path}' ${problem} (${syscall ?? 'file'} failed with ${code})`, { cause: error, details: { path, code } });
  }
  return toAppError(error);
}
