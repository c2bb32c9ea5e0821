import { distance } from 'fastest-levenshtein';
import { normalizeWord, type Token } from './text.js';

/**
 * Finds phrases (taxonomy phrases, sentiment words) in tokenized text. A phrase is compiled once
 * into word patterns held in hash maps, so that a token costs a few map look-ups: one for the whole
 * word and one per prefix length for the stems. See docs/adr/0008-comment-themes.md for why stems
 * and a bounded edit distance rather than a stemmer library.
 */

/**
 * How words are compared; the default is the product's. The other two exist so that
 * scripts/themes-accuracy.ts can measure what each step adds (docs/themes.md).
 * - `exact-words`: a token must equal the dictionary form (the word without its star).
 * - `stems`: a starred word matches every token that begins with its stem.
 * - `stems-and-typos`: as `stems`, and a token that matches nothing is compared with the long
 *   patterns (TYPO_MIN_LETTERS, TYPO_MIN_STEM_LETTERS) and matches one a single typo away.
 */
export const MATCHING_MODES = ['exact-words', 'stems', 'stems-and-typos'] as const;
export type MatchingMode = (typeof MATCHING_MODES)[number];

/** Whole words shorter than this never match by edit distance: "drogo"/"droga", "такса"/"така"… */
export const TYPO_MIN_LETTERS = 6;
/**
 * Stems shorter than this never match by edit distance: a stem is compared with the start of
 * longer words, where one letter's difference often makes another word ("dostaw" vs "dostał-em").
 */
export const TYPO_MIN_STEM_LETTERS = 7;
/** Distinct words remembered per matcher; the vocabulary of comments is small and repetitive. */
const TOKEN_CACHE_SIZE = 20_000;

interface WordPattern {
  /** The normalised stem (for a starred word) or the whole normalised word. */
  text: string;
  prefix: boolean;
}

export interface PhraseInput<Owner> {
  owner: Owner;
  phrase: string;
}

export interface PhraseHit<Owner> {
  owner: Owner;
  /** Index of the first and one past the last token of the match. */
  start: number;
  end: number;
}

export class PhraseMatcher<Owner> {
  readonly #mode: MatchingMode;
  readonly #patterns: WordPattern[] = [];
  readonly #patternIds = new Map<string, number>();
  readonly #wholeWords = new Map<string, number[]>();
  readonly #stems = new Map<string, number[]>();
  readonly #stemLengths: number[];
  /** Patterns long enough for the edit distance, by first letter (typos rarely hit the first letter). */
  readonly #typoCandidates = new Map<string, number[]>();
  /** Each phrase as its pattern ids, indexed by the id of its first word. */
  readonly #phrasesByFirst = new Map<number, { owner: Owner; words: number[] }[]>();
  readonly #cache = new Map<string, readonly number[]>();

  constructor(phrases: readonly PhraseInput<Owner>[], mode: MatchingMode = 'stems-and-typos') {
    this.#mode = mode;
    for (const { owner, phrase } of phrases) {
      const words = phrase.trim().split(/\s+/).map((word) => this.#patternId(word));
      const list = this.#phrasesByFirst.get(words[0]!) ?? [];
      list.push({ owner, words });
      this.#phrasesByFirst.set(words[0]!, list);
    }
    this.#stemLengths = [...new Set([...this.#stems.keys()].map((stem) => stem.length))].sort((a, b) => a - b);
  }

  #patternId(word: string): number {
    const star = word.indexOf('*');
    const prefix = star >= 0 && this.#mode !== 'exact-words';
    const text = normalizeWord(prefix ? word.slice(0, star) : word.replace('*', ''));
    const key = `${prefix ? '*' : '='}${text}`;
    const known = this.#patternIds.get(key);
    if (known !== undefined) return known;
    const id = this.#patterns.length;
    this.#patterns.push({ text, prefix });
    this.#patternIds.set(key, id);
    const index = prefix ? this.#stems : this.#wholeWords;
    index.set(text, [...(index.get(text) ?? []), id]);
    if (text.length >= (prefix ? TYPO_MIN_STEM_LETTERS : TYPO_MIN_LETTERS)) {
      const first = text[0]!;
      this.#typoCandidates.set(first, [...(this.#typoCandidates.get(first) ?? []), id]);
    }
    return id;
  }

  /** The ids of the word patterns one normalised token matches, in a stable order. */
  patternsOf(token: string): readonly number[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const found: number[] = [...(this.#wholeWords.get(token) ?? [])];
    for (const length of this.#stemLengths) {
      if (length > token.length) break;
      const ids = this.#stems.get(token.slice(0, length));
      if (ids) found.push(...ids);
    }
    if (found.length === 0 && this.#mode === 'stems-and-typos' && token.length >= TYPO_MIN_LETTERS - 1) {
      for (const id of this.#typoCandidates.get(token[0]!) ?? []) {
        if (this.#nearMiss(token, this.#patterns[id]!)) found.push(id);
      }
    }
    if (this.#cache.size >= TOKEN_CACHE_SIZE) this.#cache.clear();
    this.#cache.set(token, found);
    return found;
  }

  /** One typo away (matcher's oneTypoApart): from the whole word, or from a stem's letters. */
  #nearMiss(token: string, pattern: WordPattern): boolean {
    const { text } = pattern;
    // A word without a star is one form; another last letter is another form (вернула for
    // вернули, droga for drogo), not a typo. A letter missing or doubled at the end still is.
    if (!pattern.prefix) return oneTypoApart(token, text) && !(token.length === text.length && token.slice(0, -1) === text.slice(0, -1));
    // The token's first letters, one shorter, as long, or one longer than the stem.
    for (let length = text.length - 1; length <= text.length + 1; length++) {
      if (length <= token.length && oneTypoApart(token.slice(0, length), text)) return true;
    }
    return false;
  }

  /** Every phrase found in `tokens`, in order of position, then of the phrases as given. */
  find(tokens: readonly Token[]): PhraseHit<Owner>[] {
    const matched = tokens.map((token) => this.patternsOf(token.norm));
    const hits: PhraseHit<Owner>[] = [];
    for (let start = 0; start < tokens.length; start++) {
      for (const first of matched[start]!) {
        for (const phrase of this.#phrasesByFirst.get(first) ?? []) {
          const end = start + phrase.words.length;
          if (end > tokens.length) continue;
          let all = true;
          for (let k = 1; k < phrase.words.length && all; k++) all = matched[start + k]!.includes(phrase.words[k]!);
          if (all) hits.push({ owner: phrase.owner, start, end });
        }
      }
    }
    return hits;
  }
}

/**
 * True when `a` and `b` differ by one insertion, deletion or substitution (Levenshtein distance 1,
 * fastest-levenshtein), or by two neighbouring letters swapped ("quailty", "netwrok"), which
 * Levenshtein counts as two edits although typists make it as one.
 */
export function oneTypoApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  if (distance(a, b) <= 1) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}
