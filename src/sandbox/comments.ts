/*
 * What the generated callees say when they leave a comment: a pool per language and per kind of
 * callee, written for the sandbox (not the project's labelled test set). Detractors complain about
 * price, product quality, staff, delivery or billing; passives are lukewarm; promoters praise.
 * Polish, Russian and Bulgarian texts use inflected forms on purpose ("cenami", "доставката").
 */

export type CommentKind = 'detractor' | 'passive' | 'promoter';

export interface PoolComment {
  text: string;
  /** Sentiment score -1..1, reported when a transcription asks for sentimentAnalysis. */
  sentiment: number;
}

type Pool = Record<CommentKind, readonly string[]>;

const SENTIMENT: Record<CommentKind, number> = { detractor: -0.7, passive: 0.1, promoter: 0.8 };

export const POOL_LANGUAGES = ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] as const;

const POOLS: Record<(typeof POOL_LANGUAGES)[number], Pool> = {
  'en-US': {
    detractor: [
      'The prices went up again and it is just too expensive now.',
      'Way too expensive for what you get, the competition is cheaper.',
      'The product broke after two weeks, really poor quality.',
      'The quality is worse than last year, things stopped working.',
      'The staff at the counter were rude and did not listen to me.',
      'Nobody on the hotline could help me, the consultant was unfriendly.',
      'The delivery came a week late and the parcel was damaged.',
      'I waited ages for the courier, delivery is far too slow.',
      'I was charged twice and the invoice was wrong.',
      'There is a billing error on every bill and nobody fixes it.',
    ],
    passive: [
      'It is fine, nothing special, the price could be lower.',
      'Mostly okay but the delivery could be faster.',
      'Good product, but the hotline waiting time is long.',
    ],
    promoter: [
      'Great service, the staff were friendly and helpful.',
      'Excellent quality, everything works perfectly.',
      'Fast delivery and fair prices, I recommend you to everyone.',
      'The consultant solved my problem in five minutes, thank you.',
      'I have been a customer for years and I am very happy.',
    ],
  },
  'pl-PL': {
    detractor: [
      'Ceny znowu poszły w górę, jest po prostu za drogo.',
      'Za drogo jak na to, co dostaję, u konkurencji jest taniej.',
      'Produkt zepsuł się po dwóch tygodniach, słaba jakość.',
      'Jakość jest gorsza niż rok temu, wszystko się psuje.',
      'Obsługa w sklepie była niemiła i w ogóle mnie nie słuchała.',
      'Nikt na infolinii nie potrafił mi pomóc, konsultant był nieuprzejmy.',
      'Dostawa przyszła tydzień za późno, a paczka była uszkodzona.',
      'Czekałem bardzo długo na kuriera, dostawy są za wolne.',
      'Pobrano ode mnie opłatę dwa razy i faktura była błędna.',
      'Na każdym rachunku jest błąd i nikt tego nie poprawia.',
    ],
    passive: [
      'Jest w porządku, nic szczególnego, ceny mogłyby być niższe.',
      'Raczej dobrze, ale dostawa mogłaby być szybsza.',
      'Dobry produkt, tylko na infolinii długo się czeka.',
    ],
    promoter: [
      'Świetna obsługa, pracownicy byli mili i pomocni.',
      'Doskonała jakość, wszystko działa bez zarzutu.',
      'Szybka dostawa i uczciwe ceny, polecam wszystkim.',
      'Konsultantka rozwiązała mój problem w pięć minut, dziękuję.',
      'Jestem klientem od lat i jestem bardzo zadowolony.',
    ],
  },
  'ru-RU': {
    detractor: [
      'Цены опять выросли, сейчас слишком дорого.',
      'Слишком дорого за такое качество, у конкурентов дешевле.',
      'Товар сломался через две недели, очень плохое качество.',
      'Качество хуже, чем в прошлом году, всё ломается.',
      'Персонал в магазине был грубым и меня не слушал.',
      'На горячей линии никто не смог помочь, оператор был невежлив.',
      'Доставка опоздала на неделю, и посылка была повреждена.',
      'Курьера ждал очень долго, доставка слишком медленная.',
      'С меня списали деньги дважды, и счёт был неправильный.',
      'В каждом счёте ошибка, и никто её не исправляет.',
    ],
    passive: [
      'В целом нормально, но цены могли бы быть ниже.',
      'Неплохо, но доставку можно было бы ускорить.',
      'Хороший товар, только на линии долго ждать.',
    ],
    promoter: [
      'Отличный сервис, сотрудники были вежливы и помогли.',
      'Прекрасное качество, всё работает идеально.',
      'Быстрая доставка и честные цены, всем рекомендую.',
      'Оператор решил мою проблему за пять минут, спасибо.',
      'Я ваш клиент уже много лет и очень доволен.',
    ],
  },
  'bg-BG': {
    detractor: [
      'Цените пак се вдигнаха, вече е прекалено скъпо.',
      'Твърде скъпо за това, което получавам, при конкурентите е по-евтино.',
      'Продуктът се развали след две седмици, лошо качество.',
      'Качеството е по-лошо от миналата година, всичко се чупи.',
      'Персоналът в магазина беше груб и не ме изслуша.',
      'Никой на телефона не можа да ми помогне, служителят беше неучтив.',
      'Доставката закъсня със седмица и пратката беше повредена.',
      'Чаках куриера много дълго, доставките са твърде бавни.',
      'Таксуваха ме два пъти и фактурата беше грешна.',
      'Във всяка сметка има грешка и никой не я поправя.',
    ],
    passive: [
      'Като цяло е добре, но цените биха могли да са по-ниски.',
      'Добре е, но доставката можеше да е по-бърза.',
      'Добър продукт, само че на телефона се чака дълго.',
    ],
    promoter: [
      'Страхотно обслужване, служителите бяха любезни и отзивчиви.',
      'Отлично качество, всичко работи перфектно.',
      'Бърза доставка и честни цени, препоръчвам ви на всички.',
      'Служителят реши проблема ми за пет минути, благодаря.',
      'Клиент съм от години и съм много доволен.',
    ],
  },
};

export const commentKindFor = (score: number): CommentKind => (score <= 6 ? 'detractor' : score <= 8 ? 'passive' : 'promoter');

/** The pool's language closest to `language` (same primary subtag), else en-US. */
export function poolLanguageFor(language: string | undefined): (typeof POOL_LANGUAGES)[number] {
  const primary = (language ?? '').toLowerCase().split('-')[0];
  return POOL_LANGUAGES.find((candidate) => candidate.toLowerCase().split('-')[0] === primary) ?? 'en-US';
}

/** The comment at `draw` (uniform in [0, 1)) of a kind in a language: the same draw gives the same place in every language. */
export function poolComment(kind: CommentKind, language: string | undefined, draw: number): PoolComment & { language: string } {
  const poolLanguage = poolLanguageFor(language);
  const texts = POOLS[poolLanguage][kind];
  return { text: texts[Math.min(texts.length - 1, Math.floor(draw * texts.length))]!, sentiment: SENTIMENT[kind], language: poolLanguage };
}
