import type { DtmfAnswer } from './dtmf.js';
import type { ReasonStep } from './reasons.js';
import type { SurveyLanguage, SurveyTexts } from './texts.js';

/** The subset of NCCO actions the survey uses, exactly as sent on the wire (camelCase keys). */
export type NccoAction =
  | { action: 'talk'; text: string; language: string; bargeIn?: boolean }
  | {
      action: 'input';
      type: ['dtmf'];
      dtmf: { maxDigits: number; submitOnHash: boolean; timeOut: number };
      eventUrl: [string];
      eventMethod: 'POST';
    }
  | { action: 'input'; type: ['speech']; speech: SpeechSettings; eventUrl: [string]; eventMethod: 'POST' }
  | {
      action: 'record';
      format: 'mp3';
      endOnKey: '#';
      endOnSilence: number;
      timeOut: number;
      beepStart: true;
      eventUrl: [string];
      eventMethod: 'POST';
      transcription?: RecordTranscription;
    };
export type Ncco = NccoAction[];

/** The record action's request for the provider's transcript (reference §6, `record`). */
export interface RecordTranscription {
  language: string;
  eventUrl: [string];
  eventMethod: 'POST';
  sentimentAnalysis: true;
}

/** The speech input's settings (NCCO reference, `input` with `type: ["speech"]`). */
export interface SpeechSettings {
  language: string;
  /** Silence that ends the answer, in seconds (0.4–10). */
  endOnSilence: number;
  /** Seconds to wait for the first word (1–60). */
  startTimeout: number;
  /** Longest answer in seconds (1–60). */
  maxDuration: number;
  /** Keep the audio: the webhook then carries `speech.recording_url` (not always, so it is optional to us). */
  saveAudio: true;
}

/** The score question's steps, the reason question's (src/ivr/reasons.ts), and the spoken comment's. */
export type InputStep = 'question' | 'reprompt' | ReasonStep | 'comment';

/** How the comment after the score is taken (the list's `comment` setting). */
export type CommentCapture = 'recording' | 'speech';

/** Speech recognition answers at most 60 seconds (NCCO reference, input `speech.maxDuration`). */
export const MAX_SPOKEN_COMMENT_SECONDS = 60;

export interface IvrSettings {
  /** Seconds after the last key before the input is submitted (Vonage: 1–10). */
  inputTimeoutSeconds: number;
  /** Longest comment in seconds. */
  commentMaxSeconds: number;
  /** Silence that ends a comment, in seconds (Vonage: 3–10). */
  commentSilenceSeconds: number;
}

export const DEFAULT_IVR_SETTINGS: IvrSettings = { inputTimeoutSeconds: 5, commentMaxSeconds: 60, commentSilenceSeconds: 3 };

export interface IvrContext {
  texts: SurveyTexts & { fullQuestion: string };
  language: SurveyLanguage;
  /** Where the input webhook for a step goes. */
  inputUrl: (step: InputStep) => string;
  recordingUrl: string;
  /** Where the transcript's webhook goes, when the comment is to be transcribed in `language`. */
  transcriptionUrl?: string | undefined;
  /** How the comment is taken; a recording when absent. */
  commentCapture?: CommentCapture | undefined;
  settings?: IvrSettings;
}

function talk(text: string, language: string, bargeIn = false): NccoAction {
  return bargeIn ? { action: 'talk', text, language, bargeIn: true } : { action: 'talk', text, language };
}

function input(url: string, settings: IvrSettings): NccoAction {
  return {
    action: 'input',
    type: ['dtmf'],
    // Two digits so that "10" is possible; the hash key submits a single digit at once.
    dtmf: { maxDigits: 2, submitOnHash: true, timeOut: settings.inputTimeoutSeconds },
    eventUrl: [url],
    eventMethod: 'POST',
  };
}

/** The NCCO returned by the answer webhook: greeting and question, then the keypad input. */
export function answerNcco(context: IvrContext): Ncco {
  const settings = context.settings ?? DEFAULT_IVR_SETTINGS;
  // bargeIn lets a callee who knows the question answer before it ends; Vonage requires the next
  // non-talk action to be an input, which it is.
  return [talk(`${context.texts.greeting} ${context.texts.fullQuestion}`, context.language, true), input(context.inputUrl('question'), settings)];
}

export type InputDecision =
  | { effect: 'score'; score: number; ncco: Ncco }
  | { effect: 'opt_out'; ncco: Ncco }
  | { effect: 'reprompt'; ncco: Ncco }
  | { effect: 'no_score'; ncco: Ncco };

/**
 * What follows an input: after a valid score, thanks and an optional recorded comment; after a
 * star, the opt-out confirmation; after nothing or an invalid answer, the question once more, and
 * after a second failure a polite goodbye without a score.
 */
export function afterInput(step: InputStep, answer: DtmfAnswer, context: IvrContext): InputDecision {
  const settings = context.settings ?? DEFAULT_IVR_SETTINGS;
  const { texts, language } = context;
  switch (answer.kind) {
    case 'score':
      return { effect: 'score', score: answer.score, ncco: commentNcco(context) };
    case 'opt_out':
      return { effect: 'opt_out', ncco: [talk(texts.optedOut, language)] };
    case 'none':
    case 'invalid':
      if (step === 'question') {
        return {
          effect: 'reprompt',
          ncco: [talk(`${texts.reprompt} ${texts.fullQuestion}`, language, true), input(context.inputUrl('reprompt'), settings)],
        };
      }
      return { effect: 'no_score', ncco: [talk(texts.goodbyeNoScore, language)] };
    default: {
      const unreachable: never = answer;
      return unreachable;
    }
  }
}

/**
 * The comment after the score: the prompt and a recording (transcribed by the provider when the
 * context has a transcription URL), then goodbye; or, for a list that takes comments by speech
 * recognition, the spoken prompt and a speech input whose webhook answers with goodbye.
 */
export function commentNcco(context: IvrContext): Ncco {
  const settings = context.settings ?? DEFAULT_IVR_SETTINGS;
  const { texts, language } = context;
  if (context.commentCapture === 'speech') {
    return [
      talk(texts.spokenCommentPrompt, language),
      {
        action: 'input',
        type: ['speech'],
        speech: {
          language,
          endOnSilence: settings.commentSilenceSeconds,
          startTimeout: 10,
          maxDuration: Math.min(settings.commentMaxSeconds, MAX_SPOKEN_COMMENT_SECONDS),
          saveAudio: true,
        },
        eventUrl: [context.inputUrl('comment')],
        eventMethod: 'POST',
      },
    ];
  }
  return [
    talk(texts.commentPrompt, language),
    {
      action: 'record',
      format: 'mp3',
      endOnKey: '#',
      endOnSilence: settings.commentSilenceSeconds,
      timeOut: settings.commentMaxSeconds,
      beepStart: true,
      eventUrl: [context.recordingUrl],
      eventMethod: 'POST',
      ...(context.transcriptionUrl
        ? { transcription: { language, eventUrl: [context.transcriptionUrl], eventMethod: 'POST', sentimentAnalysis: true } satisfies RecordTranscription }
        : {}),
    },
    talk(texts.goodbye, language),
  ];
}

/** The answer to the spoken comment's webhook, whatever it held: goodbye. */
export function afterSpokenComment(context: IvrContext): Ncco {
  return [talk(context.texts.goodbye, context.language)];
}
