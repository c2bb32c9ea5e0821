import { describe, expect, it } from '@jest/globals';
import {
  afterReasonInput,
  DEFAULT_REASON_CHOICES,
  interpretReasonDigit,
  parseReasonChoices,
  reasonPrompt,
  ReasonSettings,
  SURVEY_LANGUAGES,
  surveyTexts,
  type IvrContext,
  type SurveyLanguage,
} from '../../src/ivr/index.js';
import { DEFAULT_TAXONOMY } from '../../src/themes/index.js';

function context(language: SurveyLanguage = 'en-US'): IvrContext {
  return {
    texts: surveyTexts({ company: 'Acme', language }),
    language,
    inputUrl: (step) => `https://dialer.example/webhooks/input/REF?step=${step}`,
    recordingUrl: 'https://dialer.example/webhooks/recording/REF',
  };
}

const ask = (language: SurveyLanguage, settings: ReasonSettings = { enabled: true }) => {
  const prompt = reasonPrompt(settings, language);
  if (prompt.kind !== 'ask') throw new Error(`expected the question, got ${prompt.kind}`);
  return prompt;
};

describe('reason question wording', () => {
  it('reads the built-in choices with their digits in English', () => {
    expect(ask('en-US').text).toBe(
      'What is the main reason for your score? Press 1 for price, 2 for product quality, 3 for staff and service, 4 for speed or delivery, 5 for billing or errors, 6 for something else.',
    );
  });

  it.each([
    ['pl-PL', 'Jaki jest główny powód Twojej oceny? Naciśnij 1 – cena, 2 – jakość produktu,'],
    ['ru-RU', 'Какова главная причина вашей оценки? Нажмите 1 — цена, 2 — качество продукта,'],
    ['bg-BG', 'Коя е основната причина за вашата оценка? Натиснете 1 — цена, 2 — качество на продукта,'],
  ] as const)('asks in %s with the labels of that language', (language, start) => {
    const prompt = ask(language);
    expect(prompt.text.startsWith(start)).toBe(true);
    expect(prompt.text.endsWith(`6 ${language === 'pl-PL' ? '–' : '—'} ${DEFAULT_REASON_CHOICES[5]!.label[language]}.`)).toBe(true);
    expect(prompt.choices.map((c) => c.digit)).toEqual([1, 2, 3, 4, 5, 6]);
    // No English word slips into another language's question.
    expect(prompt.text).not.toMatch(/price|quality|Press/);
  });

  it('has a label for every built-in choice in every built-in language', () => {
    for (const language of SURVEY_LANGUAGES) expect(reasonPrompt({ enabled: true }, language).kind).toBe('ask');
  });

  it('uses the default theme ids as keys, so reasons and themes join in the report', () => {
    const themeIds = DEFAULT_TAXONOMY.themes.map((t) => t.id);
    for (const choice of DEFAULT_REASON_CHOICES) expect(themeIds).toContain(choice.key);
  });

  it("reads a list's own choices and question, and skips a callee whose language the list has no wording for", () => {
    const settings: ReasonSettings = {
      enabled: true,
      choices: [
        { key: 'price', label: { 'pl-PL': 'ceny', 'en-US': 'prices' } },
        { key: 'delivery', label: { 'pl-PL': 'dostawa', 'en-US': 'delivery' } },
      ],
      question: { 'pl-PL': 'Co zdecydowało o ocenie?' },
    };
    expect(ask('pl-PL', settings).text).toBe('Co zdecydowało o ocenie? Naciśnij 1 – ceny, 2 – dostawa.');
    expect(ask('en-US', settings).text).toBe('What is the main reason for your score? Press 1 for prices, 2 for delivery.');
    expect(reasonPrompt(settings, 'ru-RU')).toEqual({ kind: 'skipped' });
    expect(reasonPrompt({ ...settings, enabled: false }, 'pl-PL')).toEqual({ kind: 'off' });
    expect(reasonPrompt(undefined, 'pl-PL')).toEqual({ kind: 'off' });
  });
});

describe('reason digits', () => {
  const choices = ask('en-US').choices;

  it.each([
    ['1', { kind: 'choice', key: 'price' }],
    ['6', { kind: 'choice', key: 'other' }],
    ['3#', { kind: 'choice', key: 'service' }],
    [' 2 ', { kind: 'choice', key: 'quality' }],
    [4, { kind: 'choice', key: 'speed' }],
    ['', { kind: 'none' }],
    [null, { kind: 'none' }],
    [undefined, { kind: 'none' }],
    ['#', { kind: 'none' }],
    ['*', { kind: 'opt_out' }],
    ['7', { kind: 'invalid', digits: '7' }],
    ['0', { kind: 'invalid', digits: '0' }],
    ['12', { kind: 'invalid', digits: '12' }],
  ] as const)('reads %p', (digits, expected) => {
    expect(interpretReasonDigit(digits, choices)).toEqual(expected);
  });
});

