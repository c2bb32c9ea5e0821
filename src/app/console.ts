import { systemClock } from '../clock/index.js';
import type { ConsoleDeps, OperatorDeps } from '../console/index.js';
import type { AppContext } from './context.js';
import { reportReads } from './report-reads.js';

/** The web console's deps from the context: the same stores, reader, clock and config as the API. */
export function consoleDeps(ctx: AppContext, operator: OperatorDeps): ConsoleDeps {
  const stores = ctx.backend.stores;
  return {
    ...reportReads({ reader: stores.reader, config: ctx.config }),
    lists: stores.lists,
    clients: stores.clients,
    clock: ctx.clock,
    config: ctx.config,
    linkSecret: ctx.config.reportLinkSecret,
    logger: ctx.logger.child({ module: 'console' }),
    cases: stores.cases,
    // Sessions expire in real time whatever the context's clock simulates (the demo's runs 300× faster).
    sessionClock: systemClock,
    operator,
    schedules: stores.schedules,
  };
}
