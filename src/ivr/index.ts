export { categoryCodeSql, categoryOf, detractorSql, interpretDtmf, NPS_BANDS, NPS_CATEGORIES, promoterSql, scoreRangeOf, type DtmfAnswer, type NpsCategory } from './dtmf.js';
export { afterInput, afterSpokenComment, answerNcco, commentNcco, DEFAULT_IVR_SETTINGS, MAX_SPOKEN_COMMENT_SECONDS, type CommentCapture, type InputDecision, type InputStep, type IvrContext, type IvrSettings, type Ncco, type NccoAction, type SpeechSettings } from './ncco.js';
export { calleeLanguage, chooseLanguage, isSurveyLanguage, languageOfCountry, type CalleeLanguageInput, SURVEY_LANGUAGES, surveyTexts, type ScriptInput, type SurveyLanguage, type SurveyTexts } from './texts.js';
export {
  afterReasonInput,
  DEFAULT_REASON_CHOICES,
  interpretReasonDigit,
  MAX_REASON_CHOICES,
  parseReasonChoices,
  type ParsedReasonChoices,
  REASON_STEPS,
  ReasonChoice,
  reasonNcco,
  reasonPrompt,
  ReasonSettings,
  reasonSettingsProblems,
  type ReasonAnswer,
  type ReasonDecision,
  type ReasonFailure,
  type ReasonPrompt,
  type ReasonStep,
} from './reasons.js';
export { reasonTexts, type ReasonTexts } from './texts.js';
