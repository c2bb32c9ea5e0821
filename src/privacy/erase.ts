import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../clock/index.js';
import { normalizePhone } from '../contacts/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { ErasureStore } from './erasure-store.js';

export interface ErasureSummary {
  erasureId: number;
  contacts: number;
  lists: number;
  calls: number;
  responses: number;
  recordings: number;
  /** Billing lines kept for invoicing, detached from the person. */
  billingLinesKept: number;
  /** The number stays on the do-not-call list when it was there (see docs/privacy.md). */
  suppressionKept: boolean;
  /** Comment texts removed with their responses (their themes and theme corrections went too). */
  transcripts: number;
  /**
   * When the provider's own copies of the person's recordings and transcripts are gone at the
   * latest: it deletes them PROVIDER_COPY_RETENTION_DAYS after the call and documents no call to
   * delete them sooner (docs/privacy.md). Null when there was no comment.
   */
  providerCopiesExpireBy: string | null;
}

/** Vonage keeps a recording (and its transcript) this many days (reference §7, the 2022 documentation). */
export const PROVIDER_COPY_RETENTION_DAYS = 30;

/**
 * Erases a person (GDPR Art. 17): every contact row with the number in every list, their calls and
 * the provider callbacks stored with them (which carry the number), their responses and comment
 * recordings (database rows and files). Billing lines stay, detached from the call, because
 * invoices must; a do-not-call entry stays, because honouring an objection needs it. Reports and
 * exports are built from the database on demand, so none made afterwards contains the person.
 * The erasure itself is recorded without the number.
 */
export async function eraseNumber(options: {
  erasures: ErasureStore;
  clock: Clock;
  logger: Logger;
  recordingsDir: string;
  number: string;
  country?: CountryCode | undefined;
}): Promise<ErasureSummary> {
  const phone = normalizePhone(options.number, options.country);
  if (!phone.ok) throw new AppError('INPUT_INVALID', `'${options.number}' ${phone.reason}`);
  const outcome = await options.erasures.erase(phone.e164, options.clock.now());
  if (outcome.kind === 'dialing') throw new AppError('CONFLICT', 'a call to this number is in progress; erase it once the call has ended', { retryable: true });
  const { files, lastCommentAt, ...record } = outcome.record;
  const summary: ErasureSummary = {
    erasureId: record.erasureId,
    contacts: record.contacts,
    lists: record.lists,
    calls: record.calls,
    responses: record.responses,
    recordings: files.length,
    billingLinesKept: record.billingLinesKept,
    suppressionKept: record.suppressionKept,
    transcripts: record.transcripts,
    providerCopiesExpireBy: lastCommentAt === null ? null : new Date(lastCommentAt + PROVIDER_COPY_RETENTION_DAYS * 86_400_000).toISOString(),
  };
  // Files go after the commit: a crash in between leaves an orphan file with no row pointing at it,
  // which the retention purge removes; never a row pointing at a missing person.
  const root = path.resolve(options.recordingsDir);
  for (const file of files) {
    const full = path.resolve(root, file);
    if (full.startsWith(`${root}${path.sep}`)) await rm(full, { force: true });
  }
  options.logger.info('person erased', { erasureId: summary.erasureId, contacts: summary.contacts, lists: summary.lists, recordings: summary.recordings });
  return summary;
}
