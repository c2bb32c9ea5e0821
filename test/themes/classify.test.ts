import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../../src/ivr/index.js';
import { classifyComment, compileTaxonomy, DEFAULT_TAXONOMY, oneTypoApart, OTHER_THEME_ID, parseTaxonomy, type Taxonomy } from '../../src/themes/index.js';
import { thrownAppError } from '../support/factories.js';

const engine = compileTaxonomy(DEFAULT_TAXONOMY);
const themesOf = (text: string, language: SurveyLanguage) => engine.classify(text, language).themes.map((t) => t.id);

describe('classifyComment: matching words', () => {
  it.each([
    ['pl-PL', ['dostawa była szybka', 'czekam na dostawy', 'problem przy dostawie', 'z dostawą było źle', 'dostawę przesunęli'], 'speed'],
    ['pl-PL', ['obsługa miła', 'obsluga mila', 'brak obsługi', 'z obsługą same kłopoty', 'OBSŁUDZE dziękuję'], 'service'],
    ['ru-RU', ['цена высокая', 'цены растут', 'за такую цену', 'ценой недоволен'], 'price'],
    ['bg-BG', ['цената е висока', 'цените са добри', 'доставката закъсня', 'доставките идват навреме'], 'price|speed'],
    ['en-US', ['the price', 'prices are up', 'pricing is unclear', 'overpriced'], 'price'],
  ] as const)('gives every inflected or diacritic-less form the theme of its stem (%s)', (language, texts, expected) => {
    for (const text of texts) expect(themesOf(text, language).some((id) => expected.split('|').includes(id))).toBe(true);
  });

  it('matches a long word or stem one typo away, a swapped pair of letters included', () => {
    expect(themesOf('the quailty is poor', 'en-US')).toEqual(['quality']);
    expect(themesOf('my delivary was late', 'en-US')).toEqual(['speed']);
    expect(themesOf('обслужвнето е лошо', 'bg-BG')).toEqual(['service']);
  });

  it('does not take a short word, or another form of a whole word, for a typo', () => {
    // "така" is one letter from "такса" (a fee); "dostałem" (I got) one from the stem "dostaw".
    expect(themesOf('Продължавайте все така', 'bg-BG')).toEqual([OTHER_THEME_ID]);
    expect(themesOf('dostałem list', 'pl-PL')).toEqual([OTHER_THEME_ID]);
    expect(oneTypoApart('quailty', 'quality')).toBe(true);
    expect(oneTypoApart('dostafa', 'dostawa')).toBe(true);
    expect(oneTypoApart('expensiv', 'expensive')).toBe(true);
    expect(oneTypoApart('cnea', 'cena')).toBe(true);
    expect(oneTypoApart('kurier', 'kurierzy')).toBe(false);
    expect(oneTypoApart('abcd', 'badc')).toBe(false);
  });

  it('matches a phrase of several words only where they follow each other', () => {
    expect(engine.classify('they charged twice', 'en-US').themes).toEqual([{ id: 'billing', evidence: ['charged', 'charged twice'] }]);
    expect(themesOf('value of the money', 'en-US')).toEqual([OTHER_THEME_ID]);
  });

  it('keeps the words as spoken as evidence, in order, once each, and themes in the taxonomy order', () => {
    const { themes } = engine.classify('Kurier się spóźnił, a KURIER był niemiły. Cena też wysoka.', 'pl-PL');
    expect(themes).toEqual([
      { id: 'price', evidence: ['Cena'] },
      { id: 'service', evidence: ['niemiły'] },
      { id: 'speed', evidence: ['Kurier', 'spóźnił', 'KURIER'] },
    ]);
  });

  it("gives 'other' to a comment with words but no theme, and no theme at all to a blank one", () => {
    expect(engine.classify('Nie wiem, trudno powiedzieć.', 'pl-PL').themes).toEqual([{ id: OTHER_THEME_ID, evidence: [] }]);
    for (const blank of ['', '   ', '\n\t', ' … ! ']) {
      expect(engine.classify(blank, 'en-US')).toEqual({ themes: [], sentiment: { label: 'neutral', score: 0, source: 'engine' } });
    }
  });
});

describe('classifyComment: sentiment', () => {
  it.each([
    ['en-US', 'not expensive at all', 'positive'],
    ['en-US', 'it is expensive', 'negative'],
    ['en-US', "wasn't helpful", 'negative'],
    ['pl-PL', 'nie jest drogo', 'positive'],
    ['pl-PL', 'drogo', 'negative'],
    ['pl-PL', 'nie mam zastrzeżeń', 'positive'],
    ['ru-RU', 'не дорого', 'positive'],
    ['ru-RU', 'дорого', 'negative'],
    ['bg-BG', 'не е скъпо', 'positive'],
    ['bg-BG', 'операторите не помагат', 'negative'],
  ] as const)('turns a negated sentiment word around (%s: %s → %s)', (language, text, label) => {
    expect(engine.classify(text, language).sentiment).toMatchObject({ label, source: 'engine' });
  });

  it('does not carry a negation across a clause boundary', () => {
    expect(engine.classify('no, it is expensive', 'en-US').sentiment.label).toBe('negative');
  });

  it('weighs what follows "but" more than what precedes it', () => {
    expect(engine.classify('friendly staff but terrible and slow delivery', 'en-US').sentiment.label).toBe('negative');
    expect(engine.classify('a bit slow but really friendly and helpful staff', 'en-US').sentiment.label).toBe('positive');
  });

  it("takes the provider's sentiment when given, and says so", () => {
    const result = classifyComment({ text: 'terrible, awful, the worst', language: 'en-US', taxonomy: engine, providerSentiment: { label: 'positive', score: 0.8 } });
    expect(result.sentiment).toEqual({ label: 'positive', score: 0.8, source: 'provider' });
  });

  it('keeps the score within -1…1 and the label consistent with it', () => {
    const result = engine.classify('terrible awful horrible rude slow expensive useless', 'en-US').sentiment;
    expect(result.score).toBeGreaterThan(-1);
    expect(result.label).toBe('negative');
  });
});

