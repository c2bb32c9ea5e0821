/**
 * Comments: what a callee said after the score, as text (the provider's transcript of the
 * recording, or its speech recognition), and what it is about (themes and sentiment from the
 * themes engine, or a person's correction).
 */
export { parseSpokenComment, spokenCommentRecord, withoutSpokenWords, type SpokenCommentRecord } from './speech.js';
export { SqliteCommentStore, type CommentStore } from './comment-store.js';
export { PostgresCommentStore } from './comment-store.pg.js';
export { PostgresTaxonomyStore } from './taxonomy-store.pg.js';
export { sqliteCommentStores, type CommentStores } from './stores.js';
export { postgresCommentStores } from './stores.pg.js';
export { compiledTaxonomy, judgeComment } from './judgement.js';
export { CommentTexts, parseTranscript, ProviderTranscripts, type TextResult, type Transcriber } from './transcripts.js';
export {
  clientTaxonomy,
  CommentsQuery,
  correctionsOf,
  correctThemes,
  findClientId,
  listComments,
  reclassifyList,
  SENTIMENT_CHOICES,
  setClientTaxonomy,
  taxonomyOfClient,
  ThemesCorrection,
  type ClientTaxonomy,
  type CommentView,
  type CorrectionResult,
} from './curation.js';
