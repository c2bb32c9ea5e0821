import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';

/** Counts a refused credential; `refuse` answers it while the address is under the limit. */
export type FailedAuthentication = (req: Request, res: Response, next: NextFunction, refuse: () => void) => void;

/**
 * Failed authentications are limited per address (15 minutes, `limit` failures); a valid
 * credential is never counted and never refused, so nobody can lock a client out by failing from
 * its address (issue 13 item 3). Call it only once a credential has been refused. Over the limit,
 * `onLimited` answers (a 429) instead of `refuse`.
 */
export function failedAuthentications(options: { limit: number; onLimited: (req: Request, res: Response) => void }): FailedAuthentication {
  const limiter: RequestHandler = rateLimit({
    windowMs: 15 * 60_000,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    validate: { xForwardedForHeader: false },
    handler: (req, res) => options.onLimited(req, res),
  });
  return (req, res, next, refuse) =>
    void limiter(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      refuse();
    });
}