describe('classifyComment: determinism and input', () => {
  it('gives the same result for the same text, compiled once or anew, in any order of calls', () => {
    const texts = ['Za drogo!', 'obsluga super', 'Kurier zgubił paczkę', '', 'Wszystko ok'];
    const first = texts.map((text) => engine.classify(text, 'pl-PL'));
    const fresh = compileTaxonomy(DEFAULT_TAXONOMY);
    const reversed = [...texts].reverse().map((text) => fresh.classify(text, 'pl-PL')).reverse();
    expect(reversed).toEqual(first);
    expect(texts.map((text) => classifyComment({ text, language: 'pl-PL', taxonomy: DEFAULT_TAXONOMY }))).toEqual(first);
  });

  it('never throws on any text, and gives known theme ids only, none exactly when there is no word', () => {
    const ids = new Set(DEFAULT_TAXONOMY.themes.map((t) => t.id));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), fc.constantFrom(...SURVEY_LANGUAGES), (text, language) => {
        const result = engine.classify(text, language);
        expect(result.themes.every((t) => ids.has(t.id))).toBe(true);
        expect(result.themes.length === 0).toBe(!/[\p{L}\p{N}]/u.test(text));
        expect(Math.abs(result.sentiment.score)).toBeLessThan(1);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a language the taxonomy has no phrases in, naming the ones it has', () => {
    const polishOnly: Taxonomy = { themes: [{ id: 'price', label: { 'pl-PL': 'Cena' }, phrases: { 'pl-PL': ['cen*a'] } }] };
    const error = thrownAppError(() => classifyComment({ text: 'too expensive', language: 'en-US', taxonomy: polishOnly }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('the taxonomy has no phrases in en-US; it has pl-PL');
  });
});

describe('parseTaxonomy', () => {
  it('accepts the default taxonomy as JSON', () => {
    expect(parseTaxonomy(JSON.parse(JSON.stringify(DEFAULT_TAXONOMY)))).toEqual(DEFAULT_TAXONOMY);
  });

  it('names the theme, language and phrase of every problem, all at once', () => {
    const error = thrownAppError(() =>
      parseTaxonomy(
        {
          themes: [
            { id: 'price', label: { 'pl-PL': 'Cena' }, phrases: { 'pl-PL': ['cena', 'ce*na', 'd*o*stawa', 'cena', 'CENĄ'], 'de-DE': ['preis'] } },
            { id: 'Bad Id', label: { 'en-US': 'x' } },
            { id: 'other', label: { 'en-US': 'Other' }, phrases: { 'en-US': ['misc'] } },
            { id: 'price', label: {}, phrases: { 'en-US': ['one two three four five six', 'pri$ce'] }, extra: true },
          ],
        },
        'client.json',
      ),
    );
    expect(error.code).toBe('USAGE');
    const problems = error.details!.problems as string[];
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("theme 'price' phrases pl-PL #2: 'ce*na' in 'ce*na' has 2 letter(s) before the star; at least 3"),
        expect.stringContaining("theme 'price' phrases pl-PL #3: 'd*o*stawa' in 'd*o*stawa' has 2 stars"),
        expect.stringContaining("theme 'price' phrases: phrase language 'de-DE' is not one of en-US, pl-PL, ru-RU, bg-BG"),
        expect.stringContaining("theme 'Bad Id' id: must be 1–40 characters"),
        expect.stringContaining("theme 'other' phrases: 'other' is given to comments that match no theme, so it takes no phrases"),
        expect.stringContaining("theme 'price' phrases en-US #1: 'one two three four five six' has 6 words; a phrase has at most 5"),
        expect.stringContaining("theme 'price' phrases en-US #2: 'pri$ce' in 'pri$ce' may hold only letters"),
        expect.stringContaining('Unrecognized key: "extra"'),
        expect.stringContaining("theme 'price' id: theme id 'price' is used twice"),
        expect.stringContaining("theme 'price' phrases pl-PL #4: 'cena' is listed twice"),
        expect.stringContaining("theme 'price' phrases pl-PL #5: 'CENĄ' is the same as 'cena' once case and diacritics are folded"),
        expect.stringContaining("theme 'price' label: give a label in at least one language"),
      ]),
    );
    expect(error.message).toMatch(/^client\.json is not a valid taxonomy: /);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a taxonomy in which no theme has a phrase', () => {
    const error = thrownAppError(() => parseTaxonomy({ themes: [{ id: 'price', label: { 'en-US': 'Price' } }] }));
    expect(error.message).toContain('no theme has a phrase');
  });
});
