import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { AppError } from '../errors/index.js';

/**
 * The single-byte encodings spreadsheets still write for the supported countries' languages
 * (Polish, Russian, Bulgarian, English and western Europe), with the language they usually mean.
 * Detection only ever proposes one of these: a guess outside them is more often wrong than right.
 */
const LIKELY_ENCODINGS: Record<string, string> = {
  'windows-1250': 'Polish, Czech, Hungarian …',
  'iso-8859-2': 'Polish, Czech, Hungarian …',
  'windows-1251': 'Russian, Bulgarian …',
  'koi8-r': 'Russian',
  'iso-8859-5': 'Russian, Bulgarian …',
  'windows-1252': 'English, western European',
  'iso-8859-1': 'English, western European',
};

/** The encodings `--encoding` is shown with in messages (any name iconv-lite knows is accepted). */
export const EXAMPLE_ENCODINGS = ['utf-8', 'windows-1250', 'iso-8859-2', 'windows-1251', 'koi8-r', 'cp866', 'windows-1252'];

/** The most likely of LIKELY_ENCODINGS for `sample` (the head of a file that is not UTF-8), if any. */
export function guessEncoding(sample: Uint8Array): { encoding: string; languages: string } | undefined {
  for (const match of chardet.analyse(sample)) {
    const name = match.name.toLowerCase();
    if (match.confidence > 0 && name in LIKELY_ENCODINGS) return { encoding: name, languages: LIKELY_ENCODINGS[name]! };
  }
  return undefined;
}

/** Whether `encoding` names UTF-8 (then nothing is converted). */
export function isUtf8Name(encoding: string): boolean {
  return /^utf-?8$/i.test(encoding.trim());
}

/** Checks an `--encoding` value: a name iconv-lite knows. */
export function checkEncoding(encoding: string): string {
  const name = encoding.trim().toLowerCase();
  if (!iconv.encodingExists(name)) {
    throw new AppError('INPUT_INVALID', `--encoding: '${encoding}' is not an encoding this importer knows; use one such as ${EXAMPLE_ENCODINGS.join(', ')}`);
  }
  return name;
}

/**
 * A UTF-8 copy of `file` read as `encoding`, in a private temporary folder; `dispose` removes it.
 * Streamed: memory stays flat whatever the file's size.
 */
export async function utf8Copy(file: string, encoding: string, signal?: AbortSignal): Promise<{ file: string; dispose: () => Promise<void> }> {
  const name = checkEncoding(encoding);
  const dir = await mkdtemp(path.join(tmpdir(), 'nps-import-'));
  const copy = path.join(dir, 'utf8.csv');
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(createReadStream(file), iconv.decodeStream(name), iconv.encodeStream('utf-8'), createWriteStream(copy), ...(signal ? [{ signal }] : []));
  } catch (error) {
    await dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('INPUT_INVALID', `cannot read "${file}": no such file`);
    throw error;
  }
  return { file: copy, dispose };
}
