/**
 * Comment classification throughput: classifyComment (themes and sentiment) over the labelled
 * comments of test/fixtures/comments/, against a bare regex scan of the same texts (one
 * case-insensitive alternation of every phrase of the language, stems as prefixes), in the same
 * process. Two corpora: the comments as written, repeated (their words quickly all known to the
 * matcher's word cache), and the same with one typo per comment (two neighbouring letters of one word
 * swapped), so that most comments bring a word never seen before and go through the typo search.
 *
 *   npx tsx scripts/bench/themes.ts [--comments N]
 */
import { readFileSync } from 'node:fs';
import { resolveFromRoot } from '../../src/config/index.js';
import type { SurveyLanguage } from '../../src/ivr/index.js';
import { compileTaxonomy, DEFAULT_TAXONOMY, parseLabelledComments } from '../../src/themes/index.js';
import { argValue, isFull, printFigures, type Figure } from './lib.js';

interface Comment {
  text: string;
  language: SurveyLanguage;
}

const wanted = Number(argValue('--comments') ?? (isFull ? 1_000_000 : 200_000));

function loadComments(): Comment[] {
  return ['labelled.jsonl', 'variants.jsonl'].flatMap((name) =>
    parseLabelledComments(readFileSync(resolveFromRoot(`test/fixtures/comments/${name}`), 'utf8'), name).map(({ text, language }) => ({ text, language })),
  );
}

/** A deterministic generator (mulberry32), so both sides see the same corpus on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function withTypo(text: string, next: () => number): string {
  const words = [...text.matchAll(/\p{L}{4,}/gu)];
  if (words.length === 0) return text;
  const word = words[Math.floor(next() * words.length)]!;
  const at = word.index + 1 + Math.floor(next() * (word[0].length - 2));
  return text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2);
}

/** One regex per language: every phrase of every theme, a starred word as its stem plus any letters. */
function baselineRegexes(): Map<SurveyLanguage, RegExp> {
  const phrases = new Map<SurveyLanguage, string[]>();
  for (const theme of DEFAULT_TAXONOMY.themes) {
    for (const [language, list] of Object.entries(theme.phrases ?? {}) as [SurveyLanguage, string[]][]) {
      const sources = list.map((phrase) =>
        phrase
          .split(/\s+/)
          .map((word) => {
            const star = word.indexOf('*');
            const escaped = (star >= 0 ? word.slice(0, star) : word).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            return star >= 0 ? `${escaped}\\p{L}*` : escaped;
          })
          .join('\\s+'),
      );
      phrases.set(language, [...(phrases.get(language) ?? []), ...sources]);
    }
  }
  return new Map([...phrases].map(([language, list]) => [language, new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.join('|')})(?![\\p{L}\\p{N}])`, 'giu')]));
}

function corpus(base: Comment[], typos: boolean): Comment[] {
  const next = random(20261203);
  return Array.from({ length: wanted }, (_, i) => {
    const comment = base[i % base.length]!;
    return typos ? { ...comment, text: withTypo(comment.text, next) } : comment;
  });
}

function timeEngine(comments: Comment[]): { perSecond: number; themes: number } {
  const taxonomy = compileTaxonomy(DEFAULT_TAXONOMY);
  let themes = 0;
  const started = performance.now();
  for (const { text, language } of comments) themes += taxonomy.classify(text, language).themes.length;
  return { perSecond: comments.length / ((performance.now() - started) / 1000), themes };
}

function timeRegex(comments: Comment[], regexes: Map<SurveyLanguage, RegExp>): { perSecond: number; matches: number } {
  let matches = 0;
  const started = performance.now();
  for (const { text, language } of comments) {
    const regex = regexes.get(language)!;
    regex.lastIndex = 0;
    while (regex.exec(text)) matches++;
  }
  return { perSecond: comments.length / ((performance.now() - started) / 1000), matches };
}

export function benchThemes(): Figure[] {
  const base = loadComments();
  const regexes = baselineRegexes();
  const compileStarted = performance.now();
  compileTaxonomy(DEFAULT_TAXONOMY);
  const compileMs = performance.now() - compileStarted;
  const figures: Figure[] = [];
  for (const typos of [false, true]) {
    const comments = corpus(base, typos);
    // A warm-up pass of each side, so that neither is measured while V8 still compiles it.
    timeEngine(comments.slice(0, 20_000));
    timeRegex(comments.slice(0, 20_000), regexes);
    const engine = timeEngine(comments);
    const regex = timeRegex(comments, regexes);
    figures.push({
      bench: `themes ${comments.length.toLocaleString('en-US')} comments (${base.length} texts${typos ? ', one typo each' : ', repeated'})`,
      metric: 'classifyComment (themes + sentiment)',
      value: Math.round(engine.perSecond),
      unit: 'comments/s',
      baseline: Math.round(regex.perSecond),
      baselineLabel: 'bare regex scan of every phrase',
      ratio: engine.perSecond / regex.perSecond,
    });
  }
  figures.push({ bench: 'themes', metric: 'compileTaxonomy (default, 4 languages)', value: Number(compileMs.toFixed(1)), unit: 'ms' });
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) printFigures(benchThemes());
