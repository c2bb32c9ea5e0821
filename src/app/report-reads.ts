import { ListSettingsBook } from '../contacts/index.js';
import type { SqlReader } from '../db/index.js';
import type { ReportDeps } from '../reports/index.js';

/**
 * What the reports read: the backend's SqlReader and the lists' settings, read afresh for every
 * report (a book kept for the process would serve a list's old question after `lists set`).
 */
export function reportReads(ctx: { reader: SqlReader; config: ConstructorParameters<typeof ListSettingsBook>[1] }): Pick<ReportDeps, 'reader' | 'listSettings'> {
  const { reader, config } = ctx;
  return { reader, listSettings: (listId) => new ListSettingsBook(reader, config).load(listId) };
}
