import type { SpeechOptions } from './scenario.js';

/** The speech settings in effect, every default filled in (docs/sandbox.md, "Speech"). */
export interface ResolvedSpeech {
  synthesis: 'espeak' | 'off';
  espeakPath: string;
  transcription: {
    languages: string[];
    unsupportedLanguage: 'failed' | 'transcribe';
    confidence: number;
    dropRate: number;
    duplicateRate: number;
    downloadErrorRate: number;
    delayMs: [number, number] | null;
    sentimentShape: 'channel' | 'sentence' | 'none';
  };
  recognition: {
    languages: string[];
    confidence: number;
    confidenceType: 'string' | 'number';
    errorRate: number;
    missingRecordingUrlRate: number;
    lowConfidenceRate: number;
    lowConfidence: number;
  };
}

export const DEFAULT_ESPEAK_PATH = '/usr/bin/espeak-ng';

/** Vonage's speech input defaults (NCCO reference, input `speech`). */
export const SPEECH_INPUT_DEFAULTS = { endOnSilenceSeconds: 2, startTimeoutSeconds: 10, maxDurationSeconds: 60, language: 'en-US' } as const;

/** The scenario's settings overridden field by field by the options' own. */
export function resolveSpeech(scenario: SpeechOptions | undefined, options: SpeechOptions | undefined): ResolvedSpeech {
  const transcription = { ...scenario?.transcription, ...options?.transcription };
  const recognition = { ...scenario?.recognition, ...options?.recognition };
  return {
    synthesis: options?.synthesis ?? scenario?.synthesis ?? 'espeak',
    espeakPath: options?.espeakPath ?? scenario?.espeakPath ?? DEFAULT_ESPEAK_PATH,
    transcription: {
      languages: transcription.languages ?? ['en-US'],
      unsupportedLanguage: transcription.unsupportedLanguage ?? 'failed',
      confidence: transcription.confidence ?? 0.93,
      dropRate: transcription.dropRate ?? 0,
      duplicateRate: transcription.duplicateRate ?? 0,
      downloadErrorRate: transcription.downloadErrorRate ?? 0,
      delayMs: transcription.delayMs ?? null,
      sentimentShape: transcription.sentimentShape ?? 'channel',
    },
    recognition: {
      languages: recognition.languages ?? ['en-US', 'en-GB', 'pl-PL', 'ru-RU', 'bg-BG'],
      confidence: recognition.confidence ?? 0.9,
      confidenceType: recognition.confidenceType ?? 'string',
      errorRate: recognition.errorRate ?? 0,
      missingRecordingUrlRate: recognition.missingRecordingUrlRate ?? 0,
      lowConfidenceRate: recognition.lowConfidenceRate ?? 0,
      lowConfidence: recognition.lowConfidence ?? 0.2,
    },
  };
}

/** Case-insensitive BCP-47 membership. */
export const languageIn = (language: string, languages: readonly string[]): boolean =>
  languages.some((candidate) => candidate.toLowerCase() === language.toLowerCase());
