import { describe, expect, it } from '@jest/globals';
import iconv from 'iconv-lite';
import { importList, SqliteImportSink } from '../../src/contacts/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { sqliteReader } from '../../src/db/index.js';
import { listLanguages, planList } from '../../src/dialer/index.js';
import { buildReport } from '../../src/reports/index.js';
import { parseConfig } from '../../src/config/index.js';
import { testEnv, writeTempFile, type TestEnv } from '../support/factories.js';
import { importCsv, rejection, storedContacts } from '../support/imports.js';
import { REPORT_TARIFF, reportDeps } from '../support/reports.js';

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const config = parseConfig({ DATABASE_PATH: ':memory:' });

function scoreAll(env: TestEnv, listId: number, score: number): void {
  // Every contact answered with `score`, as the dialer would have stored it.
  const { sqlite } = env.database;
  const contacts = sqlite.prepare('SELECT id FROM contacts WHERE list_id = ?').pluck().all(listId) as number[];
  for (const [i, contactId] of contacts.entries()) {
    const callId = (
      sqlite
        .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, answered_by, created_at) VALUES (?, ?, 1, ?, 'ended', 'human', 'human', 0) RETURNING id`)
        .get(contactId, listId, `ref-${listId}-${i}`) as { id: number }
    ).id;
    sqlite.prepare('INSERT INTO responses (contact_id, call_id, list_id, score, created_at) VALUES (?, ?, ?, ?, 0)').run(contactId, callId, listId, score);
    sqlite.prepare(`UPDATE contacts SET status = 'responded' WHERE id = ?`).run(contactId);
  }
}

describe('import: a messy Polish spreadsheet export (#14 items 1 and 5)', () => {
  const polish = csv('Telefon;Imię;Nazwisko;Region;E-mail', '+48 501 234 567;Łukasz;Żółć;Pomorskie;l.z@example.pl', '+48 501 234 568;Paweł;Wiśniewski;Małopolskie;p.w@example.pl', '+48 501 234 569;Anna;Nowak;Pomorskie;a.n@example.pl', '+48 501 234 570;Ewa;Kowalska;Małopolskie;e.k@example.pl');

  it('names the real bad byte of a Windows-1250 file and the likely encoding, imports nothing, and uses up no list id', async () => {
    const env = testEnv();
    const first = await importCsv(env, csv('phone', '+48501234567'), { name: 'first' });
    expect(first.listId).toBe(1);
    const error = await rejection(importCsv(env, iconv.encode(polish, 'windows-1250'), { name: 'polish' }));
    expect(error.message).toBe(
      'the file is not valid UTF-8: byte 11 (0xea) on line 1 is not part of a UTF-8 character. It looks like windows-1250 (Polish, Czech, Hungarian …): ' +
        'import with --encoding windows-1250, or save the file as "CSV UTF-8". Nothing was imported.',
    );
    // The failed import gave its id back: the next list is 2, not 3.
    const next = await importCsv(env, csv('phone', '+48501234568'), { name: 'next' });
    expect(next.listId).toBe(2);
  });

  it('imports it with --encoding: Imię + Nazwisko become the name, the e-mail is not stored, region is the one segment', async () => {
    const env = testEnv();
    const summary = await importCsv(env, iconv.encode(polish, 'windows-1250'), { name: 'polish', encoding: 'windows-1250' });
    expect(summary).toMatchObject({ imported: 4, rejectedCount: 0 });
    expect(storedContacts(env, summary.listId).map((c) => [c.name, c.attributes])).toEqual([
      ['Łukasz Żółć', { region: 'Pomorskie' }],
      ['Paweł Wiśniewski', { region: 'Małopolskie' }],
      ['Anna Nowak', { region: 'Pomorskie' }],
      ['Ewa Kowalska', { region: 'Małopolskie' }],
    ]);
    expect(summary.columns).toEqual({
      name: ['Imię', 'Nazwisko'],
      segments: ['region'],
      notSegments: [],
      ignored: [{ column: 'E-mail', reason: 'e-mail addresses: personal data the survey does not need, not stored' }],
    });
    expect(env.database.sqlite.prepare('SELECT source_file FROM lists WHERE id = ?').pluck().get(summary.listId)).toBe('contacts.csv');
  });

  it('refuses an unknown --encoding naming the value and examples', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, polish, { encoding: 'latin-42' }));
    expect(error.message).toBe("--encoding: 'latin-42' is not an encoding this importer knows; use one such as utf-8, windows-1250, iso-8859-2, windows-1251, koi8-r, cp866, windows-1252");
  });

  it("honours Excel's sep=; first line: it names the delimiter and is not the header", async () => {
    const env = testEnv();
    const summary = await importCsv(env, `sep=;\r\n${polish}`, { name: 'excel' });
    expect(summary).toMatchObject({ rows: 4, imported: 4, rejectedCount: 0 });
    expect(storedContacts(env, summary.listId)[0]).toMatchObject({ row: 2, phone: '+48501234567', name: 'Łukasz Żółć' });
  });

  it.each([
    ['Numer telefonu;Imię', '501 234 567;Anna'],
    ['Телефон;Имя', '501 234 567;Анна'],
    ['Номер телефона;Имя', '501 234 567;Анна'],
    ['Телефонен номер;Име', '501 234 567;Ана'],
  ])('finds the numbers under a Polish, Russian or Bulgarian header: %s', async (header, row) => {
    const env = testEnv();
    const summary = await importCsv(env, `${header}\n${row}\n`);
    expect(summary).toMatchObject({ imported: 1, rejectedCount: 0 });
    expect(storedContacts(env, summary.listId)[0]).toMatchObject({ phone: '+48501234567' });
  });

  it("accepts a spreadsheet's leading apostrophe and explains numbers mangled into scientific notation", async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone', "'+48501234567", '4.85012E+10', '+44 7700 900123'));
    expect(summary.imported).toBe(1);
    expect(summary.rejected).toEqual([
      { row: 3, field: 'phone', value: '4.85012E+10', reason: 'is in scientific notation: a spreadsheet turned the number into a float and its last digits are lost; format the phone column as Text and export the file again' },
      { row: 4, field: 'phone', value: '+44 7700 900123', reason: 'is written correctly but is not a number in use under +44 (a reserved or unassigned range, or a digit missing or extra); check the digits' },
    ]);
  });
});

describe('segments: never single people (#14 item 1)', () => {
  it('makes no segment of a name column, of mostly unique values or of e-mail-like values, in the import summary and the report', async () => {
    const env = testEnv();
    const rows = Array.from({ length: 6 }, (_, i) => `+4850123456${i};Person ${i};C-${1000 + i};${i % 2 ? 'north' : 'south'};x${i}@mail.pl`);
    const summary = await importCsv(env, csv('Telefon;Imię;Customer;Region;Contact', ...rows));
    expect(summary.columns).toEqual({
      name: ['Imię'],
      segments: ['region'],
      notSegments: [
        { column: 'Customer', reason: "its values are mostly unique (6 different among 6): a breakdown would show single people's scores" },
        { column: 'Contact', reason: 'its values look like e-mail addresses' },
      ],
      ignored: [],
    });
    scoreAll(env, summary.listId!, 9);
    const report = await buildReport(reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' } }), { listId: summary.listId! });
    expect(Object.keys(report.segments).sort()).toEqual(['language', 'region']);
    expect(report.segmentsOmitted).toEqual(
      expect.arrayContaining([
        { attribute: 'Customer', reason: "its values are mostly unique (6 different among 6): a breakdown would show single people's scores" },
        { attribute: 'Contact', reason: 'its values look like e-mail addresses' },
      ]),
    );
    expect(JSON.stringify(report)).not.toContain('Person 1');
  });
});

describe('the survey language follows the country (#14 item 2)', () => {
  it('surveys a --country PL list in Polish, a Russian number in it in Russian, and a contact\'s own column first; lists show and plan say so', async () => {
    const env = testEnv();
    const summary = await importList({
      sink: new SqliteImportSink(env.database),
      clock: env.clock,
      logger: env.logger,
      file: writeTempFile('pl.csv', csv('phone,language', '501 234 567,', '501 234 568,', '+7 916 123 45 67,', '501 234 569,en-GB')),
      name: 'PL',
      country: 'PL',
      parallel: false,
    });
    const reader = sqliteReader(env.database);
    const lists = new ListSettingsBook(reader, config);
    expect((await lists.load(summary.listId!)).language).toBe('pl-PL');
    expect(await listLanguages({ reader, lists, listId: summary.listId! })).toEqual([
      { language: 'pl-PL', contacts: 2 },
      { language: 'en-US', contacts: 1 },
      { language: 'ru-RU', contacts: 1 },
    ]);
    const plan = await planList({ reader, lists, listId: summary.listId!, now: env.clock.now() });
    expect(plan.rows.map((r) => r.language)).toEqual(['pl-PL', 'pl-PL', 'ru-RU', 'en-US']);
  });

  it("lets the list's own --language win over the countries", async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone', '501 234 567', '+7 916 123 45 67'), { script: { language: 'en-US' } });
    const reader = sqliteReader(env.database);
    expect(await listLanguages({ reader, lists: new ListSettingsBook(reader, config), listId: summary.listId! })).toEqual([{ language: 'en-US', contacts: 2 }]);
  });
});
