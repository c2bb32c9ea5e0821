import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Logger } from '../logging/index.js';
import { SAMPLE_RATE_HZ } from './audio.js';

/**
 * Real speech for recordings: espeak-ng (Debian package espeak-ng) speaks a callee's words. It
 * runs off the webhook path: a recording starts the synthesis, the webhook goes out at once, and
 * only a download waits for the audio. Results are cached by (language, text), so a large run
 * synthesizes each pool comment once. espeak-ng writes 22,050 Hz mono 16-bit PCM; it is resampled
 * to the 16 kHz Vonage records (reference §7).
 */

/** 16 kHz mono 16-bit PCM samples, no header. */
export type Pcm = Buffer;

export interface Synthesizer {
  /** False when synthesis is off or espeak-ng is missing: recordings stay silent. */
  readonly available: boolean;
  /** Starts (or reuses) the synthesis; resolves to the samples, or null if espeak-ng failed. */
  speak(text: string, language: string): Promise<Pcm | null>;
}

const VOICES: Record<string, string> = { en: 'en-us', 'en-gb': 'en-gb', pl: 'pl', ru: 'ru', bg: 'bg', de: 'de', cs: 'cs', uk: 'uk' };

/** The espeak-ng voice for a BCP-47 language: the full tag where a voice has it, else the primary subtag. */
export function espeakVoice(language: string): string {
  const lower = language.toLowerCase();
  return VOICES[lower] ?? VOICES[lower.split('-')[0]!] ?? lower.split('-')[0]!;
}

export const NO_SYNTHESIZER: Synthesizer = { available: false, speak: () => Promise.resolve(null) };

export function createSynthesizer(options: { enabled: boolean; path: string; logger: Logger }): Synthesizer {
  if (!options.enabled) return NO_SYNTHESIZER;
  try {
    accessSync(options.path, constants.X_OK);
  } catch {
    // Once per sandbox: every recording is silence from here on.
    options.logger.warn('espeak-ng not installed: recordings are silent (apt-get install espeak-ng)', { path: options.path });
    return NO_SYNTHESIZER;
  }
  const cache = new Map<string, Promise<Pcm | null>>();
  let warned = false;
  return {
    available: true,
    speak(text, language) {
      const key = `${language}\u0000${text}`;
      let pending = cache.get(key);
      if (!pending) {
        pending = runEspeak(options.path, text, espeakVoice(language)).catch((error: unknown) => {
          if (!warned) {
            warned = true;
            options.logger.warn('espeak-ng failed: that recording is silent', { error: (error as Error).message, language });
          }
          return null;
        });
        cache.set(key, pending);
      }
      return pending;
    },
  };
}

function runEspeak(path: string, text: string, voice: string): Promise<Pcm> {
  return new Promise((resolve, reject) => {
    // The text goes on stdin, never on the command line; -b 1 reads it as UTF-8.
    const child = spawn(path, ['-v', voice, '-b', '1', '--stdin', '--stdout'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`espeak-ng exited with ${code}: ${stderr.trim().slice(0, 200)}`));
      try {
        resolve(wavToPcm16k(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
    child.stdin.end(text, 'utf8');
  });
}

/** Reads a mono 16-bit PCM WAV (espeak-ng's streaming header has no real sizes) and resamples it to 16 kHz. */
export function wavToPcm16k(wav: Buffer): Pcm {
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('espeak-ng did not write a WAV');
  }
  let offset = 12;
  let rate = 0;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') rate = wav.readUInt32LE(offset + 12);
    if (id === 'data') {
      const data = wav.subarray(offset + 8, Math.min(wav.length, offset + 8 + size));
      return resample(data.subarray(0, data.length - (data.length % 2)), rate || 22_050, SAMPLE_RATE_HZ);
    }
    offset += 8 + size;
  }
  throw new Error('espeak-ng WAV has no data chunk');
}

function resample(data: Buffer, from: number, to: number): Pcm {
  if (from === to) return Buffer.from(data);
  const inSamples = data.length / 2;
  const outSamples = Math.floor((inSamples * to) / from);
  const out = Buffer.alloc(outSamples * 2);
  for (let i = 0; i < outSamples; i++) {
    const position = (i * from) / to;
    const left = Math.floor(position);
    const right = Math.min(inSamples - 1, left + 1);
    const fraction = position - left;
    const value = data.readInt16LE(left * 2) * (1 - fraction) + data.readInt16LE(right * 2) * fraction;
    out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(value))), i * 2);
  }
  return out;
}
