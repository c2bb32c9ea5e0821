import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { KeyedJobs, type Clock } from '../clock/index.js';
import type { CommentMode } from '../db/schema/index.js';
import type { Logger } from '../logging/index.js';
import { isAllowedRecordingUrl, type RecordingHostPolicy } from '../telephony/index.js';
import type { PendingText } from './comment-store.js';
import { judgeText, taxonomyOfList } from './judgement.js';
import type { CommentStores } from './stores.js';

/** What reading a comment's text gave: its words (possibly none: a silent recording), or why not. */
export type TextResult = { ok: true; text: string; confidence: number | null } | { ok: false; retryable: boolean; reason: string };

/**
 * The port of comment text: where the words of a comment come from. The provider's transcription
 * of the recording is the adapter here (ProviderTranscripts); the speech-input mode hands its text
 * over in the input webhook instead, and a local speech-to-text engine would be a third adapter
 * reading the downloaded audio (docs/adr/0010-comment-text.md).
 */
export interface Transcriber {
  readonly mode: CommentMode;
  /** Reads the text at `source` (for the provider: the transcript's URL from its webhook). */
  fetchText(source: string, signal: AbortSignal): Promise<TextResult>;
}

/** Largest transcript document read: a minute of speech is a few kB of JSON. */
const MAX_TRANSCRIPT_BYTES = 1024 * 1024;

/**
 * The provider's transcript of a recorded comment, downloaded with the application's JWT through
 * the same host allowlist as recordings (reference §6 `record`, §7).
 */
export class ProviderTranscripts implements Transcriber {
  readonly mode = 'recording' as const;
  readonly #o: { authorization: () => Promise<string>; policy: RecordingHostPolicy; timeoutMs: number };

  constructor(options: { authorization: () => Promise<string>; policy: RecordingHostPolicy; timeoutMs?: number }) {
    this.#o = { timeoutMs: 30_000, ...options };
  }

  async fetchText(source: string, signal: AbortSignal): Promise<TextResult> {
    if (!isAllowedRecordingUrl(source, this.#o.policy)) return { ok: false, retryable: false, reason: 'transcript host not allowed' };
    let response: Response;
    try {
      response = await fetch(source, {
        headers: { authorization: await this.#o.authorization(), accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.timeoutMs)]),
      });
    } catch (error) {
      return { ok: false, retryable: true, reason: `download failed: ${(error as Error).message}` };
    }
    if (!response.ok) {
      await response.body?.cancel();
      const status = response.status;
      return { ok: false, retryable: status === 404 || status === 429 || status >= 500, reason: `download answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` };
    }
    const body = await response.text().catch((error: unknown) => new Error(String(error)));
    if (body instanceof Error) return { ok: false, retryable: true, reason: `download interrupted: ${body.message}` };
    if (body.length > MAX_TRANSCRIPT_BYTES) return { ok: false, retryable: false, reason: `transcript larger than ${MAX_TRANSCRIPT_BYTES} bytes` };
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return { ok: false, retryable: false, reason: 'the transcript is not JSON' };
    }
    return parseTranscript(document);
  }
}

/** A confidence given as a number or a numeric string (the provider sends both), else null. */
export const asNumber = (value: unknown): number | null => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
};

/**
 * Reads the provider's transcript document: `channels[].transcript[].sentence` in order, joined; the
 * confidence is the mean of the words' (numbers or numeric strings), null when none is given. A
 * document without channels or sentences is a transcript without words. Any other shape is refused.
 */
export function parseTranscript(document: unknown): TextResult {
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { channels?: unknown }).channels)) {
    return { ok: false, retryable: false, reason: 'the transcript has no channels' };
  }
  const sentences: string[] = [];
  const confidences: number[] = [];
  for (const channel of (document as { channels: unknown[] }).channels) {
    const transcript = (channel as { transcript?: unknown } | null)?.transcript;
    if (!Array.isArray(transcript)) continue;
    for (const part of transcript) {
      const sentence = (part as { sentence?: unknown } | null)?.sentence;
      if (typeof sentence === 'string' && sentence.trim()) sentences.push(sentence.trim());
      const words = (part as { words?: unknown } | null)?.words;
      if (Array.isArray(words)) {
        for (const word of words) {
          const c = asNumber((word as { confidence?: unknown } | null)?.confidence);
          if (c !== null) confidences.push(c);
        }
      }
    }
  }
  const confidence = confidences.length ? confidences.reduce((a, b) => a + b, 0) / confidences.length : null;
  return { ok: true, text: sentences.join(' ').slice(0, 4000), confidence };
}

