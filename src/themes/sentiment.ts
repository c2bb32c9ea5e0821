import type { SurveyLanguage } from '../ivr/index.js';
import { PhraseMatcher, type MatchingMode } from './matcher.js';
import type { Token } from './text.js';

/**
 * The engine's own sentiment: a small lexicon per language, scored with the rules most lexicon
 * scorers share (VADER's, simplified): a negator turns the next sentiment word within four words
 * around, an intensifier before a word strengthens it, and after a contrast word ("but") the
 * clause counts more than the one before. The words use the taxonomy's phrase syntax (a star
 * marks where the ending starts). Measured against the labelled set in docs/themes.md.
 */

export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

export interface SentimentLexicon {
  positive: readonly string[];
  negative: readonly string[];
  /** Turn the next sentiment word within NEGATION_REACH words ("not expensive", "nie drogo"). */
  negators: readonly string[];
  /** Strengthen the next sentiment word ("very", "bardzo", "очень", "много"). */
  intensifiers: readonly string[];
  /** What follows counts more than what precedes ("but", "ale", "но"). */
  contrasts: readonly string[];
}

/** How many words after a negator it still reaches: "couldn't solve my problem", "не можа да ми помогне". */
const NEGATION_REACH = 4;
const INTENSIFIER_FACTOR = 1.5;
/** A negated negative word is weaker than a positive one: "not bad" is not "good". */
const NEGATED_NEGATIVE_FACTOR = 0.8;
const BEFORE_CONTRAST_FACTOR = 0.5;
const AFTER_CONTRAST_FACTOR = 1.5;
/** The raw sum is squashed into (-1, 1) as sum / sqrt(sum² + ALPHA): one plain word scores ±0.45. */
const ALPHA = 4;
/** |score| at or above this is positive or negative; below, neutral. */
export const SENTIMENT_THRESHOLD = 0.2;

