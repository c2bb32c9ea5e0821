/**
 * The standard survey wording in the built-in languages. `{company}` is replaced by the list's
 * company name. The greeting names the caller and offers the key-press opt-out at the start, and
 * the comment prompt says the comment is recorded (docs/ivr.md lists the compliance reasons).
 */
export const SURVEY_LANGUAGES = ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] as const;
export type SurveyLanguage = (typeof SURVEY_LANGUAGES)[number];

export interface SurveyTexts {
  greeting: string;
  question: string;
  /** Appended to a list's own question text, so custom wording keeps the keypad instruction. */
  instruction: string;
  reprompt: string;
  commentPrompt: string;
  /** The comment prompt when the words are taken by speech recognition: no tone, no key to end. */
  spokenCommentPrompt: string;
  goodbye: string;
  goodbyeNoScore: string;
  optedOut: string;
}

const TEXTS: Record<SurveyLanguage, SurveyTexts> = {
  'en-US': {
    greeting: 'Hello, this is a short survey call from {company}. To stop these calls at any time, press star.',
    question: 'How likely are you to recommend {company} to a friend or colleague?',
    instruction: 'Please press a number from 0 to 10, then the hash key.',
    reprompt: 'Sorry, we did not get that.',
    commentPrompt: 'Thank you. If you would like to tell us why, please speak after the tone. Your comment will be recorded. Press the hash key when you are done.',
    spokenCommentPrompt: 'Thank you. If you would like to tell us why, please say it now in a few words. Your answer will be recorded.',
    goodbye: 'Thank you for your time. Goodbye.',
    goodbyeNoScore: 'We could not record an answer. Thank you for your time. Goodbye.',
    optedOut: 'You will not be called again. Goodbye.',
  },
  'pl-PL': {
    greeting: 'Dzień dobry, tu krótka ankieta firmy {company}. Aby zrezygnować z takich połączeń, naciśnij gwiazdkę.',
    question: 'Jak bardzo prawdopodobne jest, że polecisz firmę {company} znajomemu lub współpracownikowi?',
    instruction: 'Naciśnij liczbę od 0 do 10, a następnie krzyżyk.',
    reprompt: 'Przepraszamy, nie udało się odczytać odpowiedzi.',
    commentPrompt: 'Dziękujemy. Jeśli chcesz powiedzieć nam dlaczego, mów po sygnale. Wypowiedź zostanie nagrana. Na koniec naciśnij krzyżyk.',
    spokenCommentPrompt: 'Dziękujemy. Jeśli chcesz powiedzieć nam dlaczego, powiedz to teraz w kilku słowach. Wypowiedź zostanie nagrana.',
    goodbye: 'Dziękujemy za poświęcony czas. Do widzenia.',
    goodbyeNoScore: 'Nie udało się zapisać odpowiedzi. Dziękujemy za poświęcony czas. Do widzenia.',
    optedOut: 'Nie będziemy już dzwonić. Do widzenia.',
  },
  'ru-RU': {
    greeting: 'Здравствуйте! Это короткий опрос компании {company}. Чтобы отказаться от таких звонков, нажмите звёздочку.',
    question: 'Насколько вероятно, что вы порекомендуете компанию {company} другу или коллеге?',
    instruction: 'Нажмите число от 0 до 10, а затем решётку.',
    reprompt: 'Извините, мы не поняли ответ.',
    commentPrompt: 'Спасибо. Если хотите объяснить почему, говорите после сигнала. Ваш ответ будет записан. В конце нажмите решётку.',
    spokenCommentPrompt: 'Спасибо. Если хотите объяснить почему, скажите это сейчас в нескольких словах. Ваш ответ будет записан.',
    goodbye: 'Спасибо за уделённое время. До свидания.',
    goodbyeNoScore: 'Не удалось записать ответ. Спасибо за уделённое время. До свидания.',
    optedOut: 'Мы больше не будем вам звонить. До свидания.',
  },
  'bg-BG': {
    greeting: 'Здравейте! Това е кратка анкета на {company}. За да се откажете от такива обаждания, натиснете звездичка.',
    question: 'Колко вероятно е да препоръчате {company} на приятел или колега?',
    instruction: 'Натиснете число от 0 до 10 и след това диез.',
    reprompt: 'Съжаляваме, не разбрахме отговора.',
    commentPrompt: 'Благодарим ви. Ако искате да ни кажете защо, говорете след сигнала. Отговорът ще бъде записан. Накрая натиснете диез.',
    spokenCommentPrompt: 'Благодарим ви. Ако искате да ни кажете защо, кажете го сега с няколко думи. Отговорът ще бъде записан.',
    goodbye: 'Благодарим за отделеното време. Довиждане.',
    goodbyeNoScore: 'Не успяхме да запишем отговор. Благодарим за отделеното време. Довиждане.',
    optedOut: 'Повече няма да ви се обаждаме. Довиждане.',
  },
};

