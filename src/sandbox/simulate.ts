/*
 * Pure timing and keypad rules of the virtual line, in simulated seconds. Kept apart from the
 * runner so the DTMF semantics, which the dialer's IVR logic depends on, are tested exhaustively
 * without HTTP.
 */

/** Text-to-speech pace: about 150 words a minute. */
export const TTS_CHARACTERS_PER_SECOND = 14;
/** Length the sandbox assumes for a streamed audio file, whose real length it does not fetch. */
export const STREAM_SECONDS = 5;

/** How long a talk action speaks; Infinity for loop 0 (repeat until hang-up). */
export function talkSeconds(text: string, loop = 1): number {
  if (loop === 0) return Number.POSITIVE_INFINITY;
  const spoken = text.replace(/<[^>]*>/g, '').trim();
  return Math.max(1, Math.round((spoken.length / TTS_CHARACTERS_PER_SECOND) * 10) / 10) * loop;
}

export interface DtmfSettings {
  maxDigits: number;
  submitOnHash: boolean;
  /** Seconds of silence, before the first key or after the last, that end the input. */
  timeOutSeconds: number;
}

/** Vonage's defaults for an input action's dtmf object (reference §6). */
export const DEFAULT_DTMF: DtmfSettings = { maxDigits: 4, submitOnHash: false, timeOutSeconds: 3 };

export interface DtmfResult {
  /** What the input webhook carries in dtmf.digits; never contains '#'. */
  digits: string;
  timedOut: boolean;
  /** Simulated seconds from the start of the input to its result. */
  elapsedSeconds: number;
}

/**
 * Plays `keys` into an input action the way Vonage collects them: '#' submits when submitOnHash
 * is set and is never part of the digits; reaching maxDigits submits at once with timed_out
 * false; otherwise the input ends timeOut seconds after the last key (or after its start when
 * nothing is pressed) with timed_out true, whatever digits it has. '*' is an ordinary digit.
 */
export function collectDtmf(keys: string, settings: DtmfSettings, timing: { thinkSeconds: number; interKeySeconds: number }): DtmfResult {
  let digits = '';
  let at = 0;
  let gap = timing.thinkSeconds;
  for (const key of keys) {
    // A pause as long as timeOut ends the input before this key arrives.
    if (gap >= settings.timeOutSeconds) return { digits, timedOut: true, elapsedSeconds: at + settings.timeOutSeconds };
    at += gap;
    gap = timing.interKeySeconds;
    if (key === '#') {
      if (settings.submitOnHash) return { digits, timedOut: false, elapsedSeconds: at };
      continue;
    }
    digits += key;
    if (digits.length >= settings.maxDigits) return { digits, timedOut: false, elapsedSeconds: at };
  }
  return { digits, timedOut: true, elapsedSeconds: at + settings.timeOutSeconds };
}

export interface RecordSettings {
  endOnKey: string | undefined;
  endOnSilenceSeconds: number | undefined;
  timeOutSeconds: number;
}

export interface CommentPlan {
  /** Seconds of speech before the callee stops. */
  speechSeconds: number;
  end: 'key' | 'silence' | 'hangup';
}

export interface RecordingPlan {
  /** Length of the recording, which is also how long a synchronous record action holds the NCCO. */
  durationSeconds: number;
  endedBy: 'key' | 'silence' | 'timeout' | 'hangup';
}

/**
 * How a synchronous record action ends for a callee who says `comment` (null: says nothing).
 * Pressing endOnKey ends it at once; silence ends it endOnSilence seconds after the speech (the
 * trailing silence is part of the file); without either it runs to timeOut.
 */
export function planRecording(comment: CommentPlan | null, settings: RecordSettings, interKeySeconds: number): RecordingPlan {
  const speech = comment?.speechSeconds ?? 0;
  const end = comment?.end ?? 'silence';
  let plan: RecordingPlan;
  if (end === 'hangup') plan = { durationSeconds: speech, endedBy: 'hangup' };
  else if (end === 'key' && settings.endOnKey !== undefined) plan = { durationSeconds: speech + interKeySeconds, endedBy: 'key' };
  else if (settings.endOnSilenceSeconds !== undefined) plan = { durationSeconds: speech + settings.endOnSilenceSeconds, endedBy: 'silence' };
  else plan = { durationSeconds: settings.timeOutSeconds, endedBy: 'timeout' };
  if (plan.durationSeconds >= settings.timeOutSeconds) return { durationSeconds: settings.timeOutSeconds, endedBy: 'timeout' };
  return plan;
}
