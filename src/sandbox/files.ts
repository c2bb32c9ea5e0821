import { contentTypeFor, generateAudio, type AudioKind } from './audio.js';

export type StoredFile =
  | { kind: 'audio'; audio: AudioKind; durationSeconds: number; speechSeconds: number; notFoundRemaining: number }
  | { kind: 'transcription'; document: unknown; notFoundRemaining: number };

export type FileResponse = { found: false } | { found: true; contentType: string; body: Buffer };

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

  download(id: string): FileResponse {
    const file = this.#files.get(id);
    if (!file) return { found: false };
    if (file.notFoundRemaining > 0) {
      file.notFoundRemaining--;
      return { found: false };
    }
    if (file.kind === 'transcription') {
      return { found: true, contentType: 'application/json', body: Buffer.from(JSON.stringify(file.document)) };
    }
    return { found: true, contentType: contentTypeFor(file.audio), body: generateAudio(file.audio, file.durationSeconds, file.speechSeconds) };
  }
}
