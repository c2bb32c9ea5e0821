import { systemClock } from '../clock/index.js';
import type { ConsoleDeps, OperatorDeps } from '../console/index.js';
import { SqliteClientStore, SqliteListStore } from '../contacts/index.js';
import { SqliteCaseStore } from '../followup/index.js';
import { sqliteReader } from '../db/index.js';
import { scheduleStore } from '../schedules/index.js';
import type { AppContext } from './context.js';
import { reportReads } from './report-reads.js';

/** The web console's deps from the context: the same database, clock, config and stores as the API. */
export function consoleDeps(ctx: AppContext, operator: OperatorDeps): ConsoleDeps {
  return {
    database: ctx.database,
    ...reportReads({ reader: ctx.backend.stores.reader, config: ctx.config }),
    lists: new SqliteListStore(ctx.database),
    clients: new SqliteClientStore(ctx.database),
    clock: ctx.clock,
    config: ctx.config,
    linkSecret: ctx.config.reportLinkSecret,
    logger: ctx.logger.child({ module: 'console' }),
    cases: new SqliteCaseStore(ctx.database),
    // Sessions expire in real time whatever the context's clock simulates (the demo's runs 300× faster).
    sessionClock: systemClock,
    operator,
    reader: sqliteReader(ctx.database),
    schedules: scheduleStore(ctx.database),
  };
}
