import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../clock/index.js';
import { isSuppressed, normalizePhone } from '../contacts/index.js';
import type { AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

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
  database: AppDatabase;
  clock: Clock;
  logger: Logger;
  recordingsDir: string;
  number: string;
  country?: CountryCode | undefined;
}): Promise<ErasureSummary> {
  const phone = normalizePhone(options.number, options.country);
  if (!phone.ok) throw new AppError('INPUT_INVALID', `'${options.number}' ${phone.reason}`);
  const { sqlite } = options.database;
  const now = options.clock.now();
  const { summary, files } = sqlite.transaction(() => {
    const contacts = sqlite.prepare('SELECT id, list_id AS listId, status FROM contacts WHERE phone_e164 = ?').all(phone.e164) as { id: number; listId: number; status: string }[];
    if (contacts.some((c) => c.status === 'dialing')) {
      throw new AppError('CONFLICT', 'a call to this number is in progress; erase it once the call has ended', { retryable: true });
    }
    const ids = contacts.map((c) => c.id);
    const inIds = `(${ids.map(() => '?').join(', ') || 'NULL'})`;
    const files = (sqlite.prepare(`SELECT comment_file AS file FROM responses WHERE contact_id IN ${inIds} AND comment_file IS NOT NULL`).all(...ids) as { file: string }[]).map((r) => r.file);
    const calls = (sqlite.prepare(`SELECT count(*) AS n FROM calls WHERE contact_id IN ${inIds}`).get(...ids) as { n: number }).n;
    const responses = (sqlite.prepare(`SELECT count(*) AS n FROM responses WHERE contact_id IN ${inIds}`).get(...ids) as { n: number }).n;
    const comments = sqlite
      .prepare(`SELECT count(comment_text) AS transcripts, max(created_at) AS lastAt FROM responses WHERE contact_id IN ${inIds} AND (comment_recording_url IS NOT NULL OR comment_mode IS NOT NULL OR comment_status <> 'none')`)
      .get(...ids) as { transcripts: number; lastAt: number | null };
    const billingLinesKept = (sqlite.prepare(`SELECT count(*) AS n FROM billing_lines WHERE call_id IN (SELECT id FROM calls WHERE contact_id IN ${inIds})`).get(...ids) as { n: number }).n;
    // Deleting the contacts cascades to calls, call_events and responses (and from them to follow-up
    // cases, alert deliveries, comment themes and theme corrections); billing lines keep their amounts with call_id set to NULL
    // (foreign key ON DELETE SET NULL).
    sqlite.prepare(`DELETE FROM contacts WHERE id IN ${inIds}`).run(...ids);
    // Triggered-survey requests keep the number even when refused (no contact was made for them).
    // Cases and alerts went with the responses (ON DELETE CASCADE).
    sqlite.prepare('DELETE FROM survey_triggers WHERE phone_e164 = ?').run(phone.e164);
    const suppressionKept = isSuppressed(options.database, phone.e164);
    const lists = new Set(contacts.map((c) => c.listId)).size;
    const erasureId = (
      sqlite
        .prepare(
          `INSERT INTO erasures (erased_at, contacts, lists, calls, responses, recordings, billing_lines_kept, suppression_kept)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(now, ids.length, lists, calls, responses, files.length, billingLinesKept, suppressionKept ? 1 : 0) as { id: number }
    ).id;
    const providerCopiesExpireBy = comments.lastAt === null ? null : new Date(comments.lastAt + PROVIDER_COPY_RETENTION_DAYS * 86_400_000).toISOString();
    return {
      summary: { erasureId, contacts: ids.length, lists, calls, responses, recordings: files.length, billingLinesKept, suppressionKept, transcripts: comments.transcripts, providerCopiesExpireBy },
      files,
    };
  }).immediate();
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