export function isSurveyLanguage(value: string | null | undefined): value is SurveyLanguage {
  return value !== null && value !== undefined && (SURVEY_LANGUAGES as readonly string[]).includes(value);
}

/**
 * Picks the language for one callee: the contact's own language when we have wording for it
 * (matching 'pl' to 'pl-PL'), else the list's, else en-US.
 */
export function chooseLanguage(contactLanguage: string | null | undefined, listLanguage: string | null | undefined): SurveyLanguage {
  for (const candidate of [contactLanguage, listLanguage]) {
    if (!candidate) continue;
    if (isSurveyLanguage(candidate)) return candidate;
    const byPrefix = SURVEY_LANGUAGES.find((l) => l.split('-')[0] === candidate.split('-')[0]!.toLowerCase());
    if (byPrefix) return byPrefix;
  }
  return 'en-US';
}

/** Countries whose language has a built-in wording: their callees hear it unless told otherwise. */
const COUNTRY_LANGUAGES: Record<string, SurveyLanguage> = {
  PL: 'pl-PL',
  RU: 'ru-RU',
  BG: 'bg-BG',
  BY: 'ru-RU',
  KZ: 'ru-RU',
  US: 'en-US',
  GB: 'en-US',
  IE: 'en-US',
  CA: 'en-US',
  AU: 'en-US',
  NZ: 'en-US',
};

/** The built-in survey language of a country (ISO alpha-2), if it has one. */
export function languageOfCountry(country: string | null | undefined): SurveyLanguage | undefined {
  return country ? COUNTRY_LANGUAGES[country.toUpperCase()] : undefined;
}

export interface CalleeLanguageInput {
  /** The contact's own language column. */
  contactLanguage?: string | null | undefined;
  /** The country of the contact's number. */
  contactCountry?: string | null | undefined;
  /** The language set on the list (`--language`), if any. */
  listLanguage?: string | null | undefined;
  /** The list's `--country`. */
  listCountry?: string | null | undefined;
}

/**
 * The language a callee hears: the contact's own language column; else the list's `--language`;
 * else the built-in language of the number's country, else of the list's country; else en-US.
 * So a `--country PL` list is surveyed in Polish without a flag, and a Russian number in it in
 * Russian.
 */
export function calleeLanguage(input: CalleeLanguageInput): SurveyLanguage {
  for (const candidate of [input.contactLanguage, input.listLanguage]) {
    if (candidate) return chooseLanguage(candidate, null);
  }
  return languageOfCountry(input.contactCountry) ?? languageOfCountry(input.listCountry) ?? 'en-US';
}

export interface ScriptInput {
  company: string;
  language: SurveyLanguage;
  /** The list's own question; the standard wording when absent. */
  question?: string | undefined;
}

/** The wording for one call, with the company filled in and a custom question keeping the instruction. */
export function surveyTexts(input: ScriptInput): SurveyTexts & { fullQuestion: string } {
  const base = TEXTS[input.language];
  const fill = (text: string) => text.replaceAll('{company}', input.company);
  const filled = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fill(v)])) as unknown as SurveyTexts;
  const question = input.question ? fill(input.question) : filled.question;
  return { ...filled, question, fullQuestion: `${question} ${filled.instruction}` };
}

/**
 * The wording of the keypad reason question (issue 16). The choices are read as one sentence,
 * "Press 1 for price, 2 for quality, …": `choicesIntro` starts it and `choice` is each item, so a
 * label is never inflected (Polish, Russian and Bulgarian would otherwise need its case forms).
 */
export interface ReasonTexts {
  question: string;
  choicesIntro: string;
  /** One choice: `{digit}` and `{label}` are replaced. */
  choice: string;
}

const REASON_TEXTS: Record<SurveyLanguage, ReasonTexts> = {
  'en-US': { question: 'What is the main reason for your score?', choicesIntro: 'Press', choice: '{digit} for {label}' },
  'pl-PL': { question: 'Jaki jest główny powód Twojej oceny?', choicesIntro: 'Naciśnij', choice: '{digit} – {label}' },
  'ru-RU': { question: 'Какова главная причина вашей оценки?', choicesIntro: 'Нажмите', choice: '{digit} — {label}' },
  'bg-BG': { question: 'Коя е основната причина за вашата оценка?', choicesIntro: 'Натиснете', choice: '{digit} — {label}' },
};

export function reasonTexts(language: SurveyLanguage): ReasonTexts {
  return REASON_TEXTS[language];
}
