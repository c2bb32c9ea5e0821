import type { ErrorRequestHandler, Request } from 'express';
import { HTTP_STATUS, isAppError, toAppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

interface RequestError {
  status: number;
  code: string;
  message: string;
}

/** Longest part of a request echoed back in an error message. */
const ECHO_LIMIT = 200;

/**
 * What went wrong while express read the request, before any handler ran: a path that is not
 * valid %-encoding (the router's URIError) or a body that could not be read (body-parser's
 * errors, told apart by their `type`). Undefined for anything else.
 */
function describeRequestError(error: unknown, req: Request): RequestError | undefined {
  const { status, type, limit } = error as { status?: number; type?: string; limit?: number };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (error instanceof URIError) {
    const path = req.originalUrl.split('?')[0]!.slice(0, ECHO_LIMIT);
    return { status: 400, code: 'INPUT_INVALID', message: `request path '${path}' is not valid %-encoding; every % must start an escape of UTF-8 bytes such as %C3%A9` };
  }
  switch (type) {
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `request body too large${typeof limit === 'number' ? ` (at most ${limit} bytes)` : ''}` };
    case 'entity.parse.failed':
      return { status: 400, code: 'INPUT_INVALID', message: 'request body is not valid JSON' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      // body-parser's own message names the encoding or charset and is safe to show.
      return { status: 415, code: 'INPUT_INVALID', message: (error as Error).message };
    default:
      return { status, code: 'INPUT_INVALID', message: 'request could not be read' };
  }
}

/**
 * The one place HTTP errors are shaped: AppErrors become their mapped status with the user
 * message; anything else is logged in full and answered with a bare 500 that leaks nothing.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const described = isAppError(error) ? undefined : describeRequestError(error, req);
    if (described) {
      res.status(described.status).json({ error: { code: described.code, message: described.message } });
      return;
    }
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') logger.error('request failed', { method: req.method, path: req.path, error: (error as Error)?.stack ?? String(error) });
    res.status(HTTP_STATUS[appError.code]).json({ error: { code: appError.code, message: appError.userMessage } });
  };
}
