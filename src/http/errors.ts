import type { ErrorRequestHandler } from 'express';
import { HTTP_STATUS, isAppError, toAppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

/**
 * The one place HTTP errors are shaped: AppErrors become their mapped status with the user
 * message; anything else is logged in full and answered with a bare 500 that leaks nothing.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = (error as { status?: number; type?: string }).status;
    // express.json() errors: malformed JSON or an oversized body.
    if (!isAppError(error) && typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INPUT_INVALID', message: status === 413 ? 'request body too large' : 'request body is not valid JSON' } });
      return;
    }
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') logger.error('request failed', { method: req.method, path: req.path, error: (error as Error)?.stack ?? String(error) });
    res.status(HTTP_STATUS[appError.code]).json({ error: { code: appError.code, message: appError.userMessage } });
  };
}
