import { AppError } from '../errors/index.js';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../ivr/index.js';
import { PhraseMatcher, type MatchingMode } from './matcher.js';
import { SENTIMENT_LEXICONS, SentimentScorer, type SentimentLabel } from './sentiment.js';
import { OTHER_THEME_ID, type Taxonomy } from './taxonomy.js';
import { tokenize } from './text.js';

export interface ThemeMatch {
  id: string;
  /** The words of the comment that revealed the theme, as spoken, in order; empty for 'other'. */
  evidence: string[];
}

export interface Sentiment {
  label: SentimentLabel;
  /** From -1 (negative) to 1 (positive). */
  score: number;
  source: 'provider' | 'engine';
}

/** A sentiment the transcription provider computed; its adapter maps the provider's scale to -1…1. */
export interface ProviderSentiment {
  label: SentimentLabel;
  score: number;
}

export interface Classification {
  themes: ThemeMatch[];
  sentiment: Sentiment;
}

export interface CompileOptions {
  /** How words are compared (matcher.ts); only the accuracy measurement changes it. */
  matching?: MatchingMode;
}

interface LanguageMatcher {
  themes: PhraseMatcher<number>;
  sentiment: SentimentScorer;
}

/**
 * A taxonomy compiled for classification: per language, one matcher of every theme's phrases and
 * one of the sentiment lexicon. Build it once per taxonomy; classifying is then a tokenization
 * and a few map look-ups per word. It holds no clock, randomness or I/O, so the same text always
 * gets the same result.
 */
export class CompiledTaxonomy {
  readonly taxonomy: Taxonomy;
  /** The languages in which some theme has a phrase, in SURVEY_LANGUAGES order. */
  readonly languages: readonly SurveyLanguage[];
  readonly #themeIds: string[];
  readonly #byLanguage = new Map<SurveyLanguage, LanguageMatcher>();

  constructor(taxonomy: Taxonomy, options: CompileOptions = {}) {
    this.taxonomy = taxonomy;
    this.#themeIds = taxonomy.themes.map((theme) => theme.id);
    const matching = options.matching ?? 'stems-and-typos';
    for (const language of SURVEY_LANGUAGES) {
      const phrases = taxonomy.themes.flatMap((theme, index) => (theme.phrases?.[language] ?? []).map((phrase) => ({ owner: index, phrase })));
      if (phrases.length === 0) continue;
      this.#byLanguage.set(language, { themes: new PhraseMatcher(phrases, matching), sentiment: new SentimentScorer(SENTIMENT_LEXICONS[language], matching) });
    }
    this.languages = SURVEY_LANGUAGES.filter((language) => this.#byLanguage.has(language));
  }

  classify(text: string, language: SurveyLanguage, providerSentiment?: ProviderSentiment): Classification {
    const matcher = this.#byLanguage.get(language);
    if (!matcher) {
      throw new AppError('USAGE', `the taxonomy has no phrases in ${language}; it has ${this.languages.join(', ')}`);
    }
    const tokens = tokenize(text);
    const evidence = new Map<number, string[]>();
    for (const hit of matcher.themes.find(tokens)) {
      const words = tokens.slice(hit.start, hit.end).map((token) => token.raw).join(' ');
      const list = evidence.get(hit.owner) ?? [];
      if (!list.includes(words)) list.push(words);
      evidence.set(hit.owner, list);
    }
    const themes: ThemeMatch[] = [...evidence.keys()].sort((a, b) => a - b).map((index) => ({ id: this.#themeIds[index]!, evidence: evidence.get(index)! }));
    if (themes.length === 0 && tokens.length > 0) themes.push({ id: OTHER_THEME_ID, evidence: [] });
    const sentiment: Sentiment = providerSentiment
      ? { label: providerSentiment.label, score: providerSentiment.score, source: 'provider' }
      : { ...matcher.sentiment.score(tokens), source: 'engine' };
    return { themes, sentiment };
  }
}

export function compileTaxonomy(taxonomy: Taxonomy, options: CompileOptions = {}): CompiledTaxonomy {
  return new CompiledTaxonomy(taxonomy, options);
}

// A taxonomy passed uncompiled is compiled once and kept as long as the object lives.
const compiled = new WeakMap<Taxonomy, CompiledTaxonomy>();

export interface ClassifyInput {
  text: string;
  language: SurveyLanguage;
  /** Compiled (compileTaxonomy) or not; an uncompiled one is compiled on first use and remembered. */
  taxonomy: CompiledTaxonomy | Taxonomy;
  /** The transcription provider's sentiment, preferred to the engine's when given. */
  providerSentiment?: ProviderSentiment;
}

/**
 * The themes and sentiment of one comment. A comment with words that matches no theme gets
 * 'other'; an empty or blank one gets no theme. Themes come in the taxonomy's order.
 */
export function classifyComment(input: ClassifyInput): Classification {
  let taxonomy = input.taxonomy;
  if (!(taxonomy instanceof CompiledTaxonomy)) {
    const raw = taxonomy;
    taxonomy = compiled.get(raw) ?? new CompiledTaxonomy(raw);
    compiled.set(raw, taxonomy);
  }
  return taxonomy.classify(input.text, input.language, input.providerSentiment);
}
