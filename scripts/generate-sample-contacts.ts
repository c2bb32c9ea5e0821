/**
 * Regenerates data/sample-contacts.csv, the demo list: 300 contacts in Poland, Russia and Bulgaria
 * with numbers in the formats people really type, a few duplicates and a few invalid rows.
 * Deterministic: `npx tsx scripts/generate-sample-contacts.ts` always writes the same file.
 */
import { writeFileSync } from 'node:fs';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

let seed = 20261122;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

const people = {
  PL: { first: ['Anna', 'Piotr', 'Katarzyna', 'Tomasz', 'Magdalena', 'Marek', 'Agnieszka', 'Paweł'], last: ['Nowak', 'Kowalski', 'Wiśniewska', 'Wójcik', 'Kamińska', 'Lewandowski'], regions: ['Mazowieckie', 'Małopolskie', 'Pomorskie', 'Śląskie'], language: 'pl-PL' },
  RU: { first: ['Ivan', 'Olga', 'Dmitry', 'Elena', 'Sergey', 'Natalia'], last: ['Ivanov', 'Smirnova', 'Kuznetsov', 'Popova', 'Sokolov'], regions: ['Moscow', 'Saint Petersburg', 'Yekaterinburg', 'Novosibirsk'], language: 'ru-RU' },
  BG: { first: ['Georgi', 'Maria', 'Ivan', 'Elena', 'Dimitar', 'Yana'], last: ['Petrov', 'Georgieva', 'Dimitrov', 'Ivanova', 'Nikolov'], regions: ['Sofia', 'Plovdiv', 'Varna', 'Burgas'], language: 'bg-BG' },
} as const;
const ruZones: Record<string, string> = { Moscow: 'Europe/Moscow', 'Saint Petersburg': 'Europe/Moscow', Yekaterinburg: 'Asia/Yekaterinburg', Novosibirsk: 'Asia/Novosibirsk' };
const segments = ['Retail', 'SMB', 'Enterprise'];
const agents = ['A. Zielińska', 'M. Krawczyk', 'O. Petrova', 'S. Todorov', 'K. Mazur'];

function number(country: keyof typeof people): { e164: string; written: string } {
  for (;;) {
    const e164 =
      country === 'PL' ? `+48${pick(['50', '51', '53', '60', '66', '69', '72', '73', '78', '79', '88'])}${digits(7)}`
      : country === 'RU' ? `+79${pick(['12', '16', '26', '03', '85'])}${digits(7)}`
      : `+359${pick(['87', '88', '89'])}${digits(7)}`;
    if (!parsePhoneNumberFromString(e164)?.isValid()) continue;
    const n = e164.slice(country === 'PL' ? 3 : country === 'RU' ? 2 : 4);
    const written =
      country === 'PL'
        ? pick([`${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, `+48 (${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, `0048${n}`, e164])
        : country === 'RU'
          ? pick([`+7 ${n.slice(0, 3)} ${n.slice(3, 6)}-${n.slice(6, 8)}-${n.slice(8)}`, `007${n}`, e164])
          : pick([`+359 ${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5)}`, `00359${n}`, e164]);
    return { e164, written };
  }
}

const quote = (v: string) => (/[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const rows: string[][] = [['phone', 'name', 'language', 'timezone', 'region', 'segment', 'agent', 'customer_since']];
const written: string[] = [];
for (let i = 0; i < 300; i++) {
  const country = i < 150 ? 'PL' : i < 230 ? 'RU' : 'BG';
  const p = people[country];
  const region = pick(p.regions);
  const { written: phone } = number(country);
  written.push(phone);
  rows.push([
    phone,
    `${pick(p.first)} ${pick(p.last)}`,
    p.language,
    country === 'RU' && random() < 0.8 ? ruZones[region]! : '',
    region,
    pick(segments),
    pick(agents),
    String(2015 + Math.floor(random() * 11)),
  ]);
}
// Duplicates after normalisation, and rows an operator must see rejected.
rows.push([written[3]!.replace(/\s/g, ''), 'Anna Duplicate', 'pl-PL', '', 'Mazowieckie', 'Retail', agents[0]!, '2020']);
rows.push([written[200]!, 'Olga Duplicate', 'ru-RU', '', 'Moscow', 'SMB', agents[2]!, '2021']);
rows.push(['12345', 'Too Short', 'pl-PL', '', 'Pomorskie', 'SMB', agents[1]!, '2019']);
rows.push(['n/a', 'No Number', 'pl-PL', '', 'Śląskie', 'Retail', agents[4]!, '2018']);
rows.push(['+48 501 234 56', 'Missing Digit', 'pl-PL', '', 'Małopolskie', 'Enterprise', agents[0]!, '2022']);
writeFileSync('data/sample-contacts.csv', `${rows.map((r) => r.map(quote).join(',')).join('\n')}\n`);
console.log(`wrote data/sample-contacts.csv: ${rows.length - 1} rows`);