export interface CommentTextsOptions {
  stores: CommentStores;
  clock: Clock;
  logger: Logger;
  transcriber: Transcriber;
  recordingsDir: string;
  /** Attempts before a text is marked failed (404s are normal for a while). */
  maxAttempts?: number;
  /** First retry delay in clock ms; doubles each time. */
  retryDelayMs?: number;
}

/**
 * The comment text queue: reads each comment's text off the webhook path, with retries and
 * backoff, then classifies it (judgeText); a spoken comment's words are already stored and are
 * only classified. Its state lives in the comment store (the text's status, attempts, due time),
 * so a restart picks up what a killed process left (`resumePending`). A transcript without words
 * is no comment: the audio is deleted at once.
 */
export class CommentTexts {
  readonly #o: Required<CommentTextsOptions>;
  readonly #jobs: KeyedJobs<number>;

  constructor(options: CommentTextsOptions) {
    this.#o = { maxAttempts: 6, retryDelayMs: 2_000, ...options };
    this.#jobs = new KeyedJobs(options.clock);
  }

  enqueue(responseId: number): void {
    this.#jobs.run(responseId, () => this.#run(responseId));
  }

  get pending(): number {
    return this.#jobs.size;
  }

  /** Re-queues every text still pending (after a restart); returns how many. */
  async resumePending(listId?: number): Promise<number> {
    const ids = await this.#o.stores.comments.pendingTexts(listId);
    ids.forEach((id) => this.enqueue(id));
    return ids.length;
  }

  /** Waits for queued texts, at most `timeoutMs` of clock time. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#jobs.drain(timeoutMs);
  }

  /** Stops retries and reads in flight and waits until no job touches the store any more. */
  close(): Promise<void> {
    return this.#jobs.close();
  }

  async #run(responseId: number): Promise<void> {
    const { stores, clock, logger } = this.#o;
    for (;;) {
      const row = await stores.comments.pendingText(responseId);
      if (!row || this.#jobs.signal.aborted) return;
      // A spoken comment's words came with the input webhook: only the classification is left.
      if (row.mode === 'speech' && row.spoken !== null) return this.#store(responseId, row, row.spoken, row.confidence, row.attempts);
      if (!row.transcriptUrl) return;
      const result = await this.#o.transcriber.fetchText(row.transcriptUrl, this.#jobs.signal);
      // Closed while reading: the store may be gone; the text stays pending for next time.
      if (this.#jobs.signal.aborted) return;
      const attempts = row.attempts + 1;
      if (result.ok) {
        await this.#store(responseId, row, result.text, result.confidence, attempts);
        return;
      }
      const giveUp = !result.retryable || attempts >= this.#o.maxAttempts;
      const due = giveUp ? null : clock.now() + this.#o.retryDelayMs * 2 ** (attempts - 1);
      await stores.comments.noteTextFailed(responseId, attempts, due);
      // The reason names a status or a host, never the text (logs hold no personal data).
      logger.warn(giveUp ? 'comment text download failed; giving up' : 'comment text download failed; will retry', { listId: row.listId, callId: row.callId, attempt: attempts, reason: result.reason });
      if (due === null) return;
      try {
        await clock.sleep(due - clock.now(), this.#jobs.signal);
      } catch {
        return;
      }
    }
  }

  async #store(responseId: number, row: PendingText, text: string, confidence: number | null, attempts: number): Promise<void> {
    const { stores, logger } = this.#o;
    if (text.trim() === '') {
      // Silence: not a comment. The audio is personal data with no use; it goes now.
      const cleared = await stores.comments.markTextEmpty(responseId, attempts);
      if (cleared?.file) await unlink(path.join(this.#o.recordingsDir, cleared.file)).catch(() => undefined);
      logger.info('comment without words: audio deleted', { listId: row.listId, callId: row.callId });
      return;
    }
    const judgement = judgeText(await taxonomyOfList(stores.taxonomies, row.listId), { text, language: row.language });
    const stored = await stores.comments.markTextReady(responseId, { words: text, confidence, attempts }, judgement);
    if (!stored) return;
    logger.info('comment text read', { listId: row.listId, callId: row.callId, words: text.split(/\s+/).length, themes: stored.themes });
  }
}
