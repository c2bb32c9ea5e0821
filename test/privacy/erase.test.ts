import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SqliteCommentStore } from '../../src/comments/index.js';
import { eraseNumber, purgeRecordings, SqliteErasureStore } from '../../src/privacy/index.js';
import { createList, startCall, webhookHarness } from '../support/dialer.js';
import { ManualClock } from '../../src/clock/index.js';
import { openMemoryDatabase } from '../../src/db/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { tempDir } from '../support/factories.js';
import { seedList, START } from '../support/reports.js';

const count = (h: ReturnType<typeof webhookHarness>, sql: string, ...params: unknown[]) => (h.database.sqlite.prepare(sql).get(...params) as { n: number }).n;

/** A person answered in two lists, with a score, a recording and a billing line in the first. */
function personInTwoLists() {
  const h = webhookHarness();
  const first = createList(h.database, { contacts: [{ phone: '+48501234567' }, { phone: '+48601234567' }] });
  const second = createList(h.database, { contacts: [{ phone: '+48501234567' }] });
  const { callId } = startCall(h.database, first.contactIds[0]!);
  const { sqlite } = h.database;
  const file = path.join(`list-${first.listId}`, `call-${callId}.mp3`);
  mkdirSync(path.join(h.recordingsDir, `list-${first.listId}`), { recursive: true });
  writeFileSync(path.join(h.recordingsDir, file), 'audio');
  sqlite.prepare(`UPDATE calls SET state = 'ended', outcome = 'human', duration_seconds = 40 WHERE id = ?`).run(callId);
  sqlite.prepare(`UPDATE contacts SET status = 'responded' WHERE id = ?`).run(first.contactIds[0]);
  sqlite.prepare(`INSERT INTO call_events (call_id, kind, status, occurred_at, received_at, payload) VALUES (?, 'status', 'completed', 0, 0, '{"to":"48501234567"}')`).run(callId);
  sqlite.prepare(`INSERT INTO responses (contact_id, call_id, list_id, score, comment_status, comment_file, created_at) VALUES (?, ?, ?, 9, 'downloaded', ?, ?)`).run(first.contactIds[0], callId, first.listId, file, h.clock.now());
  sqlite.prepare(`INSERT INTO billing_lines (call_id, list_id, billable_seconds, amount_minor, currency, created_at) VALUES (?, ?, 60, 12, 'EUR', 0)`).run(callId, first.listId);
  return { h, first, second, file };
}

