import { describe, expect, it } from '@jest/globals';
import type { CommentStore, EngineJudgement } from '../../src/comments/comment-store.js';
import type { CommentMode, CommentStatus, CommentTextStatus, IvrStage, JudgementSource, Sentiment } from '../../src/db/schema/index.js';
import { freshFixture } from '../support/conformance.js';

/** A scored response as the scene needs it; every part has a default (a score of 3 and no comment). */
export interface SeededResponse {
  score?: number;
  createdAt?: number;
  phone?: string;
  reason?: string | null;
  /** Where the call's survey stands: `comment` once the callee reached the comment. */
  callStage?: IvrStage | null;
  recording?: { status: CommentStatus; url?: string | null; file?: string | null; attempts?: number };
  text?: {
    status: CommentTextStatus;
    mode?: CommentMode | null;
    transcriptUrl?: string | null;
    words?: string | null;
    confidence?: number | null;
    language?: string | null;
    attempts?: number;
    dueAt?: number | null;
  };
  themes?: string[];
  themesSource?: JudgementSource | null;
  sentiment?: Sentiment | null;
  sentimentSource?: JudgementSource | null;
}

/** A response's comment as stored, read back by the fixture. */
export interface StoredComment {
  recording: { status: CommentStatus; file: string | null; attempts: number };
  text: { status: CommentTextStatus; words: string | null; confidence: number | null; attempts: number; dueAt: number | null };
  /** In name order. */
  themes: string[];
  themesSource: JudgementSource | null;
  sentiment: Sentiment | null;
  sentimentSource: JudgementSource | null;
  /** Audit rows of its theme corrections. */
  corrections: number;
}

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface CommentStoreFixture {
  store: CommentStore;
  /** The same store on a connection of its own, as another node (or process) running the queues holds it. */
  otherNode: CommentStore;
  client(name: string): Promise<number>;
  /** A ready list; `spokenComments` when its script takes the comment as speech. */
  list(options?: { clientId?: number | null; spokenComments?: boolean }): Promise<number>;
  /** A contact of the list with one call and the response `seed` describes; returns the response's id. */
  response(listId: number, seed?: SeededResponse): Promise<number>;
  inspect(responseId: number): Promise<StoredComment>;
  close(): Promise<void>;
}

const pending = (extra: Partial<NonNullable<SeededResponse['recording']>> = {}) => ({ status: 'pending' as const, url: 'https://api.example/v1/files/rec', ...extra });
const pendingText = (extra: Partial<NonNullable<SeededResponse['text']>> = {}) => ({
  status: 'pending' as const,
  mode: 'recording' as const,
  transcriptUrl: 'https://api.example/v1/files/tr',
  language: 'en-US',
  ...extra,
});
const engine = (themes: string[], sentiment: Sentiment = 'negative'): EngineJudgement => ({ themes, sentiment, sentimentSource: 'engine' });

/**
 * The contract of the comment pipeline's store (src/comments/comment-store.ts), which every
 * adapter passes: SQLite today, PostgreSQL with issue 17.
 */
