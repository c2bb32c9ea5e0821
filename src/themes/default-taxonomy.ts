import type { Taxonomy } from './taxonomy.js';

/**
 * The default reasons, for a telecom, retail or bank client that brings no taxonomy of its own.
 * A star marks where the inflected ending starts (taxonomy.ts). Short stems that would swallow
 * unrelated words are listed as whole forms instead: Polish "cen*" would match "centrum", so the
 * forms of "cena" are spelt out. Its accuracy on the labelled set is in docs/themes.md.
 */
export const DEFAULT_TAXONOMY: Taxonomy = {
  themes: [
    {
      id: 'price',
      label: { 'en-US': 'Price', 'pl-PL': 'Cena', 'ru-RU': 'Цена', 'bg-BG': 'Цена' },
      phrases: {
        'en-US': [
          'pric*e', 'expensive', 'overpriced', 'cheap*', 'cost*', 'afford*able', 'value for money', 'tariff*', 'fee', 'fees',
          'rate', 'rates', 'too much', 'paying more', 'pay more', 'rip off', 'ripoff', 'discount*', 'promotion*', 'deal',
          'bargain', 'commission*', 'hidden charges', 'subscription*', 'going up', 'went up', 'interest', 'fortune',
        ],
        'pl-PL': [
          'cena', 'ceny', 'cenie', 'cenę', 'cen', 'cenach', 'cenami', 'cenow*y', 'drog*o', 'drożej', 'podroż*ał',
          'zdroż*ał', 'tani*o', 'opłat*a', 'prowizj*a', 'taryf*a', 'abonament*', 'koszt*', 'podwyżk*a', 'promocj*a',
          'rabat*', 'zniżk*a', 'przepłac*am', 'za dużo płacę', 'raty', 'rata', 'oprocentowani*e', 'płacę więcej',
          'majątek',
        ],
        'ru-RU': [
          'цен*а', 'дорог*о', 'дороже', 'подорож*ало', 'дешев*о', 'тариф*', 'стоимост*ь', 'комисси*я', 'абонентск*ая плат*а',
          'абонплат*а', 'переплач*иваю', 'переплат*а', 'скидк*а', 'акци*я', 'выгодн*о', 'невыгодн*о', 'расценк*и', 'процент*', 'плачу больше',
          'недешев*о', 'заплатить', 'состояние',
        ],
        'bg-BG': [
          'цен*а', 'скъп*о', 'поскъп*ване', 'евтин*о', 'такса', 'таксата', 'такси', 'таксите', 'тариф*а', 'абонамент*', 'комисион*на', 'отстъпк*а',
          'промоци*я', 'изгодн*о', 'плащам повече', 'струва', 'струват', 'лихв*а', 'състояние',
        ],
      },
    },
    {
      id: 'quality',
      label: { 'en-US': 'Product quality', 'pl-PL': 'Jakość produktu', 'ru-RU': 'Качество продукта', 'bg-BG': 'Качество на продукта' },
      phrases: {
        'en-US': [
          'quality', 'signal', 'coverage', 'network', 'reception', 'connection', 'internet', 'wifi', 'wi fi', 'broadband',
          'app', 'website', 'crash*', 'broke*n', 'faulty', 'defect*', 'fell apart', 'stopped working', 'works', 'working',
          'reliab*le', 'unreliab*le', 'drop*ping', 'product*', 'device*', 'outage*', 'disconnect*', 'buffer*ing',
          'glitch*', 'buggy', 'rock solid', 'falls apart', 'battery', 'streaming', 'sizes', 'fit', 'item*',
        ],
        'pl-PL': [
          'jakość', 'jakości', 'jakością', 'jakościow*o', 'zasięg*', 'sieć', 'sieci', 'siecią', 'internet*', 'połączeni*e',
          'zrywa*', 'awari*a', 'aplikacj*a', 'zawies*za', 'psuj*e', 'zepsu*ty', 'popsu*ty', 'uszkodz*ony', 'wadliw*y',
          'rozkle*iły', 'rozpad*a', 'produkt*', 'towar*', 'sprzęt*', 'działa*ć', 'solidn*y', 'stabiln*y', 'niezawodn*y',
          'przerw*y w działaniu', 'zacina*', 'sygnał*', 'telewizj*a', 'tnie', 'łącze', 'łącza', 'rozmiar*',
          'siada',
        ],
        'ru-RU': [
          'качеств*о', 'связь', 'связи', 'связью', 'интернет*', 'сигнал*', 'покрыти*е', 'сеть', 'сети', 'приложени*е',
          'сайт*', 'глюч*ит', 'глюк*и', 'зависа*ет', 'слома*лся', 'сломан*', 'брак*', 'товар*', 'продукт*', 'работает',
          'работал', 'работало', 'работают', 'работать', 'пропада*ет', 'обрыв*ается', 'стабильн*о', 'тормоз*ит',
          'разва*лился', 'телевидени*е', 'помех*и', 'размер*ы',
        ],
        'bg-BG': [
          'качеств*о', 'покрити*е', 'сигнал*', 'обхват*', 'мреж*а', 'интернет*', 'приложени*е', 'сайт*', 'заби*ва',
          'прекъсв*а', 'прекъсна*', 'развали*', 'счупи*', 'дефект*', 'повред*а', 'продукт*', 'сток*а', 'работи', 'работят',
          'телевизи*я', 'спира', 'спират', 'замръз*ва', 'стабилн*о', 'връзк*ата', 'смущени*я', 'размер*ите',
        ],
      },
    },
    {
      id: 'service',
      label: { 'en-US': 'Service and staff', 'pl-PL': 'Obsługa i personel', 'ru-RU': 'Обслуживание и персонал', 'bg-BG': 'Обслужване и персонал' },
      phrases: {
        'en-US': [
          'staff', 'employee*', 'consultant*', 'agent*', 'advis*or', 'customer service', 'customer care', 'support',
          'call centre', 'call center', 'helpline', 'hotline', 'engineer*', 'technician*', 'operator*', 'rude*', 'polite*',
          'impolite', 'friendly', 'unfriendly', 'helpful', 'unhelpful', 'lady', 'guy', 'manager*', 'assistant*',
          'courteous', 'attitude', 'counter', 'cashier*', 'competent', 'incompetent', 'nobody', 'no one', 'explain*ed',
          'woman', 'people', 'chat', 'bot', 'calls back', 'call back', 'talked me into',
        ],
        'pl-PL': [
          'obsług*a', 'obsłudze', 'konsultant*', 'dorad*ca', 'pracowni*k', 'personel*', 'infolini*a', 'pani', 'panią',
          'pan', 'pana', 'sprzedaw*ca', 'technik*', 'serwisant*', 'miły', 'miła', 'miłe', 'mili', 'uprzejm*y', 'nieuprzejm*y',
          'niemił*y', 'pomocn*y', 'kompetent*ny', 'niekompetent*ny', 'niegrzeczn*y', 'grzeczn*y', 'chamsk*i',
          'opryskliw*y', 'profesjonaln*y', 'nikt nie odbiera', 'nikt', 'kasjer*ka', 'biuro obsługi', 'przejął', 'czat',
          'czacie', 'czatu', 'ludzie', 'monter*', 'oddzwoni*ł', 'wcisnął', 'wcisnęła',
        ],
        'ru-RU': [
          'обслуж*ивание', 'оператор*', 'сотрудник*', 'сотрудниц*а', 'персонал*', 'консультант*', 'менеджер*', 'поддержк*а',
          'мастер*', 'техник*', 'специалист*', 'продав*ец', 'вежлив*ый', 'невежлив*ый', 'хам*ят', 'груб*ый',
          'компетент*ный', 'некомпетент*ный', 'помог*ли', 'отзывчив*ый', 'внимательн*ый', 'колл центр', 'горяч*ая лини*я',
          'чат*', 'отписк*и', 'никто', 'гоняют', 'кассир*', 'девушк*а', 'люди', 'монтажник*', 'навяза*л',
        ],
        'bg-BG': [
          'обслужван*е', 'служител*', 'персонал*', 'консултант*', 'оператор*', 'техник*', 'продавач*', 'мениджър*',
          'любез*на', 'нелюбез*ен', 'учтив*', 'неучтив*', 'груб*', 'помогн*а', 'помаг*а', 'отзивчив*', 'некомпетент*ен',
          'компетент*ен', 'кол център', 'поддръжк*а', 'касиер*ка', 'никой', 'обясни', 'чат*а', 'хора', 'дама*та',
          'монтажник*', 'пробута',
        ],
      },
    },
    {
      id: 'speed',
      label: { 'en-US': 'Speed and delivery', 'pl-PL': 'Czas i dostawa', 'ru-RU': 'Скорость и доставка', 'bg-BG': 'Бързина и доставка' },
      phrases: {
        'en-US': [
          'fast*', 'quick*', 'slow*', 'wait*', 'on hold', 'delay*', 'late', 'deliver*y', 'shipping', 'shipped', 'courier*',
          'arriv*ed', 'took ages', 'ages', 'long time', 'took long', 'forever', 'on time', 'prompt*', 'immediately',
          'right away', 'next day', 'next morning', 'queue*', 'showed up', 'turned up', 'weeks', 'days', 'minutes',
          'earlier', 'stuck', 'straight away', 'still waiting',
        ],
        'pl-PL': [
          'szybk*o', 'szybciej', 'wolno', 'długo', 'dłużej', 'czeka*ć', 'dostaw*a', 'dostarcz*yć', 'kurier*', 'przesyłk*a',
          'paczk*a', 'wysyłk*a', 'punktualn*ie', 'opóźni*enie', 'spóźni*ł', 'od razu', 'natychmiast*', 'sprawn*ie',
          'ciągnie się', 'trwa*ł', 'kolejk*a', 'na drugi dzień', 'następnego dnia', 'kilka dni', 'parę dni', 'tygodni*e',
          'tydzień', 'utknęł*a', 'od ręki', 'minut', 'trzeci tydzień',
        ],
        'ru-RU': [
          'быстр*о', 'медленн*о', 'долго', 'дольше', 'долгое', 'жда*ть', 'жду', 'ждем', 'ожида*ние', 'достав*ка', 'курьер*',
          'привез*ли', 'вовремя', 'опозда*ние', 'задерж*ка', 'очеред*ь', 'висе*л', 'затяну*лся', 'срок*и', 'полчаса',
          'на следующий день', 'сразу', 'оперативн*о', 'застрял*а', 'раньше', 'минут',
        ],
        'bg-BG': [
          'бърз*о', 'бав*но', 'забав*и', 'чак*ах', 'достав*ка', 'куриер*', 'пратк*а', 'закъсн*я', 'навреме', 'веднага',
          'опашк*а', 'на следващия ден', 'за минути', 'половин час', 'минути', 'по рано',
          'склад*а',
        ],
      },
    },
    {
      id: 'billing',
      label: { 'en-US': 'Billing and errors', 'pl-PL': 'Rozliczenia i błędy', 'ru-RU': 'Счета и ошибки', 'bg-BG': 'Сметки и грешки' },
      phrases: {
        'en-US': [
          'bill', 'bills', 'billed', 'billing', 'invoic*e', 'charged', 'overcharg*ed', 'refund*', 'statement*', 'payment*',
          'direct debit', 'debit*', 'mistake*', 'error*', 'wrong amount', 'charged twice', 'taken from my account',
          'two times', 'reverse*', 'correction', 'never agreed',
        ],
        'pl-PL': [
          'faktur*a', 'rachun*ek', 'nalicz*yli', 'obciąż*enie', 'pobrali', 'pobrano', 'pobrał*', 'dwa razy', 'podwójn*ie',
          'błąd', 'błęd*y', 'pomyłk*a', 'pomyl*ili', 'zwrot*', 'odsetk*i', 'saldo', 'płatnoś*ć', 'za co płacę',
          'nie zamawia*łem', 'wyciąg*', 'dwukrotnie', 'zawyżon*a', 'korekt*a', 'oddali pieniądze',
          'pieniądze',
        ],
        'ru-RU': [
          'счет*', 'квитанци*я', 'списа*ли', 'списыва*ют', 'списани*е', 'начисл*ение', 'ошиб*ка', 'платеж*', 'оплат*а',
          'возврат*', 'верну*ли деньг*и', 'дважды', 'два раза', 'не подключа*л', 'выписк*а', 'перерасчет*',
          'завыш*ен', 'деньги',
        ],
        'bg-BG': [
          'сметк*а', 'фактур*а', 'таксува*ха', 'начисл*иха', 'грешк*а', 'грешн*а', 'сгреш*иха', 'двойн*о', 'два пъти',
          'върна* пари*те', 'възстанов*яване', 'плащан*е', 'не съм поръчва*л', 'извлечени*е', 'удържа*ха', 'надут*а',
          'корекци*ята', 'парите',
        ],
      },
    },
    { id: 'other', label: { 'en-US': 'Other', 'pl-PL': 'Inne', 'ru-RU': 'Другое', 'bg-BG': 'Друго' } },
  ],
};