describe('erasing a person', () => {
  it("removes the comment's words, its themes and its theme corrections, and says when the provider's copies expire", async () => {
    const { h, first } = personInTwoLists();
    const { sqlite } = h.database;
    sqlite.prepare(`UPDATE responses SET comment_text_status = 'ready', comment_text = 'Far too expensive', themes_source = 'manual'`).run();
    const responseId = (sqlite.prepare('SELECT id FROM responses').get() as { id: number }).id;
    sqlite.prepare(`INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, 'price')`).run(responseId, first.listId);
    sqlite.prepare(`INSERT INTO theme_corrections (response_id, list_id, actor, before, after, corrected_at) VALUES (?, ?, 'operator', '[]', '["price"]', 0)`).run(responseId, first.listId);
    const summary = await eraseNumber({ erasures: new SqliteErasureStore(h.database), clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, number: '+48501234567' });
    expect(summary.transcripts).toBe(1);
    expect(summary.providerCopiesExpireBy).toBe(new Date(h.clock.now() + 30 * 86_400_000).toISOString());
    expect(count(h, `SELECT count(*) AS n FROM responses WHERE comment_text IS NOT NULL`)).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM response_themes')).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM theme_corrections')).toBe(0);
  });

  it('removes them from every list, call, callback, response and recording, and records the erasure without the number', async () => {
    const { h, file } = personInTwoLists();
    const summary = await eraseNumber({ erasures: new SqliteErasureStore(h.database), clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, number: '+48 501 234 567' });
    expect(summary).toEqual({
      erasureId: 1,
      contacts: 2,
      lists: 2,
      calls: 1,
      responses: 1,
      recordings: 1,
      billingLinesKept: 1,
      suppressionKept: false,
      transcripts: 0,
      providerCopiesExpireBy: new Date(h.clock.now() + 30 * 86_400_000).toISOString(),
    });
    expect(count(h, `SELECT count(*) AS n FROM contacts WHERE phone_e164 = '+48501234567'`)).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM calls')).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM call_events')).toBe(0);
    expect(count(h, 'SELECT count(*) AS n FROM responses')).toBe(0);
    expect(existsSync(path.join(h.recordingsDir, file))).toBe(false);
    // The other person stays; the invoice keeps its amount, detached from the erased call.
    expect(count(h, `SELECT count(*) AS n FROM contacts WHERE phone_e164 = '+48601234567'`)).toBe(1);
    expect(h.database.sqlite.prepare('SELECT call_id AS callId, amount_minor AS amount FROM billing_lines').all()).toEqual([{ callId: null, amount: 12 }]);
    const erasure = h.database.sqlite.prepare('SELECT * FROM erasures').get() as Record<string, unknown>;
    expect(JSON.stringify(erasure)).not.toMatch(/501\s?234\s?567/);
  });

  it('keeps the number on the do-not-call list, so an objection stays honoured', async () => {
    const { h } = personInTwoLists();
    h.database.sqlite.prepare(`INSERT INTO suppressions (phone_e164, source, created_at) VALUES ('+48501234567', 'opt_out', 0)`).run();
    const summary = await eraseNumber({ erasures: new SqliteErasureStore(h.database), clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, number: '+48501234567' });
    expect(summary.suppressionKept).toBe(true);
    expect(count(h, 'SELECT count(*) AS n FROM suppressions')).toBe(1);
  });

  it('refuses while a call to the number is live, and refuses an invalid number', async () => {
    const h = webhookHarness();
    const { contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }] });
    startCall(h.database, contactIds[0]!);
    await expect(eraseNumber({ erasures: new SqliteErasureStore(h.database), clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, number: '+48501234567' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(count(h, 'SELECT count(*) AS n FROM contacts')).toBe(1);
    await expect(eraseNumber({ erasures: new SqliteErasureStore(h.database), clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, number: '12' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('recording retention', () => {
  it('deletes recordings older than the retention period and keeps the score', async () => {
    const { h, file } = personInTwoLists();
    expect(await purgeRecordings({ comments: h.commentStores.comments, clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, days: 30 })).toEqual({ deleted: 0, orphans: 0, texts: 0 });
    h.clock.advance(31 * 86_400_000);
    expect(await purgeRecordings({ comments: h.commentStores.comments, clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, days: 30 })).toEqual({ deleted: 1, orphans: 0, texts: 0 });
    expect(existsSync(path.join(h.recordingsDir, file))).toBe(false);
    expect(h.database.sqlite.prepare('SELECT score, comment_status AS status, comment_file AS file FROM responses').get()).toEqual({ score: 9, status: 'deleted', file: null });
  });

  it('removes day-old files no response points at, and keeps everything when retention is 0', async () => {
    const { h } = personInTwoLists();
    const orphan = path.join(h.recordingsDir, 'list-9', 'call-99.mp3');
    mkdirSync(path.dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'left by a crash');
    const twoDaysAgo = (h.clock.now() - 2 * 86_400_000) / 1000;
    utimesSync(orphan, twoDaysAgo, twoDaysAgo);
    expect(await purgeRecordings({ comments: h.commentStores.comments, clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, days: 0 })).toEqual({ deleted: 0, orphans: 0, texts: 0 });
    expect(existsSync(orphan)).toBe(true);
    expect(await purgeRecordings({ comments: h.commentStores.comments, clock: h.clock, logger: h.deps.logger, recordingsDir: h.recordingsDir, days: 365 })).toEqual({ deleted: 0, orphans: 1, texts: 0 });
    expect(existsSync(orphan)).toBe(false);
  });
});

describe('retention of comment texts (#16 item 6)', () => {
  it('removes the words of comments older than the retention with their audio; themes and sentiment stay for the counts', async () => {
    const database = openMemoryDatabase();
    seedList(database, { contacts: [{ score: 2, text: { text: 'Rude staff', themes: ['service'], sentiment: 'negative' } }] });
    const clock = new ManualClock(START + 31 * 86_400_000);
    const summary = await purgeRecordings({ comments: new SqliteCommentStore(database), clock, logger: createSilentLogger(), recordingsDir: tempDir('nps-ret-'), days: 30 });
    expect(summary).toEqual({ deleted: 0, orphans: 0, texts: 1 });
    expect(database.sqlite.prepare('SELECT comment_text AS text, comment_text_status AS status, sentiment FROM responses').get()).toEqual({ text: null, status: 'ready', sentiment: 'negative' });
    expect(database.sqlite.prepare('SELECT theme FROM response_themes').pluck().all()).toEqual(['service']);
  });
});
