/*
 * Recordings are real, playable files, generated on download from their length so that a big run
 * keeps no audio in memory. Vonage records mono 16 kHz (reference §7):
 * - WAV: 16-bit PCM; the spoken part is a soft warbling tone, the rest silence.
 * - MP3: MPEG-2 Layer III frames at 32 kbps, each 576 samples (36 ms) in 144 bytes. Without an
 *   encoder the frames carry no audio data (part2_3_length 0), which every decoder plays as
 *   silence. The header bytes are FF F3 48 C0: MPEG-2, Layer III, no CRC, 32 kbps, 16 kHz, mono.
 * The sandbox has no OGG encoder; a record action asking for ogg gets a WAV, served as audio/wav.
 */

export const SAMPLE_RATE_HZ = 16_000;
const WAV_HEADER_BYTES = 44;
const MP3_FRAME_BYTES = 144;
const MP3_SAMPLES_PER_FRAME = 576;
const MP3_FRAME_HEADER = [0xff, 0xf3, 0x48, 0xc0];

export type AudioKind = 'wav' | 'mp3';

export const audioKindFor = (format: 'mp3' | 'wav' | 'ogg'): AudioKind => (format === 'mp3' ? 'mp3' : 'wav');

export const contentTypeFor = (kind: AudioKind): string => (kind === 'mp3' ? 'audio/mpeg' : 'audio/wav');

const wavSamples = (durationSeconds: number): number => Math.round(durationSeconds * SAMPLE_RATE_HZ);
const mp3Frames = (durationSeconds: number): number => Math.max(1, Math.ceil((durationSeconds * SAMPLE_RATE_HZ) / MP3_SAMPLES_PER_FRAME));

/** The file size, known before the file is generated, for the recording webhook's `size`. */
export function audioSizeBytes(kind: AudioKind, durationSeconds: number): number {
  return kind === 'mp3' ? mp3Frames(durationSeconds) * MP3_FRAME_BYTES : WAV_HEADER_BYTES + wavSamples(durationSeconds) * 2;
}

export function generateAudio(kind: AudioKind, durationSeconds: number, speechSeconds: number): Buffer {
  return kind === 'mp3' ? generateMp3(durationSeconds) : generateWav(durationSeconds, speechSeconds);
}

/**
 * A WAV of `durationSeconds` holding real speech (16 kHz 16-bit PCM, e.g. from espeak-ng) from
 * the start, cut at the end of the recording, then silence. Same size as `audioSizeBytes('wav')`.
 */
export function generateSpeechWav(durationSeconds: number, pcm: Buffer): Buffer {
  const buffer = wavWithHeader(wavSamples(durationSeconds));
  pcm.copy(buffer, WAV_HEADER_BYTES, 0, Math.min(pcm.length, buffer.length - WAV_HEADER_BYTES));
  return buffer;
}

function wavWithHeader(samples: number): Buffer {
  const dataBytes = samples * 2;
  const buffer = Buffer.alloc(WAV_HEADER_BYTES + dataBytes);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + dataBytes, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16); // fmt chunk size
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(SAMPLE_RATE_HZ, 24);
  buffer.writeUInt32LE(SAMPLE_RATE_HZ * 2, 28); // byte rate
  buffer.writeUInt16LE(2, 32); // block align
  buffer.writeUInt16LE(16, 34); // bits per sample
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(dataBytes, 40);
  return buffer;
}

function generateWav(durationSeconds: number, speechSeconds: number): Buffer {
  const samples = wavSamples(durationSeconds);
  const buffer = wavWithHeader(samples);
  const speechSamples = Math.min(samples, wavSamples(speechSeconds));
  for (let i = 0; i < speechSamples; i++) {
    const t = i / SAMPLE_RATE_HZ;
    // A 220 Hz tone, its pitch wobbling and its loudness pulsing four times a second like syllables.
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    const sample = Math.sin(2 * Math.PI * (220 * t + 3 * Math.sin(2 * Math.PI * 0.7 * t))) * envelope * 0.25;
    buffer.writeInt16LE(Math.round(sample * 32767), WAV_HEADER_BYTES + i * 2);
  }
  return buffer;
}

function generateMp3(durationSeconds: number): Buffer {
  const frames = mp3Frames(durationSeconds);
  const buffer = Buffer.alloc(frames * MP3_FRAME_BYTES);
  for (let frame = 0; frame < frames; frame++) buffer.set(MP3_FRAME_HEADER, frame * MP3_FRAME_BYTES);
  return buffer;
}
