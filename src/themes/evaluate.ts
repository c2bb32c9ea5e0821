import { z } from 'zod';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../ivr/index.js';
import type { CompiledTaxonomy } from './classify.js';
import { SENTIMENT_LABELS } from './sentiment.js';

/**
 * Measures a taxonomy on comments labelled by people: precision and recall per theme and language,
 * and how often the engine's sentiment agrees. The labelled set under test/fixtures/comments/ and
 * the figures in docs/themes.md come through here, and a client can measure its own taxonomy on
 * its own comments the same way.
 */

export const LabelledComment = z.strictObject({
  id: z.string().min(1),
  /** 'dev' comments were written before the taxonomy was tuned on them, 'holdout' ones after. */
  split: z.enum(['dev', 'holdout', 'variants']),
  language: z.enum(SURVEY_LANGUAGES),
  text: z.string(),
  themes: z.array(z.string()),
  sentiment: z.enum(SENTIMENT_LABELS),
  /** The NPS score (0–10) a callee with this comment would plausibly give. */
  score: z.number().int().min(0).max(10),
  /** For a variant: the form it tests (inflection, missing diacritics, typo). */
  note: z.string().optional(),
});
export type LabelledComment = z.infer<typeof LabelledComment>;

/** Parses JSON lines; a bad line is named by its number. */
export function parseLabelledComments(text: string, source: string): LabelledComment[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new Error(`${source} line ${number}: not JSON (${(error as Error).message})`, { cause: error });
      }
      const result = LabelledComment.safeParse(value);
      if (!result.success) throw new Error(`${source} line ${number}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return result.data;
    });
}

export interface ThemeScore {
  theme: string;
  /** Comments labelled with the theme. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** null when the engine never gave the theme. */
  precision: number | null;
  /** null when no comment is labelled with the theme. */
  recall: number | null;
  f1: number;
}

export interface LanguageScore {
  language: SurveyLanguage;
  comments: number;
  themes: ThemeScore[];
  /** The mean F1 of the themes that were labelled or given at least once. */
  macroF1: number;
  /** Precision and recall over every (comment, theme) pair. */
  microPrecision: number;
  microRecall: number;
  microF1: number;
  /** Comments whose set of themes is exactly the labelled one. */
  exactMatch: number;
  sentimentAccuracy: number;
}

export interface Miss {
  id: string;
  language: SurveyLanguage;
  text: string;
  expected: string[];
  got: string[];
  evidence: Record<string, string[]>;
}

export interface Evaluation {
  languages: LanguageScore[];
  /** Over every language, weighting each comment alike. */
  overall: Omit<LanguageScore, 'language' | 'themes'>;
  themeMisses: Miss[];
  sentimentMisses: { id: string; text: string; expected: string; got: string; score: number }[];
}

interface Tally {
  tp: number;
  fp: number;
  fn: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function evaluateTaxonomy(taxonomy: CompiledTaxonomy, samples: readonly LabelledComment[]): Evaluation {
  const themeMisses: Miss[] = [];
  const sentimentMisses: Evaluation['sentimentMisses'] = [];
  const perLanguage = new Map<SurveyLanguage, { tallies: Map<string, Tally>; comments: number; exact: number; sentimentRight: number }>();
  for (const sample of samples) {
    const result = taxonomy.classify(sample.text, sample.language);
    const got = new Set(result.themes.map((t) => t.id));
    const expected = new Set(sample.themes);
    const state = perLanguage.get(sample.language) ?? { tallies: new Map<string, Tally>(), comments: 0, exact: 0, sentimentRight: 0 };
    perLanguage.set(sample.language, state);
    state.comments++;
    for (const theme of new Set([...got, ...expected])) {
      const tally = state.tallies.get(theme) ?? { tp: 0, fp: 0, fn: 0 };
      state.tallies.set(theme, tally);
      if (got.has(theme) && expected.has(theme)) tally.tp++;
      else if (got.has(theme)) tally.fp++;
      else tally.fn++;
    }
    if (got.size === expected.size && [...got].every((t) => expected.has(t))) state.exact++;
    else {
      themeMisses.push({
        id: sample.id,
        language: sample.language,
        text: sample.text,
        expected: [...expected],
        got: [...got],
        evidence: Object.fromEntries(result.themes.map((t) => [t.id, t.evidence])),
      });
    }
    if (result.sentiment.label === sample.sentiment) state.sentimentRight++;
    else sentimentMisses.push({ id: sample.id, text: sample.text, expected: sample.sentiment, got: result.sentiment.label, score: result.sentiment.score });
  }

  const themeOrder = taxonomy.taxonomy.themes.map((t) => t.id);
  const order = (theme: string) => (themeOrder.includes(theme) ? themeOrder.indexOf(theme) : themeOrder.length);
  const languages: LanguageScore[] = [];
  const all: Tally = { tp: 0, fp: 0, fn: 0 };
  let comments = 0;
  let exact = 0;
  let sentimentRight = 0;
  const macroSum = { value: 0, count: 0 };
  for (const language of SURVEY_LANGUAGES) {
    const state = perLanguage.get(language);
    if (!state) continue;
    const themes = [...state.tallies.entries()]
      .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
      .map(([theme, t]): ThemeScore => {
        const precision = t.tp + t.fp === 0 ? null : t.tp / (t.tp + t.fp);
        const recall = t.tp + t.fn === 0 ? null : t.tp / (t.tp + t.fn);
        return { theme, support: t.tp + t.fn, truePositives: t.tp, falsePositives: t.fp, falseNegatives: t.fn, precision, recall, f1: f1Of(precision ?? 0, recall ?? 0) };
      });
    const sum: Tally = { tp: 0, fp: 0, fn: 0 };
    for (const t of state.tallies.values()) {
      sum.tp += t.tp;
      sum.fp += t.fp;
      sum.fn += t.fn;
    }
    all.tp += sum.tp;
    all.fp += sum.fp;
    all.fn += sum.fn;
    comments += state.comments;
    exact += state.exact;
    sentimentRight += state.sentimentRight;
    const macroF1 = themes.reduce((s, t) => s + t.f1, 0) / Math.max(1, themes.length);
    macroSum.value += macroF1 * state.comments;
    macroSum.count += state.comments;
    const microPrecision = ratio(sum.tp, sum.tp + sum.fp);
    const microRecall = ratio(sum.tp, sum.tp + sum.fn);
    languages.push({
      language,
      comments: state.comments,
      themes,
      macroF1,
      microPrecision,
      microRecall,
      microF1: f1Of(microPrecision, microRecall),
      exactMatch: ratio(state.exact, state.comments),
      sentimentAccuracy: ratio(state.sentimentRight, state.comments),
    });
  }
  const microPrecision = ratio(all.tp, all.tp + all.fp);
  const microRecall = ratio(all.tp, all.tp + all.fn);
  return {
    languages,
    overall: {
      comments,
      macroF1: ratio(macroSum.value, macroSum.count),
      microPrecision,
      microRecall,
      microF1: f1Of(microPrecision, microRecall),
      exactMatch: ratio(exact, comments),
      sentimentAccuracy: ratio(sentimentRight, comments),
    },
    themeMisses,
    sentimentMisses,
  };
}
