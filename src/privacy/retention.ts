import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock/index.js';
import type { CommentStore } from '../comments/index.js';
import type { Logger } from '../logging/index.js';

const DAY_MS = 86_400_000;

export interface PurgeSummary {
  /** Downloaded comments whose files were deleted. */
  deleted: number;
  /** Files under the recordings directory that no response points at (left by an erasure interrupted by a crash). */
  orphans: number;
  /** Comment texts removed (their themes and sentiment stay, for the report's counts). */
  texts: number;
}

/**
 * Deletes comment recordings and comment texts older than `days` (counted from the response) and
 * marks the recordings `deleted`; the score, themes and sentiment stay. Also removes recording files no row points at. `days` 0 keeps
 * recordings for ever.
 */
export async function purgeRecordings(options: { comments: CommentStore; clock: Clock; logger: Logger; recordingsDir: string; days: number }): Promise<PurgeSummary> {
  if (options.days <= 0) return { deleted: 0, orphans: 0, texts: 0 };
  const { comments } = options;
  const cutoff = options.clock.now() - options.days * DAY_MS;
  const expired = await comments.downloadedBefore(cutoff);
  const root = path.resolve(options.recordingsDir);
  for (const row of expired) {
    if (row.file) {
      const full = path.resolve(root, row.file);
      if (full.startsWith(`${root}${path.sep}`)) await rm(full, { force: true });
    }
    await comments.markRecordingDeleted(row.responseId);
  }
  // The words of a comment are personal data like its audio: they go at the same age.
  const texts = await comments.removeTextsBefore(cutoff);
  const known = new Set((await comments.recordingFiles()).map((file) => path.resolve(root, file)));
  let orphans = 0;
  for (const file of await listFiles(root)) {
    // A file still being written (`.part`) or younger than a day may belong to a download in flight.
    if (known.has(file) || file.endsWith('.part')) continue;
    const info = await stat(file).catch(() => undefined);
    if (!info || options.clock.now() - info.mtimeMs < DAY_MS) continue;
    await rm(file, { force: true });
    orphans++;
  }
  if (expired.length > 0 || orphans > 0 || texts > 0) options.logger.info('recordings purged', { deleted: expired.length, orphans, texts, days: options.days });
  return { deleted: expired.length, orphans, texts };
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
