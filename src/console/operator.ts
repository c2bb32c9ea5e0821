import express from 'express';
import type { AccountPacer } from '../dialer/index.js';
import type { LiveReports } from './live.js';
import type { ConsoleDeps } from './routes.js';

/** What the operator view reads of the dialer in this process. */
export interface OperatorDeps {
  /** Wakes the running loops at once after a pause or a resume (the daemon's CallSignals). */
  notifyChange?: () => void;
  pacer?: AccountPacer;
}

export function operatorRoutes(_deps: ConsoleDeps & { live: LiveReports }): express.Router {
  return express.Router();
}
