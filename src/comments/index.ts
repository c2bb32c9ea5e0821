/**
 * Comments: what a callee said after the score, as text (the provider's transcript of the
 * recording, or its speech recognition), and what it is about (themes and sentiment from the
 * themes engine, or a person's correction).
 */
export { parseSpokenComment, recordSpokenComment, withoutSpokenWords, type SpokenComment, type SpokenCommentStored } from './speech.js';
export { judgeComment, taxonomyOfList, themesOf, type CommentJudgement } from './judgement.js';
export { CommentTexts, parseTranscript, ProviderTranscripts, recordTranscription, type CommentTextsOptions, type TextResult, type Transcriber, type TranscriptionPayload } from './transcripts.js';
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
  type CorrectionActor,
  type CorrectionResult,
  type CurationDeps,
  type ReclassifySummary,
  type ThemeCorrectionView,
} from './curation.js';
