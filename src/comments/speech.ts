import { asNumber, type TextResult } from './transcripts.js';

/** What the speech input's webhook says about a spoken comment: its words (or why none), and its audio. */
export interface SpokenComment {
  text: TextResult;
  /** Where the provider kept the audio (`saveAudio`), when it says. */
  audioUrl: string | undefined;
}

/** Longest comment text kept, as for transcripts. */
const MAX_TEXT_CHARS = 4000;

/**
 * Reads the `speech` object of a speech input's webhook (NCCO reference, `input`). Every variant
 * the provider is known or suspected to send is data:
 * - `results: [{ text, confidence }]`: alternatives; the most confident one is the comment, its
 *   confidence a number or a numeric string (null when absent or not a number);
 * - no results, or none with text (`timeout_reason: "start_timeout"`): a comment without words;
 * - `error` (an unsupported language, a recognition failure): no text, not retried;
 * - `recording_url` with `saveAudio`, which may be missing.
 * Anything that is not an object is refused the same way as an error.
 */
export function parseSpokenComment(speech: unknown): SpokenComment {
  if (typeof speech !== 'object' || speech === null || Array.isArray(speech)) {
    return { text: { ok: false, retryable: false, reason: 'the input result has no speech object' }, audioUrl: undefined };
  }
  const fields = speech as { error?: unknown; results?: unknown; recording_url?: unknown };
  const audioUrl = typeof fields.recording_url === 'string' && fields.recording_url !== '' ? fields.recording_url : undefined;
  if (fields.error !== undefined && fields.error !== null) {
    // The provider's wording is not confirmed; a short excerpt goes to the log, never words of the callee.
    const detail = typeof fields.error === 'string' ? fields.error.slice(0, 120) : 'an error object';
    return { text: { ok: false, retryable: false, reason: `speech recognition failed: ${detail}` }, audioUrl };
  }
  let best: { text: string; confidence: number | null } | undefined;
  for (const result of Array.isArray(fields.results) ? fields.results : []) {
    const text = (result as { text?: unknown } | null)?.text;
    if (typeof text !== 'string' || text.trim() === '') continue;
    const confidence = asNumber((result as { confidence?: unknown }).confidence);
    if (!best || (confidence ?? -1) > (best.confidence ?? -1)) best = { text: text.trim().slice(0, MAX_TEXT_CHARS), confidence };
  }
  return { text: best ? { ok: true, text: best.text, confidence: best.confidence } : { ok: true, text: '', confidence: null }, audioUrl };
}

/**
 * The webhook's payload as kept in call_events: the words are personal data and live in the
 * response only (erased and expired with it), so each result's text is replaced by its length.
 */
export function withoutSpokenWords<T extends { speech?: unknown }>(payload: T): T {
  const speech = payload.speech as { results?: unknown } | null | undefined;
  if (typeof speech !== 'object' || speech === null || !Array.isArray(speech.results)) return payload;
  const results = speech.results.map((r: unknown) =>
    typeof r === 'object' && r !== null && typeof (r as { text?: unknown }).text === 'string' ? { ...r, text: `[${(r as { text: string }).text.length} characters, kept with the response]` } : r,
  );
  return { ...payload, speech: { ...speech, results } };
}

/** A spoken comment as stored: its words wait to be classified, its audio to be fetched. */
export interface SpokenCommentRecord {
  textStatus: 'pending' | 'empty' | 'failed';
  text: string | null;
  confidence: number | null;
  /** When the comment text queue should classify the words (pending only). */
  dueAt: number | null;
  /** The saved audio to download, when there is one to keep. */
  audioUrl: string | null;
}

/**
 * How a spoken comment is stored (once: a duplicate webhook changes nothing): the words wait in
 * the response (`pending`) for the comment text queue to classify them off the webhook path; no
 * words is no comment (`empty`, and its audio is not fetched); a recognition error is `failed`,
 * keeping the audio when the provider saved it.
 */
export function spokenCommentRecord(comment: SpokenComment, now: number): SpokenCommentRecord {
  const { text, audioUrl } = comment;
  const textStatus = !text.ok ? 'failed' : text.text === '' ? 'empty' : 'pending';
  return {
    textStatus,
    text: text.ok && textStatus === 'pending' ? text.text : null,
    confidence: text.ok ? text.confidence : null,
    dueAt: textStatus === 'pending' ? now : null,
    audioUrl: textStatus !== 'empty' && audioUrl !== undefined ? audioUrl : null,
  };
}
