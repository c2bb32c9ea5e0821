export { categoryCodeSql, categoryOf, detractorSql, interpretDtmf, NPS_CATEGORIES, promoterSql, scoreRangeOf, type NpsCategory } from './dtmf.js';
export { afterInput, afterSpokenComment, answerNcco, DEFAULT_IVR_SETTINGS, type InputStep, type IvrContext, type Ncco } from './ncco.js';
export { calleeLanguage, chooseLanguage, SURVEY_LANGUAGES, surveyTexts, type SurveyLanguage } from './texts.js';
export {
  afterReasonInput,
  DEFAULT_REASON_CHOICES,
  interpretReasonDigit,
  parseReasonChoices,
  REASON_STEPS,
  ReasonChoice,
  reasonNcco,
  reasonPrompt,
  ReasonSettings,
  type ReasonStep,
} from './reasons.js';