export function commentStoreConformance(name: string, open: () => Promise<CommentStoreFixture>): void {
  describe(`comment store conformance: ${name}`, () => {
    const start = freshFixture(open);

    describe('recording downloads', () => {
      it('knows which recordings are pending, of every list or of one, in id order', async () => {
        const f = await start();
        const a = await f.list();
        const b = await f.list();
        const a1 = await f.response(a, { recording: pending() });
        const b1 = await f.response(b, { recording: pending() });
        await f.response(a, { recording: { status: 'downloaded', file: 'list-1/call-1.mp3' } });
        await f.response(a, { recording: { status: 'failed' } });
        await f.response(a);
        const a2 = await f.response(a, { recording: pending() });
        await expect(f.store.pendingDownloads()).resolves.toEqual([a1, b1, a2]);
        await expect(f.store.pendingDownloads(a)).resolves.toEqual([a1, a2]);
        await expect(f.store.pendingDownloads(b)).resolves.toEqual([b1]);
        await expect(f.store.pendingDownloads(b + 1000)).resolves.toEqual([]);
      });

      it('reads a pending download with its URL and attempts, and nothing of one without a URL or not pending', async () => {
        const f = await start();
        const listId = await f.list();
        const id = await f.response(listId, { recording: pending({ attempts: 2 }) });
        const noUrl = await f.response(listId, { recording: { status: 'pending', url: null } });
        const done = await f.response(listId, { recording: { status: 'downloaded', url: 'https://api.example/v1/files/x', file: 'f.mp3' } });
        const download = await f.store.pendingDownload(id);
        expect(download).toEqual({ listId, callId: expect.any(Number), url: 'https://api.example/v1/files/rec', attempts: 2 });
        await expect(f.store.pendingDownload(noUrl)).resolves.toBeUndefined();
        await expect(f.store.pendingDownload(done)).resolves.toBeUndefined();
        await expect(f.store.pendingDownload(id + done + 1000)).resolves.toBeUndefined();
      });

      it('stores a finished download once: a second finish (another process, a duplicate) changes nothing', async () => {
        const f = await start();
        const id = await f.response(await f.list(), { recording: pending() });
        await expect(f.store.markDownloaded(id, 'list-1/call-1.mp3', 1)).resolves.toBe(true);
        await expect(f.store.markDownloaded(id, 'list-1/call-1-again.mp3', 2)).resolves.toBe(false);
        await expect(f.store.noteDownloadFailed(id, 3, true)).resolves.toBe(false);
        expect((await f.inspect(id)).recording).toEqual({ status: 'downloaded', file: 'list-1/call-1.mp3', attempts: 1 });
        await expect(f.store.pendingDownload(id)).resolves.toBeUndefined();
        await expect(f.store.pendingDownloads()).resolves.toEqual([]);
      });

      it('counts failed attempts while the recording stays pending, and gives up on the last', async () => {
        const f = await start();
        const id = await f.response(await f.list(), { recording: pending() });
        await expect(f.store.noteDownloadFailed(id, 1, false)).resolves.toBe(true);
        expect((await f.inspect(id)).recording).toEqual({ status: 'pending', file: null, attempts: 1 });
        await expect(f.store.pendingDownload(id)).resolves.toMatchObject({ attempts: 1 });
        await expect(f.store.noteDownloadFailed(id, 2, true)).resolves.toBe(true);
        expect((await f.inspect(id)).recording).toEqual({ status: 'failed', file: null, attempts: 2 });
        await expect(f.store.pendingDownloads()).resolves.toEqual([]);
        // A late success after the give-up does not bring it back.
        await expect(f.store.markDownloaded(id, 'late.mp3', 3)).resolves.toBe(false);
        expect((await f.inspect(id)).recording.status).toBe('failed');
      });

      it('counts the scores still waiting for their recording webhook: at the comment, nothing noted, not a spoken-comment list', async () => {
        const f = await start();
        const listId = await f.list();
        const spoken = await f.list({ spokenComments: true });
        await f.response(listId, { callStage: 'comment' });
        await f.response(listId, { callStage: 'comment' });
        await f.response(listId, { callStage: 'comment', recording: pending() });
        await f.response(listId, { callStage: 'reason' });
        await f.response(listId, { callStage: 'done' });
        await f.response(spoken, { callStage: 'comment' });
        await expect(f.store.awaitingRecordings(listId)).resolves.toBe(2);
        await expect(f.store.awaitingRecordings(spoken)).resolves.toBe(0);
        await expect(f.store.awaitingRecordings(listId + spoken + 1000)).resolves.toBe(0);
      });
    });

    describe('comment texts', () => {
      it('knows which texts are pending, of every list or of one, in id order', async () => {
        const f = await start();
        const a = await f.list();
        const b = await f.list();
        const a1 = await f.response(a, { text: pendingText() });
        await f.response(a, { text: { status: 'ready', words: 'Too dear' } });
        const b1 = await f.response(b, { text: pendingText({ mode: 'speech', transcriptUrl: null, words: 'Slow delivery' }) });
        await f.response(b, { text: { status: 'failed' } });
        await expect(f.store.pendingTexts()).resolves.toEqual([a1, b1]);
        await expect(f.store.pendingTexts(a)).resolves.toEqual([a1]);
        await expect(f.store.pendingTexts(b)).resolves.toEqual([b1]);
      });

      it("reads a pending text with where its words are, its language and attempts, and nothing of one that is not pending", async () => {
        const f = await start();
        const listId = await f.list();
        const recorded = await f.response(listId, { text: pendingText({ attempts: 1 }) });
        const spoken = await f.response(listId, { text: pendingText({ mode: 'speech', transcriptUrl: null, words: 'Rude staff', confidence: 0.75, language: 'pl-PL' }) });
        const ready = await f.response(listId, { text: { status: 'ready', words: 'Fine' } });
        await expect(f.store.pendingText(recorded)).resolves.toEqual({
          listId,
          callId: expect.any(Number),
          mode: 'recording',
          transcriptUrl: 'https://api.example/v1/files/tr',
          spoken: null,
          confidence: null,
          language: 'en-US',
          attempts: 1,
        });
        await expect(f.store.pendingText(spoken)).resolves.toMatchObject({ mode: 'speech', transcriptUrl: null, spoken: 'Rude staff', confidence: 0.75, language: 'pl-PL', attempts: 0 });
        await expect(f.store.pendingText(ready)).resolves.toBeUndefined();
        await expect(f.store.pendingText(ready + 1000)).resolves.toBeUndefined();
      });

      it('stores the words as ready together with their themes and sentiment, once: a text read again after it was ready changes nothing', async () => {
        const f = await start();
        const id = await f.response(await f.list(), { text: pendingText({ dueAt: 5000 }) });
        const stored = await f.store.markTextReady(id, { words: 'Far too expensive', confidence: 0.8, attempts: 1 }, engine(['price', 'billing']));
        expect(stored).toEqual({ themes: ['price', 'billing'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'engine' });
        const after = await f.inspect(id);
        expect(after).toMatchObject({ text: { status: 'ready', words: 'Far too expensive', confidence: 0.8, attempts: 1, dueAt: null }, themes: ['billing', 'price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'engine' });
        await expect(f.store.markTextReady(id, { words: 'Something else', confidence: 0.1, attempts: 2 }, engine(['service'], 'positive'))).resolves.toBeUndefined();
        await expect(f.store.markTextEmpty(id, 2)).resolves.toBeUndefined();
        await expect(f.store.noteTextFailed(id, 2, null)).resolves.toBe(false);
        await expect(f.inspect(id)).resolves.toEqual(after);
        await expect(f.store.pendingText(id)).resolves.toBeUndefined();
      });

      it("keeps a person's themes and sentiment when the words are stored", async () => {
        const f = await start();
        const id = await f.response(await f.list(), { text: pendingText(), themes: ['service'], themesSource: 'manual', sentiment: 'neutral', sentimentSource: 'manual' });
        await expect(f.store.markTextReady(id, { words: 'Too dear', confidence: null, attempts: 1 }, engine(['price']))).resolves.toEqual({
          themes: ['service'],
          themesSource: 'manual',
          sentiment: 'neutral',
          sentimentSource: 'manual',
        });
        await expect(f.inspect(id)).resolves.toMatchObject({ text: { status: 'ready', words: 'Too dear', confidence: null }, themes: ['service'] });
      });

      it("takes a text without words as no comment: empty, its recording deleted and its file reference handed back, once", async () => {
        const f = await start();
        const listId = await f.list();
        const downloaded = await f.response(listId, { recording: { status: 'downloaded', file: 'list-1/call-7.mp3' }, text: pendingText() });
        const noRecording = await f.response(listId, { text: pendingText({ mode: 'speech', transcriptUrl: null, words: '' }) });
        await expect(f.store.markTextEmpty(downloaded, 1)).resolves.toEqual({ file: 'list-1/call-7.mp3' });
        await expect(f.inspect(downloaded)).resolves.toMatchObject({ recording: { status: 'deleted', file: null }, text: { status: 'empty', words: null, attempts: 1, dueAt: null } });
        await expect(f.store.markTextEmpty(downloaded, 2)).resolves.toBeUndefined();
        await expect(f.store.markTextEmpty(noRecording, 0)).resolves.toEqual({ file: null });
        await expect(f.inspect(noRecording)).resolves.toMatchObject({ recording: { status: 'none', file: null }, text: { status: 'empty', words: null } });
        // A silent recording still downloading is deleted too: its download finds nothing pending.
        const downloading = await f.response(listId, { recording: pending(), text: pendingText() });
        await f.store.markTextEmpty(downloading, 1);
        await expect(f.store.markDownloaded(downloading, 'list-1/call-9.mp3', 1)).resolves.toBe(false);
        expect((await f.inspect(downloading)).recording).toMatchObject({ status: 'deleted', file: null });
      });

      it('counts failed attempts with the next one due, and gives up without a due time', async () => {
        const f = await start();
        const id = await f.response(await f.list(), { text: pendingText({ dueAt: 1000 }) });
        await expect(f.store.noteTextFailed(id, 1, 3000)).resolves.toBe(true);
        expect((await f.inspect(id)).text).toEqual({ status: 'pending', words: null, confidence: null, attempts: 1, dueAt: 3000 });
        await expect(f.store.pendingText(id)).resolves.toMatchObject({ attempts: 1 });
        await expect(f.store.noteTextFailed(id, 2, null)).resolves.toBe(true);
        expect((await f.inspect(id)).text).toEqual({ status: 'failed', words: null, confidence: null, attempts: 2, dueAt: null });
        await expect(f.store.pendingTexts()).resolves.toEqual([]);
        await expect(f.store.markTextReady(id, { words: 'late', confidence: null, attempts: 3 }, engine(['other']))).resolves.toBeUndefined();
        expect((await f.inspect(id)).text.status).toBe('failed');
      });
    });

    describe('judgements', () => {
      it('reads a comment to judge, and the comments with words of a list in id order', async () => {
        const f = await start();
        const listId = await f.list();
        const first = await f.response(listId, { text: { status: 'ready', words: 'Too dear', language: 'en-US' }, themes: ['price', 'billing'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'provider' });
        await f.response(listId, { text: pendingText() });
        await f.response(listId, { text: { status: 'empty' } });
        const second = await f.response(listId, { text: { status: 'ready', words: 'Lovely', language: 'pl-PL' } });
        await f.response(await f.list(), { text: { status: 'ready', words: 'Other list' } });
        const expected = { responseId: first, listId, text: 'Too dear', language: 'en-US', themes: ['billing', 'price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'provider' };
        await expect(f.store.commentToJudge(first)).resolves.toEqual(expected);
        await expect(f.store.commentToJudge(first + second + 1000)).resolves.toBeUndefined();
        const withWords = await f.store.commentsWithWords(listId);
        expect(withWords.map((c) => c.responseId)).toEqual([first, second]);
        expect(withWords[0]).toEqual(expected);
        expect(withWords[1]).toEqual({ responseId: second, listId, text: 'Lovely', language: 'pl-PL', themes: [], themesSource: null, sentiment: null, sentimentSource: null });
      });

      it("stores a judgement in place of the engine's last one, keeping a person's themes or sentiment", async () => {
        const f = await start();
        const listId = await f.list();
        const byEngine = await f.response(listId, { text: { status: 'ready', words: 'Too dear' }, themes: ['service'], themesSource: 'engine', sentiment: 'positive', sentimentSource: 'engine' });
        const manualThemes = await f.response(listId, { text: { status: 'ready', words: 'Too dear' }, themes: ['quality'], themesSource: 'manual', sentiment: 'positive', sentimentSource: 'engine' });
        const manualSentiment = await f.response(listId, { text: { status: 'ready', words: 'Too dear' }, themes: ['quality'], themesSource: 'engine', sentiment: 'neutral', sentimentSource: 'manual' });
        const judgement: EngineJudgement = { themes: ['price'], sentiment: 'negative', sentimentSource: 'provider' };
        await expect(f.store.recordJudgement(byEngine, judgement)).resolves.toEqual({ themes: ['price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'provider' });
        await expect(f.store.recordJudgement(manualThemes, judgement)).resolves.toEqual({ themes: ['quality'], themesSource: 'manual', sentiment: 'negative', sentimentSource: 'provider' });
        await expect(f.store.recordJudgement(manualSentiment, judgement)).resolves.toEqual({ themes: ['price'], themesSource: 'engine', sentiment: 'neutral', sentimentSource: 'manual' });
        await expect(f.store.themesOf(byEngine)).resolves.toEqual(['price']);
        await expect(f.store.themesOf(manualThemes)).resolves.toEqual(['quality']);
        await expect(f.inspect(manualSentiment)).resolves.toMatchObject({ themes: ['price'], sentiment: 'neutral', sentimentSource: 'manual' });
        await expect(f.store.recordJudgement(byEngine + manualThemes + manualSentiment + 1000, judgement)).resolves.toBeUndefined();
      });
    });

    describe('corrections', () => {
      it('knows what a correction needs of a response: its list, the owning client, the state of its text', async () => {
        const f = await start();
        const clientId = await f.client('Acme');
        const owned = await f.list({ clientId });
        const orphan = await f.list();
        const id = await f.response(owned, { text: { status: 'ready', words: 'Too dear' } });
        const other = await f.response(orphan, { text: pendingText() });
        await expect(f.store.correctionTarget(id)).resolves.toEqual({ responseId: id, listId: owned, clientId, textStatus: 'ready' });
        await expect(f.store.correctionTarget(other)).resolves.toEqual({ responseId: other, listId: orphan, clientId: null, textStatus: 'pending' });
        await expect(f.store.correctionTarget(id + other + 1000)).resolves.toBeUndefined();
      });

      it('stores a correction as manual and audits it; a repeat is not audited; a sentiment-only change is', async () => {
        const f = await start();
        const id = await f.response(await f.list(), { text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'engine' });
        const first = await f.store.correct({ responseId: id, themes: ['price', 'service'], actor: 'operator', at: 1000 });
        expect(first).toEqual({ themes: ['price', 'service'], themesSource: 'manual', sentiment: 'negative', sentimentSource: 'engine', correctionId: expect.any(Number) });
        await expect(f.store.correct({ responseId: id, themes: ['price', 'service'], actor: 'operator', at: 2000 })).resolves.toMatchObject({ correctionId: null, themes: ['price', 'service'] });
        const sentiment = await f.store.correct({ responseId: id, themes: ['price', 'service'], sentiment: 'neutral', actor: 'client:7', at: 3000 });
        expect(sentiment).toMatchObject({ themesSource: 'manual', sentiment: 'neutral', sentimentSource: 'manual', correctionId: expect.any(Number) });
        await expect(f.store.correct({ responseId: id, themes: ['price', 'service'], sentiment: 'neutral', actor: 'client:7', at: 4000 })).resolves.toMatchObject({ correctionId: null });
        await expect(f.store.correctionsOf(id)).resolves.toEqual([
          { id: first!.correctionId, actor: 'operator', before: ['price'], after: ['price', 'service'], correctedAt: 1000 },
          { id: sentiment!.correctionId, actor: 'client:7', before: ['price', 'service'], after: ['price', 'service'], correctedAt: 3000 },
        ]);
        await expect(f.inspect(id)).resolves.toMatchObject({ themes: ['price', 'service'], themesSource: 'manual', sentiment: 'neutral', sentimentSource: 'manual', corrections: 2 });
      });

      it("audits the first correction of the engine's themes even when it confirms them", async () => {
        const f = await start();
        const id = await f.response(await f.list(), { text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'engine' });
        await expect(f.store.correct({ responseId: id, themes: ['price'], actor: 'operator', at: 1000 })).resolves.toMatchObject({ themesSource: 'manual', correctionId: expect.any(Number) });
        await expect(f.store.correctionsOf(id)).resolves.toEqual([{ id: expect.any(Number), actor: 'operator', before: ['price'], after: ['price'], correctedAt: 1000 }]);
      });

      it('corrects nothing of a response without words', async () => {
        const f = await start();
        const listId = await f.list();
        const waiting = await f.response(listId, { text: pendingText() });
        await expect(f.store.correct({ responseId: waiting, themes: ['price'], actor: 'operator', at: 1000 })).resolves.toBeUndefined();
        await expect(f.store.correct({ responseId: waiting + 1000, themes: ['price'], actor: 'operator', at: 1000 })).resolves.toBeUndefined();
        await expect(f.inspect(waiting)).resolves.toMatchObject({ themes: [], themesSource: null, corrections: 0 });
        await expect(f.store.correctionsOf(waiting)).resolves.toEqual([]);
      });
    });

    describe('listing', () => {
      it("knows a list's owner, and nothing of an unknown list", async () => {
        const f = await start();
        const clientId = await f.client('Acme');
        const owned = await f.list({ clientId });
        const orphan = await f.list();
        await expect(f.store.listOwner(owned)).resolves.toEqual({ clientId });
        await expect(f.store.listOwner(orphan)).resolves.toEqual({ clientId: null });
        await expect(f.store.listOwner(owned + orphan + 1000)).resolves.toBeUndefined();
      });

      it('lists the comments with words of a list, lowest score first then by response, filtered by score range and theme', async () => {
        const f = await start();
        const listId = await f.list();
        const promoter = await f.response(listId, {
          score: 10,
          createdAt: 5000,
          phone: '+48600000010',
          reason: 'service',
          text: { status: 'ready', words: 'Lovely staff', language: 'en-US' },
          themes: ['service', 'quality'],
          themesSource: 'engine',
          sentiment: 'positive',
          sentimentSource: 'provider',
        });
        const detractor = await f.response(listId, { score: 2, createdAt: 6000, phone: '+48600000002', text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'manual' });
        const sameScore = await f.response(listId, { score: 2, phone: '+48600000003', text: { status: 'ready', words: null } });
        await f.response(listId, { score: 1, text: pendingText() });
        await f.response(listId, { score: 0, text: { status: 'empty' } });
        await f.response(await f.list(), { score: 3, text: { status: 'ready', words: 'Elsewhere' } });
        const all = await f.store.commentsOfList(listId, { minScore: 0, maxScore: 10 });
        expect(all.map((c) => c.responseId)).toEqual([detractor, sameScore, promoter]);
        expect(all[2]).toEqual({
          responseId: promoter,
          score: 10,
          text: 'Lovely staff',
          language: 'en-US',
          themes: ['quality', 'service'],
          themesSource: 'engine',
          sentiment: 'positive',
          sentimentSource: 'provider',
          reason: 'service',
          respondedAt: 5000,
          phone: '+48600000010',
        });
        // Words removed by retention: still listed, with its themes.
        expect(all[1]).toMatchObject({ text: null, themes: [], themesSource: null, sentiment: null, reason: null });
        expect((await f.store.commentsOfList(listId, { minScore: 0, maxScore: 6 })).map((c) => c.responseId)).toEqual([detractor, sameScore]);
        expect((await f.store.commentsOfList(listId, { minScore: 9, maxScore: 10 })).map((c) => c.responseId)).toEqual([promoter]);
        expect((await f.store.commentsOfList(listId, { minScore: 0, maxScore: 10, theme: 'quality' })).map((c) => c.responseId)).toEqual([promoter]);
        expect((await f.store.commentsOfList(listId, { minScore: 9, maxScore: 10, theme: 'price' })).map((c) => c.responseId)).toEqual([]);
        await expect(f.store.commentsOfList(listId + 1000, { minScore: 0, maxScore: 10 })).resolves.toEqual([]);
      });
    });

    describe('retention', () => {
      it('finds the downloaded recordings older than a cutoff and marks each deleted once', async () => {
        const f = await start();
        const listId = await f.list();
        const old = await f.response(listId, { createdAt: 1000, recording: { status: 'downloaded', file: 'list-1/call-1.mp3' } });
        const oldNoFile = await f.response(listId, { createdAt: 1500, recording: { status: 'downloaded', file: null } });
        await f.response(listId, { createdAt: 1000, recording: { status: 'failed' } });
        await f.response(listId, { createdAt: 9000, recording: { status: 'downloaded', file: 'list-1/call-3.mp3' } });
        await expect(f.store.downloadedBefore(5000)).resolves.toEqual([
          { responseId: old, file: 'list-1/call-1.mp3' },
          { responseId: oldNoFile, file: null },
        ]);
        await expect(f.store.recordingFiles()).resolves.toEqual(expect.arrayContaining(['list-1/call-1.mp3', 'list-1/call-3.mp3']));
        await expect(f.store.markRecordingDeleted(old)).resolves.toBe(true);
        await expect(f.store.markRecordingDeleted(old)).resolves.toBe(false);
        expect((await f.inspect(old)).recording).toEqual({ status: 'deleted', file: null, attempts: 0 });
        await expect(f.store.downloadedBefore(5000)).resolves.toEqual([{ responseId: oldNoFile, file: null }]);
        await expect(f.store.recordingFiles()).resolves.toEqual(['list-1/call-3.mp3']);
      });

      it('removes the words of comments older than a cutoff and keeps their themes and sentiment', async () => {
        const f = await start();
        const listId = await f.list();
        const old = await f.response(listId, { createdAt: 1000, text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'engine' });
        const recent = await f.response(listId, { createdAt: 9000, text: { status: 'ready', words: 'Lovely' } });
        await expect(f.store.removeTextsBefore(5000)).resolves.toBe(1);
        await expect(f.store.removeTextsBefore(5000)).resolves.toBe(0);
        await expect(f.inspect(old)).resolves.toMatchObject({ text: { status: 'ready', words: null }, themes: ['price'], sentiment: 'negative' });
        expect((await f.inspect(recent)).text.words).toBe('Lovely');
      });
    });

    describe('two nodes at once', () => {
      // Each pair of calls is started together, eight comments at a time: on PostgreSQL they meet at
      // the server, on SQLite the first finishes before the second starts. Either way one wins.
      const COMMENTS = 8;

      it("finishes a download once when two nodes finish it together: the winner's outcome is stored, the other changes nothing", async () => {
        const f = await start();
        const listId = await f.list();
        const ids: number[] = [];
        for (let i = 0; i < COMMENTS; i++) ids.push(await f.response(listId, { recording: pending() }));
        const outcomes = await Promise.all(
          ids.map((id, i) =>
            Promise.all([
              f.store.markDownloaded(id, `a/call-${id}.mp3`, 1),
              i % 2 === 0 ? f.otherNode.markDownloaded(id, `b/call-${id}.mp3`, 1) : f.otherNode.noteDownloadFailed(id, 1, true),
            ]),
          ),
        );
        for (const [i, [first, second]] of outcomes.entries()) {
          expect([first, second].filter(Boolean)).toHaveLength(1);
          const id = ids[i]!;
          const expected = first
            ? { status: 'downloaded', file: `a/call-${id}.mp3`, attempts: 1 }
            : i % 2 === 0
              ? { status: 'downloaded', file: `b/call-${id}.mp3`, attempts: 1 }
              : { status: 'failed', file: null, attempts: 1 };
          expect((await f.inspect(id)).recording).toEqual(expected);
        }
      });

      it('stores a text once when two nodes read it together: its words (with their themes) or no comment, never both nor a mix', async () => {
        const f = await start();
        const listId = await f.list();
        const ids: number[] = [];
        for (let i = 0; i < COMMENTS; i++) ids.push(await f.response(listId, { recording: { status: 'downloaded', file: `list-1/call-${i}.mp3` }, text: pendingText() }));
        const outcomes = await Promise.all(
          ids.map((id, i) =>
            Promise.all([
              f.store.markTextReady(id, { words: 'Too dear', confidence: 0.9, attempts: 1 }, engine(['price'])),
              i % 2 === 0 ? f.otherNode.markTextReady(id, { words: 'Slow delivery', confidence: 0.5, attempts: 1 }, engine(['delivery', 'service'], 'neutral')) : f.otherNode.markTextEmpty(id, 1),
            ]),
          ),
        );
        for (const [i, [first, second]] of outcomes.entries()) {
          expect([first, second].filter((o) => o !== undefined)).toHaveLength(1);
          const stored = await f.inspect(ids[i]!);
          if (first) {
            expect(stored).toMatchObject({ recording: { status: 'downloaded' }, text: { status: 'ready', words: 'Too dear' }, themes: ['price'], sentiment: 'negative' });
          } else if (i % 2 === 0) {
            expect(stored).toMatchObject({ recording: { status: 'downloaded' }, text: { status: 'ready', words: 'Slow delivery' }, themes: ['delivery', 'service'], sentiment: 'neutral' });
          } else {
            expect(second).toEqual({ file: `list-1/call-${i}.mp3` });
            expect(stored).toMatchObject({ recording: { status: 'deleted', file: null }, text: { status: 'empty', words: null }, themes: [] });
          }
        }
      });

      it("never lets a re-classification overwrite a person's correction made at the same moment", async () => {
        const f = await start();
        const listId = await f.list();
        const ids: number[] = [];
        for (let i = 0; i < COMMENTS; i++) ids.push(await f.response(listId, { text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'engine', sentiment: 'negative', sentimentSource: 'engine' }));
        await Promise.all(
          ids.map((id) =>
            Promise.all([f.store.correct({ responseId: id, themes: ['service'], actor: 'operator', at: 1000 }), f.otherNode.recordJudgement(id, engine(['billing'], 'positive'))]),
          ),
        );
        for (const id of ids) {
          // The correction left the sentiment to the engine: the re-classification's stays, whichever came first.
          await expect(f.inspect(id)).resolves.toMatchObject({ themes: ['service'], themesSource: 'manual', sentiment: 'positive', sentimentSource: 'engine', corrections: 1 });
        }
      });

      it('audits two people making the same correction at once one after the other: the second is a repeat', async () => {
        const f = await start();
        const listId = await f.list();
        const ids: number[] = [];
        for (let i = 0; i < COMMENTS; i++) ids.push(await f.response(listId, { text: { status: 'ready', words: 'Too dear' }, themes: ['price'], themesSource: 'engine' }));
        const outcomes = await Promise.all(
          ids.map((id) =>
            Promise.all([
              f.store.correct({ responseId: id, themes: ['service'], actor: 'operator', at: 1000 }),
              f.otherNode.correct({ responseId: id, themes: ['service'], actor: 'client:7', at: 1000 }),
            ]),
          ),
        );
        for (const [i, pair] of outcomes.entries()) {
          expect(pair.filter((c) => c?.correctionId !== null)).toHaveLength(1);
          await expect(f.store.correctionsOf(ids[i]!)).resolves.toEqual([{ id: expect.any(Number), actor: expect.any(String), before: ['price'], after: ['service'], correctedAt: 1000 }]);
        }
      });
    });
  });
}
