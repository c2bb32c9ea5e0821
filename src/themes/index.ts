/**
 * Themes of comments: why a callee gave the score. A pure engine: a taxonomy (the default one or
 * a client's JSON), compiled once, classifies comment texts into themes with evidence and a
 * sentiment. No database, no network, no clock. docs/themes.md describes the format, the matching
 * and the measured accuracy; docs/adr/0008-comment-themes.md the choices.
 */
export { classifyComment, compileTaxonomy, CompiledTaxonomy, type ProviderSentiment } from './classify.js';
export { DEFAULT_TAXONOMY } from './default-taxonomy.js';
export { MATCHING_MODES, oneTypoApart } from './matcher.js';
export { OTHER_THEME_ID, parseTaxonomy, Taxonomy, themeLabel } from './taxonomy.js';
export { evaluateTaxonomy, LabelledComment, parseLabelledComments } from './evaluate.js';
