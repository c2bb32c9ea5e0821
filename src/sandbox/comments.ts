/**
 * What the sandbox's generated callees say in a comment: the same few remarks in every survey
 * language (aligned by position), complaints for low scores and praise for high ones, so that a
 * demo's transcripts carry themes the default taxonomy finds (price, quality, service, speed,
 * billing) in the language the callee was surveyed in.
 */
const LANGUAGES = ['en-US', 'pl-PL', 'ru-RU', 'bg-BG'] as const;

const TEXTS: Record<(typeof LANGUAGES)[number], readonly string[]> = {
  'en-US': [
    'The price is far too high for what you get.',
    'The product broke after a week, poor quality.',
    'The staff were rude and unhelpful on the phone.',
    'Delivery took two weeks, far too slow.',
    'I was charged twice and the invoice was wrong.',
    'It is fine, nothing special.',
    'Friendly staff and quick delivery, thank you.',
    'Great quality and a fair price.',
  ],
  'pl-PL': [
    'Cena jest zdecydowanie za wysoka.',
    'Produkt zepsuł się po tygodniu, słaba jakość.',
    'Obsługa była niemiła i nie pomogła.',
    'Dostawa trwała dwa tygodnie, za wolno.',
    'Pobrano opłatę dwa razy, faktura była błędna.',
    'Jest w porządku, nic szczególnego.',
    'Miła obsługa i szybka dostawa, dziękuję.',
    'Świetna jakość i uczciwa cena.',
  ],
  'ru-RU': [
    'Цена слишком высокая.',
    'Товар сломался через неделю, плохое качество.',
    'Персонал был грубым и не помог.',
    'Доставка заняла две недели, слишком долго.',
    'С меня списали деньги дважды, счёт был неправильный.',
    'Нормально, ничего особенного.',
    'Вежливый персонал и быстрая доставка, спасибо.',
    'Отличное качество и честная цена.',
  ],
  'bg-BG': [
    'Цената е твърде висока.',
    'Продуктът се счупи след седмица, лошо качество.',
    'Персоналът беше груб и не помогна.',
    'Доставката отне две седмици, твърде бавно.',
    'Таксуваха ме два пъти, фактурата беше грешна.',
    'Добре е, нищо особено.',
    'Любезен персонал и бърза доставка, благодаря.',
    'Отлично качество и честна цена.',
  ],
};

const COMPLAINTS = [0, 1, 2, 3, 4];
const NEUTRAL = [5, 0, 3];
const PRAISE = [6, 7];

/** The position of a generated comment for a callee who gave `score`, from a uniform draw in [0, 1). */
export function commentIndexFor(score: number, draw: number): number {
  const pool = score <= 6 ? COMPLAINTS : score <= 8 ? NEUTRAL : PRAISE;
  return pool[Math.min(pool.length - 1, Math.floor(draw * pool.length))]!;
}

/** The generated comment at `index` in English: what a callee's script carries. */
export function generatedComment(index: number): string {
  return TEXTS['en-US'][index]!;
}

/**
 * The words of a comment as spoken in `language`: a generated comment is said in the callee's
 * survey language; a scenario's own text stays as written.
 */
export function spokenComment(text: string, language: string | undefined): string {
  const index = TEXTS['en-US'].indexOf(text);
  if (index < 0 || !language) return text;
  const tag = LANGUAGES.find((l) => l === language) ?? LANGUAGES.find((l) => l.split('-')[0] === language.split('-')[0]?.toLowerCase());
  return tag ? TEXTS[tag][index]! : text;
}