describe('after a reason input', () => {
  const commentNcco = [{ action: 'talk' as const, text: 'comment prompt', language: 'en-US' }];
  const prompt = ask('en-US');

  it('asks once more with a one-key input after a wrong key, then goes on to the comment', () => {
    const first = afterReasonInput({ step: 'reason', answer: { kind: 'invalid', digits: '9' }, prompt }, { ...context(), commentNcco });
    expect(first).toEqual({
      effect: 'reprompt',
      outcome: 'invalid',
      ncco: [
        { action: 'talk', text: `Sorry, we did not get that. ${prompt.text}`, language: 'en-US', bargeIn: true },
        {
          action: 'input',
          type: ['dtmf'],
          dtmf: { maxDigits: 1, submitOnHash: true, timeOut: 5 },
          eventUrl: ['https://dialer.example/webhooks/input/REF?step=reason_reprompt'],
          eventMethod: 'POST',
        },
      ],
    });
    expect(afterReasonInput({ step: 'reason_reprompt', answer: { kind: 'none' }, prompt }, { ...context(), commentNcco })).toEqual({ effect: 'give_up', outcome: 'no_input', ncco: commentNcco });
  });

  it('takes the input timeout from the IVR settings', () => {
    const decision = afterReasonInput({ step: 'reason', answer: { kind: 'none' }, prompt }, { ...context(), settings: { inputTimeoutSeconds: 8, commentMaxSeconds: 60, commentSilenceSeconds: 3 }, commentNcco });
    expect(decision.ncco[1]).toMatchObject({ dtmf: { maxDigits: 1, timeOut: 8 } });
  });

  it('confirms the opt-out in the callee language', () => {
    expect(afterReasonInput({ step: 'reason', answer: { kind: 'opt_out' }, prompt: ask('pl-PL') }, { ...context('pl-PL'), commentNcco }).ncco).toEqual([
      { action: 'talk', text: 'Nie będziemy już dzwonić. Do widzenia.', language: 'pl-PL' },
    ]);
  });
});

describe('reason settings', () => {
  it('accepts the built-in choices and a full custom file', () => {
    expect(ReasonSettings.safeParse({ enabled: true, choices: [...DEFAULT_REASON_CHOICES] }).success).toBe(true);
    expect(parseReasonChoices([{ key: 'price', label: { 'en-US': 'price' } }])).toEqual({ ok: true, choices: [{ key: 'price', label: { 'en-US': 'price' } }], question: undefined });
  });

  it('names the choice, the language and what is accepted for every problem', () => {
    const result = parseReasonChoices({
      choices: [
        { key: 'price', label: { 'en-US': 'price', 'pl-PL': 'cena' } },
        { key: 'Quality!', label: { 'en-US': 'quality', 'pl-PL': '' } },
        { key: 'price', label: { 'en-US': 'again', 'de-DE': 'wieder' } },
      ],
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^reason choice 2 \('Quality!'\): key 'Quality!' is not accepted; use a theme-like id/),
        "reason choice 2 ('Quality!'), label in pl-PL must be 1 to 80 characters, got 0",
        "reason choice 3 ('price'): key 'price' is already choice 1; keys must differ",
        "reason choice 3 ('price'), label: language 'de-DE' is not a built-in survey language; use en-US, pl-PL, ru-RU, bg-BG",
        expect.stringMatching(/^reason choice 3 \('price'\): reason choice 1 has a label in pl-PL and reason choice 3 has none/),
      ]),
    );
  });

  it('refuses more than nine choices, an empty list and a file of the wrong shape', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ key: `r${i}`, label: { 'en-US': `reason ${i}` } }));
    expect(parseReasonChoices(ten)).toEqual({ ok: false, problems: ['reasons need 1 to 9 choices (keys 1 to 9), got 10'] });
    expect(parseReasonChoices({ choices: [] })).toEqual({ ok: false, problems: ['reasons need 1 to 9 choices (keys 1 to 9), got 0'] });
    expect(parseReasonChoices('price')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^expected a JSON object or array/)] });
    expect(parseReasonChoices({ choices: [{ key: 1, label: 'price' }] })).toMatchObject({
      ok: false,
      problems: ['reason choice 1: "key" must be text such as "price"', expect.stringMatching(/^reason choice 1: "label" must be an object of texts by language/)],
    });
  });
});
