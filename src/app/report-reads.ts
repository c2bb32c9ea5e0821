import { ListSettingsBook } from '../contacts/index.js';
import { sqliteReader, type AppDatabase } from '../db/index.js';
import type { ReportDeps } from '../reports/index.js';

/**
 * What the reports read, on a SQLite database: its SqlReader and the lists' settings, read afresh
 * for every report (a book kept for the process would serve a list's old question after
 * `lists set`). The one place to hand the reports another backend's reader.
 */
export function reportReads(ctx: { database: AppDatabase; config: ConstructorParameters<typeof ListSettingsBook>[1] }): Pick<ReportDeps, 'reader' | 'listSettings'> {
  return { reader: sqliteReader(ctx.database), listSettings: (listId) => new ListSettingsBook(ctx.database, ctx.config).get(listId) };
}
