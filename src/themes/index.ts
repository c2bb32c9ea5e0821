/**
 * Themes of comments: why a callee gave the score. A pure engine: a taxonomy (the default one or
 * a client's JSON), compiled once, classifies comment texts into themes with evidence and a
 * sentiment. No database, no network, no clock. docs/themes.md describes the format, the matching
 * and the measured accuracy; docs/adr/0008-comment-themes.md the choices.
 */
export {
  classifyComment,
  compileTaxonomy,
  CompiledTaxonomy,
  type Classification,
  type ClassifyInput,
  type CompileOptions,
  type ProviderSentiment,
  type Sentiment,
  type ThemeMatch,
} from './classify.js';
export { DEFAULT_TAXONOMY } from './default-taxonomy.js';
export { MATCHING_MODES, oneTypoApart, TYPO_MIN_LETTERS, TYPO_MIN_STEM_LETTERS, type MatchingMode } from './matcher.js';
export { SENTIMENT_LABELS, SENTIMENT_LEXICONS, SENTIMENT_THRESHOLD, type SentimentLabel, type SentimentLexicon } from './sentiment.js';
export { MAX_PHRASE_WORDS, MIN_STEM_LETTERS, OTHER_THEME_ID, parseTaxonomy, Taxonomy, Theme, themeLabel } from './taxonomy.js';
export { normalizeWord, tokenize, type Token } from './text.js';
export { evaluateTaxonomy, LabelledComment, parseLabelledComments, type Evaluation, type LanguageScore, type Miss, type ThemeScore } from './evaluate.js';
