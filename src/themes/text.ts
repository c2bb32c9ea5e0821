/**
 * Words of a comment as the matcher sees them. Matching is done on a normalised form (lower case,
 * Latin diacritics dropped, ё as е, one apostrophe) so that "Obsługa", "obsluga" and "OBSŁUGI" meet
 * the same pattern; the original spelling is kept for the evidence shown to people.
 */

export interface Token {
  /** The word as it stands in the comment. */
  raw: string;
  /** Lower case, Latin diacritics dropped, ё → е, ’ → '. */
  norm: string;
  /** True when punctuation or a contrast word ("but", "ale", "но") separates it from the word before. */
  clauseStart: boolean;
}

// Letters and digits, with inner apostrophes kept so that "don't" and "wasn't" stay one word.
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
// Punctuation that ends a clause: a negation or a "but" does not reach across it.
const CLAUSE_BREAK = /[.,;:!?()—–]|\s-\s/u;

/** Polish (and a few other) letters whose diacritic is not a combining mark in Unicode. */
const STROKED: Record<string, string> = { ł: 'l', đ: 'd', ø: 'o', ß: 'ss' };

/**
 * The normal form of one word. Only marks on Latin letters are dropped: in Cyrillic, й and и are
 * different letters (only ё is commonly written as е, so that one is folded too).
 */
export function normalizeWord(word: string): string {
  let lower = word.toLowerCase().replace(/’/g, "'");
  // Plain ASCII words (most English ones) skip the slower Unicode folding.
  if (/[^ -~]/.test(lower)) {
    lower = lower
      .replace(/[łđøß]/g, (c) => STROKED[c]!)
      .replace(/ё/g, 'е')
      .normalize('NFD')
      .replace(/(?<=[a-z])\p{M}+/gu, '')
      .normalize('NFC');
  }
  return lower;
}

/**
 * Normal forms of words already seen. The Unicode folding was a fifth of the time of classifying a
 * comment (scripts/bench/themes.ts, --cpu-prof), and comments reuse few words. A cache only: the
 * result never depends on it, and it is emptied when full.
 */
const normalCache = new Map<string, string>();
const NORMAL_CACHE_SIZE = 50_000;

function cachedNormal(word: string): string {
  let norm = normalCache.get(word);
  if (norm === undefined) {
    if (normalCache.size >= NORMAL_CACHE_SIZE) normalCache.clear();
    norm = normalizeWord(word);
    normalCache.set(word, norm);
  }
  return norm;
}

/** The words of `text` in order, each normalised, with the clause boundaries between them. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(WORD)) {
    const gap = text.slice(previousEnd, match.index);
    tokens.push({ raw: match[0], norm: cachedNormal(match[0]), clauseStart: tokens.length === 0 || CLAUSE_BREAK.test(gap) });
    previousEnd = match.index + match[0].length;
  }
  return tokens;
}