export const SENTIMENT_LEXICONS: Record<SurveyLanguage, SentimentLexicon> = {
  'en-US': {
    positive: [
      'good', 'great', 'excellent', 'brilliant', 'perfect', 'fantastic', 'amazing', 'awesome', 'superb', 'wonderful',
      'helpful', 'friendly', 'polite', 'patient', 'kind', 'professional', 'fast', 'quick*', 'prompt*', 'efficient',
      'happy', 'satisf*ied', 'pleased', 'recommend*', 'love*', 'nice', 'easy', 'solid', 'reliab*le', 'stable',
      'cheap', 'cheaper', 'affordable', 'thank*s', 'well done', 'solv*e', 'resolv*e', 'fixed', 'sort*ed',
      'competitive', 'improvement', 'earlier', 'reasonable', 'straight away', 'keep doing', 'smooth*ly',
    ],
    negative: [
      'bad', 'terrible', 'awful', 'horrible', 'poor*', 'worst', 'worse', 'rude*', 'slow*', 'expensive', 'overpriced',
      'annoying', 'problem*', 'issue*', 'complain*t', 'complaints', 'mistake*', 'error*', 'wrong', 'broke*n', 'crash*',
      'useless', 'disappoint*ed', 'waste', 'hate', 'frustrat*ing', 'ridiculous', 'joke', 'late', 'lost', 'damaged',
      'faulty', 'confusing', 'unhelpful', 'nobody', 'no one', 'ages', 'forever', 'fell apart', 'dropp*ing',
      'rip off', 'unreliable', 'incompetent', 'cancel*led', 'too', 'waited', 'waiting', 'twice', 'went up', 'going up',
      'never showed up', 'no reason', 'high', 'insane', 'stuck', 'rubbish', 'fortune', 'let* me down', 'massive',
      'two times', 'talked me into', 'stopped',
    ],
    negators: ['not', 'no', 'never', 'without', 'nothing', 'hardly', "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "weren't", "can't", "couldn't", "won't", "wouldn't", "haven't", "hasn't", 'cannot'],
    intensifiers: ['very', 'really', 'so', 'extremely', 'super', 'totally', 'absolutely', 'way', 'always', 'constantly'],
    contrasts: ['but', 'however', 'although', 'though'],
  },
  'pl-PL': {
    positive: [
      'dobr*y', 'dobrze', 'świetn*y', 'super', 'doskonał*y', 'znakomit*y', 'wspaniał*y', 'idealn*y', 'polec*am', 'zadowol*ony',
      'miły', 'miła', 'miłe', 'mili', 'miło', 'pomocn*y', 'uprzejm*y', 'sympatyczn*y', 'szybk*o', 'szybciej', 'sprawn*ie',
      'profesjonaln*y', 'dzięk*uję', 'zachwyc*ona', 'solidn*y', 'stabiln*y', 'niezawodn*y', 'tani*o', 'fajn*ie',
      'rozwiąz*ał', 'pomog*li', 'punktualn*ie', 'ładnie', 'korzystn*y', 'w porządku', 'bez zarzutu', 'płynnie',
      'od ręki', 'rozsądn*a', 'załatwi*ła', 'róbcie dalej', 'niski*e',
    ],
    negative: [
      'zły', 'zła', 'złe', 'źle', 'złej', 'fataln*ie', 'okropn*ie', 'tragiczn*ie', 'beznadziejn*ie', 'porażk*a', 'kiepsk*o',
      'słab*o', 'drog*o', 'drożej', 'wolno', 'długo', 'problem*', 'błąd', 'błęd*y', 'pomyłk*a', 'niekompetent*ny',
      'nieuprzejm*y', 'niemił*y', 'niegrzeczn*y', 'chamsk*i', 'opryskliw*y', 'zepsu*ty', 'uszkodz*ony', 'awari*a',
      'skandal*', 'żenad*a', 'żart', 'denerwuj*ące', 'irytuj*ące', 'niestety', 'rozczarow*any', 'niezadowol*ony',
      'zastrzeż*enia', 'zawies*za', 'rozkle*iły', 'nikt', 'zgubi*ł', 'zrywa', 'niejasn*y', 'pogorsz*yła', 'uciążliw*y',
      'odsetk*i', 'czeka*łem', 'dwa razy', 'w górę', 'wysok*ie', 'zbyt', 'za często', 'za długo', 'za dużo', 'za mało',
      'nie zamawia*łem', 'majątek', 'utknęł*a', 'zero', 'automat', 'zawi*odła', 'wcisnął', 'ogromn*a', 'siada', 'przesta*ła',
      'zawyżon*a', 'dwukrotnie', 'tnie',
    ],
    negators: ['nie', 'nigdy', 'bez', 'ani', 'brak'],
    intensifiers: ['bardzo', 'naprawdę', 'strasznie', 'mega', 'totalnie', 'zupełnie', 'wcale', 'ciągle', 'znowu', 'aż'],
    contrasts: ['ale', 'jednak', 'natomiast', 'lecz'],
  },
  'ru-RU': {
    positive: [
      'хорош*о', 'отличн*о', 'прекрасн*о', 'замечательн*о', 'супер', 'довол*ен', 'рекоменд*ую', 'вежлив*ый', 'быстр*о',
      'удобн*о', 'спасибо', 'благодар*ю', 'помог*ли', 'стабильн*о', 'качественн*ый', 'выгодн*о', 'дешев*о', 'молодц*ы',
      'профессионал*ы', 'реши*ли', 'вовремя', 'внимательн*ый', 'отзывчив*ый', 'вернули',
      'раньше', 'сразу', 'удобн*ое', 'разумн*ый', 'продолжайте', 'низк*ий',
    ],
    negative: [
      'плох*о', 'ужасн*о', 'отвратительн*о', 'кошмар*', 'дорог*о', 'дороже', 'медленн*о', 'долго', 'проблем*а', 'ошиб*ка',
      'хам*ят', 'груб*ый', 'некомпетент*ный', 'невежлив*ый', 'глюч*ит', 'глюк*и', 'слома*лся', 'сломан*', 'пропада*ет',
      'надоел*о', 'раздража*ет', 'обман*', 'разочарова*н', 'жалоб*а', 'претензи*и', 'никто', 'так себе', 'отписк*и',
      'опозда*л', 'затяну*лся', 'задерж*ка', 'гоняют', 'недоволен', 'недовольна', 'зависа*ет', 'тормоз*ит',
      'жда*л', 'жду', 'два раза', 'дважды', 'растут', 'вырос*ла', 'высок*ая', 'слишком', 'не подключа*л', 'висел',
      'состояние', 'застрял*а', 'робот', 'толку ноль', 'навяза*л', 'подвел*а', 'пропада*ет', 'огромн*ая', 'перестал*а',
      'завыш*ен', 'помех*и', 'не совпадают', 'переплач*иваю',
    ],
    negators: ['не', 'нет', 'ни', 'никогда', 'без', 'никаких', 'никакой', 'никакого'],
    intensifiers: ['очень', 'совсем', 'крайне', 'абсолютно', 'вообще', 'постоянно', 'опять', 'снова', 'все'],
    contrasts: ['но', 'однако', 'зато', 'а'],
  },
  'bg-BG': {
    positive: [
      'добр*е', 'добър', 'отлич*но', 'прекрас*но', 'чудес*но', 'супер', 'довол*ен', 'препоръч*вам', 'любез*на', 'учтив*а',
      'бърз*о', 'благодар*я', 'помогн*а', 'помаг*а', 'качествен*', 'изгодн*о', 'евтин*о', 'професионал*ен', 'оправи',
      'навреме', 'стабилн*о', 'върнаха',
      'веднага', 'удобн*о', 'разумн*а', 'заслужава', 'продължавайте', 'ниск*а', 'пристигна',
    ],
    negative: [
      'лош*о', 'ужас*но', 'отвратител*но', 'кошмар*', 'скъп*о', 'бав*но', 'проблем*', 'грешк*а', 'грешн*а', 'груб*',
      'неучтив*', 'нелюбез*ен', 'некомпетент*ен', 'забива', 'прекъсв*а', 'развали*', 'счупи*', 'закъсн*я', 'забав*и',
      'слаб*о', 'разочарова*н', 'оплак*ване', 'никой', 'дразн*и', 'досад*но', 'измам*а', 'спира', 'замръзва', 'недоволен',
      'недоволна', 'чак*ах', 'два пъти', 'вдигна*ха', 'висок*и', 'твърде', 'плащам повече', 'не съм поръчва*л', 'цял месец',
      'състояние', 'робот', 'никаква полза', 'пробута', 'подвежда*ла', 'огромн*а', 'спря', 'надут*а', 'смущени*я',
      'не отговарят', 'стоя',
    ],
    negators: ['не', 'няма', 'никога', 'без', 'нито'],
    intensifiers: ['много', 'изключително', 'наистина', 'изобщо', 'никак', 'постоянно', 'все', 'често', 'отново'],
    contrasts: ['но', 'обаче', 'ала', 'а'],
  },
};

type Role = 'positive' | 'negative' | 'negator' | 'intensifier' | 'contrast';

export interface SentimentScore {
  label: SentimentLabel;
  /** In (-1, 1), rounded to three decimals; 0 when no sentiment word was found. */
  score: number;
}

/** The compiled lexicon of one language. */
export class SentimentScorer {
  readonly #matcher: PhraseMatcher<Role>;

  constructor(lexicon: SentimentLexicon, mode: MatchingMode = 'stems-and-typos') {
    const entries = (role: Role, words: readonly string[]) => words.map((phrase) => ({ owner: role, phrase }));
    this.#matcher = new PhraseMatcher<Role>(
      [
        ...entries('positive', lexicon.positive),
        ...entries('negative', lexicon.negative),
        ...entries('negator', lexicon.negators),
        ...entries('intensifier', lexicon.intensifiers),
        ...entries('contrast', lexicon.contrasts),
      ],
      mode,
    );
  }

  score(tokens: readonly Token[]): SentimentScore {
    // The role of each token: the longest phrase starting there wins, then the first listed.
    const roles: (Role | undefined)[] = new Array(tokens.length);
    const spans: number[] = new Array(tokens.length).fill(1);
    for (const hit of this.#matcher.find(tokens)) {
      if (roles[hit.start] === undefined || hit.end - hit.start > spans[hit.start]!) {
        roles[hit.start] = hit.owner;
        spans[hit.start] = hit.end - hit.start;
      }
    }
    // English contractions: "isn't", "couldn't" and any other "…n't" negate.
    tokens.forEach((token, i) => {
      if (roles[i] === undefined && token.norm.endsWith("n't")) roles[i] = 'negator';
    });

    let before = 0;
    let after = 0;
    let contrasted = false;
    let negatedUntil = -1;
    let intensified = false;
    for (let i = 0; i < tokens.length; i += spans[i]!) {
      if (tokens[i]!.clauseStart) {
        negatedUntil = -1;
        intensified = false;
      }
      const role = roles[i];
      if (role === 'contrast') {
        contrasted = true;
        negatedUntil = -1;
      } else if (role === 'negator') {
        negatedUntil = i + NEGATION_REACH;
      } else if (role === 'intensifier') {
        intensified = true;
      } else if (role === 'positive' || role === 'negative') {
        let value = role === 'positive' ? 1 : -1;
        if (intensified) value *= INTENSIFIER_FACTOR;
        if (i <= negatedUntil) {
          value *= role === 'positive' ? -1 : -NEGATED_NEGATIVE_FACTOR;
          negatedUntil = -1;
        }
        intensified = false;
        if (contrasted) after += value;
        else before += value;
      }
    }
    const sum = contrasted ? before * BEFORE_CONTRAST_FACTOR + after * AFTER_CONTRAST_FACTOR : before;
    const score = Math.round((sum / Math.sqrt(sum * sum + ALPHA)) * 1000) / 1000;
    return { label: labelOf(score), score: Object.is(score, -0) ? 0 : score };
  }
}

export function labelOf(score: number): SentimentLabel {
  if (score >= SENTIMENT_THRESHOLD) return 'positive';
  if (score <= -SENTIMENT_THRESHOLD) return 'negative';
  return 'neutral';
}
