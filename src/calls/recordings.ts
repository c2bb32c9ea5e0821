import path from 'node:path';
import { KeyedJobs, type Clock } from '../clock/index.js';
import type { CommentStore } from '../comments/index.js';
import type { Logger } from '../logging/index.js';
import { downloadRecording, parseProviderTime, type RecordingHostPolicy } from '../telephony/index.js';
import type { CallDeps } from './deps.js';
import type { ResponseQueue } from './survey-flow.js';

export interface RecordingPayload {
  recording_url?: string | undefined;
  start_time?: string | undefined;
  end_time?: string | undefined;
  timestamp?: string | undefined;
  [key: string]: unknown;
}

/**
 * The recording webhook: stores where the comment is and queues its download. It arrives some
 * time after the record action started, possibly after `completed`; it carries no call uuid, so
 * the call is found by the ref in our URL. Returns false for an unknown ref (nothing stored).
 */
export async function handleRecording(deps: CallDeps, downloads: ResponseQueue, ref: string, payload: RecordingPayload): Promise<boolean> {
  const now = deps.clock.now();
  const url = typeof payload.recording_url === 'string' ? payload.recording_url : undefined;
  const start = parseProviderTime(payload.start_time);
  const end = parseProviderTime(payload.end_time);
  const seconds = start !== undefined && end !== undefined && end >= start ? Math.round((end - start) / 1000) : null;
  const stored = await deps.units.run(async (tx) => {
    const call = await tx.calls.byRef(ref);
    if (!call) return undefined;
    await tx.calls.recordEvent({ callId: call.id, kind: 'recording', status: null, occurredAt: parseProviderTime(payload.timestamp) ?? now, receivedAt: now, payload });
    const response = await tx.responses.ofCall(call.id);
    const queued = response && url ? await tx.responses.noteRecording(response.id, url, seconds) : false;
    return { callId: call.id, responseId: queued ? response?.id : undefined };
  });
  if (!stored) return false;
  if (stored.responseId === undefined) deps.logger.warn('recording without a stored score or URL ignored', { callId: stored.callId });
  else downloads.enqueue(stored.responseId);
  return true;
}

export interface TranscriptionPayload {
  status?: string | undefined;
  transcription_url?: string | undefined;
  timestamp?: string | undefined;
  [key: string]: unknown;
}

/**
 * The transcription webhook: stores where the transcript is and queues its reading. Identified by
 * our ref in the URL (the payload has no leg uuid); a duplicate changes nothing once the text is
 * read. Returns the response queued, or what was unknown.
 */
export async function handleTranscription(deps: CallDeps, texts: ResponseQueue | undefined, ref: string, payload: TranscriptionPayload): Promise<{ responseId: number } | { unknown: 'call' | 'response' }> {
  const now = deps.clock.now();
  const outcome = await deps.units.run(async (tx): Promise<{ responseId: number } | { unknown: 'call' | 'response' }> => {
    const call = await tx.calls.byRef(ref);
    if (!call) return { unknown: 'call' };
    await tx.calls.recordEvent({ callId: call.id, kind: 'transcription', status: null, occurredAt: now, receivedAt: now, payload });
    const response = await tx.responses.ofCall(call.id);
    if (!response) return { unknown: 'response' };
    const url = typeof payload.transcription_url === 'string' ? payload.transcription_url : undefined;
    // The provider could not transcribe (an unsupported language, no audio): the audio stays.
    await tx.responses.noteTranscript(response.id, payload.status === 'transcribed' && url ? { kind: 'transcribed', url, at: now } : { kind: 'failed' });
    return { responseId: response.id };
  });
  if ('responseId' in outcome) texts?.enqueue(outcome.responseId);
  return outcome;
}

export interface RecordingDownloadsOptions {
  comments: CommentStore;
  clock: Clock;
  logger: Logger;
  /** The `Authorization` header for downloads (the application's Bearer JWT). */
  authorization: () => Promise<string>;
  policy: RecordingHostPolicy;
  recordingsDir: string;
  /** Attempts before a recording is marked failed (404s are normal for a while). */
  maxAttempts?: number;
  /** First retry delay in clock ms; doubles each time. */
  retryDelayMs?: number;
}

/**
 * Downloads comment recordings in the background with retries and backoff. Downloads never block
 * a webhook; `drain()` lets a run wait for them before it exits, and `resumePending()` picks up
 * what a crashed process left.
 */
export class RecordingDownloads {
  readonly #o: Required<RecordingDownloadsOptions>;
  readonly #jobs: KeyedJobs<number>;

  constructor(options: RecordingDownloadsOptions) {
    this.#o = { maxAttempts: 6, retryDelayMs: 2_000, ...options };
    this.#jobs = new KeyedJobs(options.clock);
  }

  enqueue(responseId: number): void {
    this.#jobs.run(responseId, () => this.#run(responseId));
  }

  get pending(): number {
    return this.#jobs.size;
  }

  /** Re-queues every recording still marked pending (after a restart); returns how many. */
  async resumePending(listId?: number): Promise<number> {
    const ids = await this.#o.comments.pendingDownloads(listId);
    ids.forEach((id) => this.enqueue(id));
    return ids.length;
  }

  /** Waits for queued downloads, at most `timeoutMs` of clock time. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#jobs.drain(timeoutMs);
  }

  /** Stops retries and in-flight downloads and waits until no job touches the store any more. */
  close(): Promise<void> {
    return this.#jobs.close();
  }

  async #run(responseId: number): Promise<void> {
    const { comments, clock, logger } = this.#o;
    for (;;) {
      const row = await comments.pendingDownload(responseId);
      if (!row || this.#jobs.signal.aborted) return;
      const result = await downloadRecording({
        url: row.url,
        authorization: this.#o.authorization,
        policy: this.#o.policy,
        directory: path.join(this.#o.recordingsDir, `list-${row.listId}`),
        baseName: `call-${row.callId}`,
        signal: this.#jobs.signal,
      });
      // Closed while downloading: the store may be gone; the row stays pending for next time.
      if (this.#jobs.signal.aborted) return;
      const attempts = row.attempts + 1;
      if (result.ok) {
        await comments.markDownloaded(responseId, path.relative(this.#o.recordingsDir, result.file), attempts);
        logger.info('recording downloaded', { listId: row.listId, callId: row.callId, bytes: result.bytes });
        return;
      }
      const giveUp = !result.retryable || attempts >= this.#o.maxAttempts;
      await comments.noteDownloadFailed(responseId, attempts, giveUp);
      logger.warn(giveUp ? 'recording download failed; giving up' : 'recording download failed; will retry', {
        listId: row.listId,
        callId: row.callId,
        attempt: attempts,
        reason: result.reason,
      });
      if (giveUp) return;
      try {
        await clock.sleep(this.#o.retryDelayMs * 2 ** (attempts - 1), this.#jobs.signal);
      } catch {
        return;
      }
    }
  }
}

/**
 * Waits (at most `timeoutMs` of clock time) until every score of the list whose call asked for a
 * recorded comment has its recording webhook. A callee who hung up before the recording started
 * never gets one, hence the bound. A list that takes spoken comments has nothing to wait for: the
 * words come with the input webhook, during the call, and nothing arrives after it.
 */
export async function awaitLateRecordings(deps: { comments: CommentStore; clock: Clock }, listId: number, timeoutMs: number): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 250) {
    if ((await deps.comments.awaitingRecordings(listId)) === 0) return;
    await deps.clock.sleep(250);
  }
}
