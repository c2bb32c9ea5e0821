import { contentTypeFor, generateAudio, generateSpeechWav, type AudioKind } from './audio.js';
import type { Random } from './random.js';
import type { Pcm } from './synth.js';

export type StoredFile =
  | {
      kind: 'audio';
      audio: AudioKind;
      durationSeconds: number;
      speechSeconds: number;
      notFoundRemaining: number;
      /**
       * Real speech (espeak-ng) still being synthesized: the file is a WAV whatever format was
       * asked (the sandbox has no mp3 encoder), and a download waits for it. Null audio = silence.
       */
      speech?: Promise<Pcm | null>;
    }
  | { kind: 'transcription'; document: unknown; notFoundRemaining: number; serverErrorRate: number; random: Random };

export type FileResponse = { found: false; serverError?: boolean } | { found: true; contentType: string; body: Buffer };

/**
 * Recordings and transcriptions served at /v1/files/:id and /v3/files/:id. Only metadata is kept;
 * the bytes are generated per download. `notFoundRemaining` is the "recording not ready yet" fault:
 * that many downloads answer 404 before the file appears.
 */
export class FileStore {
  readonly #files = new Map<string, StoredFile>();

  add(id: string, file: StoredFile): void {
    this.#files.set(id, file);
  }

  async download(id: string): Promise<FileResponse> {
    const file = this.#files.get(id);
    if (!file) return { found: false };
    if (file.notFoundRemaining > 0) {
      file.notFoundRemaining--;
      return { found: false };
    }
    if (file.kind === 'transcription') {
      if (file.random.chance(file.serverErrorRate)) return { found: false, serverError: true };
      return { found: true, contentType: 'application/json', body: Buffer.from(JSON.stringify(file.document)) };
    }
    if (file.speech) {
      const pcm = await file.speech;
      const body = pcm ? generateSpeechWav(file.durationSeconds, pcm) : generateAudio('wav', file.durationSeconds, 0);
      return { found: true, contentType: contentTypeFor('wav'), body };
    }
    return { found: true, contentType: contentTypeFor(file.audio), body: generateAudio(file.audio, file.durationSeconds, file.speechSeconds) };
  }
}
