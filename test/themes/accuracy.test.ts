import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { resolveFromRoot } from '../../src/config/index.js';
import { SURVEY_LANGUAGES } from '../../src/ivr/index.js';
import { compileTaxonomy, DEFAULT_TAXONOMY, evaluateTaxonomy, parseLabelledComments } from '../../src/themes/index.js';

// The default taxonomy measured on the labelled comments (docs/themes.md has the full table,
// `npx tsx scripts/themes-accuracy.ts` prints it). Each floor is the value measured when the
// taxonomy was last changed, less a small margin: a change to the phrases, the lexicons or the
// matching that loses accuracy fails here, one that gains should raise the floor.
const load = (name: string) => parseLabelledComments(readFileSync(resolveFromRoot(`test/fixtures/comments/${name}`), 'utf8'), name);
const labelled = load('labelled.jsonl');
const variants = load('variants.jsonl');
const engine = compileTaxonomy(DEFAULT_TAXONOMY);

/** Measured 2026-12-03: macro F1 0.93 / 0.96 / 0.95 / 0.95. */
const MACRO_F1_FLOOR = { 'en-US': 0.9, 'pl-PL': 0.93, 'ru-RU': 0.92, 'bg-BG': 0.92 } as const;
/** The weakest theme of any language measured 0.89 (en-US price and other, ru-RU and bg-BG other). */
const THEME_F1_FLOOR = 0.85;
/** Measured on the variants: 0.94 over all, pl-PL the lowest at 0.87. */
const VARIANTS_MICRO_F1_FLOOR = 0.9;
const VARIANTS_LANGUAGE_FLOOR = 0.83;
/** Measured 0.90 on the labelled set, 0.76 on the variants. */
const SENTIMENT_FLOOR = 0.87;
const VARIANTS_SENTIMENT_FLOOR = 0.7;

describe('the labelled comments', () => {
  it('hold at least 200 comments, 50 in each language, labelled with themes of the default taxonomy', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(200);
    const ids = new Set(DEFAULT_TAXONOMY.themes.map((t) => t.id));
    for (const language of SURVEY_LANGUAGES) expect(labelled.filter((c) => c.language === language).length).toBeGreaterThanOrEqual(50);
    for (const comment of [...labelled, ...variants]) {
      expect(comment.themes.length).toBeGreaterThan(0);
      expect(comment.themes.every((id) => ids.has(id))).toBe(true);
    }
    expect(new Set([...labelled, ...variants].map((c) => c.id)).size).toBe(labelled.length + variants.length);
  });
});

describe('accuracy of the default taxonomy', () => {
  const evaluation = evaluateTaxonomy(engine, labelled);

  it.each(SURVEY_LANGUAGES)('keeps the macro F1 of the themes in %s at its measured floor', (language) => {
    const score = evaluation.languages.find((l) => l.language === language)!;
    expect(score.macroF1).toBeGreaterThanOrEqual(MACRO_F1_FLOOR[language]);
  });

  it('keeps every theme of every language at F1 0.85 or better', () => {
    const weak = evaluation.languages.flatMap((l) => l.themes.filter((t) => t.f1 < THEME_F1_FLOOR).map((t) => `${l.language} ${t.theme} ${t.f1.toFixed(2)}`));
    expect(weak).toEqual([]);
  });

  it('finds the themes of misspelt and inflected forms, far better than exact words do', () => {
    const final = evaluateTaxonomy(engine, variants);
    const exact = evaluateTaxonomy(compileTaxonomy(DEFAULT_TAXONOMY, { matching: 'exact-words' }), variants);
    expect(final.overall.microF1).toBeGreaterThanOrEqual(VARIANTS_MICRO_F1_FLOOR);
    for (const language of final.languages) expect(language.microF1).toBeGreaterThanOrEqual(VARIANTS_LANGUAGE_FLOOR);
    // Measured 0.35 with exact words against 0.94.
    expect(final.overall.microF1 - exact.overall.microF1).toBeGreaterThan(0.4);
  });

  it("agrees with the labelled sentiment at the measured rate", () => {
    expect(evaluation.overall.sentimentAccuracy).toBeGreaterThanOrEqual(SENTIMENT_FLOOR);
    expect(evaluateTaxonomy(engine, variants).overall.sentimentAccuracy).toBeGreaterThanOrEqual(VARIANTS_SENTIMENT_FLOOR);
  });
});
