import { describe, expect, it } from '@jest/globals';
import { afterInput, afterSpokenComment, answerNcco, chooseLanguage, DEFAULT_IVR_SETTINGS, interpretDtmf, surveyTexts, type IvrContext } from '../../src/ivr/index.js';

function context(language: 'en-US' | 'pl-PL' = 'en-US', question?: string): IvrContext {
  return {
    texts: surveyTexts({ company: 'Acme', language, question }),
    language,
    inputUrl: (step) => `https://dialer.example/webhooks/input/REF?step=${step}`,
    recordingUrl: 'https://dialer.example/webhooks/recording/REF',
  };
}

describe('IVR NCCO', () => {
  it('takes a spoken comment with a speech input in the callee language, at most 60 s, keeping the audio', () => {
    const spoken: IvrContext = { ...context('pl-PL'), commentCapture: 'speech', settings: { ...DEFAULT_IVR_SETTINGS, commentMaxSeconds: 120 } };
    const decision = afterInput('question', { kind: 'score', score: 4 }, spoken);
    expect(decision.ncco).toEqual([
      { action: 'talk', text: expect.stringMatching(/^Dziękujemy\. Jeśli chcesz powiedzieć nam dlaczego, powiedz to teraz/), language: 'pl-PL' },
      {
        action: 'input',
        type: ['speech'],
        // Speech recognition answers at most 60 seconds: a longer comment setting is cut to it.
        speech: { language: 'pl-PL', endOnSilence: 3, startTimeout: 10, maxDuration: 60, saveAudio: true },
        eventUrl: ['https://dialer.example/webhooks/input/REF?step=comment'],
        eventMethod: 'POST',
      },
    ]);
    // No tone and no hash key in the spoken prompt: speech input has neither.
    expect((decision.ncco[0] as { text: string }).text).not.toMatch(/sygnale|krzyżyk/);
    expect(afterSpokenComment(spoken)).toEqual([{ action: 'talk', text: 'Dziękujemy za poświęcony czas. Do widzenia.', language: 'pl-PL' }]);
  });

  it('answers with the greeting naming the company, the question and a two-digit keypad input', () => {
    expect(answerNcco(context())).toEqual([
      {
        action: 'talk',
        text:
          'Hello, this is a short survey call from Acme. To stop these calls at any time, press star. ' +
          'How likely are you to recommend Acme to a friend or colleague? Please press a number from 0 to 10, then the hash key.',
        language: 'en-US',
        bargeIn: true,
      },
      {
        action: 'input',
        type: ['dtmf'],
        dtmf: { maxDigits: 2, submitOnHash: true, timeOut: 5 },
        eventUrl: ['https://dialer.example/webhooks/input/REF?step=question'],
        eventMethod: 'POST',
      },
    ]);
  });

  it('after a valid score thanks, records an optional comment ended by hash or silence, and says goodbye', () => {
    expect(afterInput('question', { kind: 'score', score: 9 }, context())).toEqual({
      effect: 'score',
      score: 9,
      ncco: [
        {
          action: 'talk',
          text: 'Thank you. If you would like to tell us why, please speak after the tone. Your comment will be recorded. Press the hash key when you are done.',
          language: 'en-US',
        },
        {
          action: 'record',
          format: 'mp3',
          endOnKey: '#',
          endOnSilence: 3,
          timeOut: 60,
          beepStart: true,
          eventUrl: ['https://dialer.example/webhooks/recording/REF'],
          eventMethod: 'POST',
        },
        { action: 'talk', text: 'Thank you for your time. Goodbye.', language: 'en-US' },
      ],
    });
  });

  it('asks once more after an invalid answer, then gives up politely without a score', () => {
    const first = afterInput('question', { kind: 'invalid', digits: '11' }, context());
    expect(first.effect).toBe('reprompt');
    expect(first.ncco).toEqual([
      {
        action: 'talk',
        text: 'Sorry, we did not get that. How likely are you to recommend Acme to a friend or colleague? Please press a number from 0 to 10, then the hash key.',
        language: 'en-US',
        bargeIn: true,
      },
      {
        action: 'input',
        type: ['dtmf'],
        dtmf: { maxDigits: 2, submitOnHash: true, timeOut: 5 },
        eventUrl: ['https://dialer.example/webhooks/input/REF?step=reprompt'],
        eventMethod: 'POST',
      },
    ]);
    expect(afterInput('reprompt', { kind: 'none' }, context())).toEqual({
      effect: 'no_score',
      ncco: [{ action: 'talk', text: 'We could not record an answer. Thank you for your time. Goodbye.', language: 'en-US' }],
    });
  });

  it('confirms an opt-out and ends the call', () => {
    expect(afterInput('question', { kind: 'opt_out' }, context())).toEqual({
      effect: 'opt_out',
      ncco: [{ action: 'talk', text: 'You will not be called again. Goodbye.', language: 'en-US' }],
    });
  });

  it('speaks the built-in Polish wording, and keeps the keypad instruction after a custom question', () => {
    const [talk] = answerNcco(context('pl-PL', 'Czy poleciłbyś nasz serwis {company}?'));
    expect(talk).toMatchObject({ language: 'pl-PL' });
    expect((talk as { text: string }).text).toBe(
      'Dzień dobry, tu krótka ankieta firmy Acme. Aby zrezygnować z takich połączeń, naciśnij gwiazdkę. Czy poleciłbyś nasz serwis Acme? Naciśnij liczbę od 0 do 10, a następnie krzyżyk.',
    );
  });

  it('has standard wording for en-US, pl-PL, ru-RU and bg-BG and picks the callee language first', () => {
    for (const language of ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] as const) {
      const texts = surveyTexts({ company: 'Acme', language });
      expect(texts.fullQuestion).toContain('Acme');
      expect(texts.fullQuestion).toMatch(/10/);
    }
    expect(chooseLanguage('ru', 'pl-PL')).toBe('ru-RU');
    expect(chooseLanguage('de-DE', 'bg-BG')).toBe('bg-BG');
    expect(chooseLanguage(null, null)).toBe('en-US');
  });
});

describe('DTMF interpretation', () => {
  it.each([
    ['1', { kind: 'score', score: 1 }],
    ['7', { kind: 'score', score: 7 }],
    ['0', { kind: 'score', score: 0 }],
    ['10', { kind: 'score', score: 10 }],
    ['9#', { kind: 'score', score: 9 }],
    ['11', { kind: 'invalid', digits: '11' }],
    ['01', { kind: 'invalid', digits: '01' }],
    ['*', { kind: 'opt_out' }],
    ['5*', { kind: 'opt_out' }],
    ['', { kind: 'none' }],
  ])('reads %j as %j', (digits, expected) => {
    expect(interpretDtmf(digits)).toEqual(expected);
  });

  it('treats null, missing and non-string digits as nothing pressed', () => {
    expect(interpretDtmf(null)).toEqual({ kind: 'none' });
    expect(interpretDtmf(undefined)).toEqual({ kind: 'none' });
    expect(interpretDtmf({})).toEqual({ kind: 'none' });
  });
});
