import { describe, expect, it } from '@jest/globals';
import { addClient, addSuppressions, importList, listLists, PHONE_COLUMN_NAMES, showList, SqliteClientStore, SqliteImportSink, SqliteSuppressionStore, SqliteListStore } from '../../src/contacts/index.js';
import { testEnv } from '../support/factories.js';
import { contactLines } from '../support/csv.js';
import { countRows, importCsv, rejection, storedContacts } from '../support/imports.js';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const HINT = '; write numbers in E.164 like +48512345678';

describe('importList: phone numbers', () => {
  it('stores every accepted way of writing a number in E.164', async () => {
    const env = testEnv();
    const summary = await importCsv(
      env,
      csv('phone', '501 234 567', '0048601234567', '+48 (701) 234-567', '+48791234567', '00 48 881 234 567', '+1 212 555 0100', '+7 916 123 45 67'),
    );
    expect(summary).toMatchObject({ rows: 7, imported: 7, duplicates: 0, rejectedCount: 0 });
    expect(storedContacts(env, summary.listId).map((c) => [c.row, c.phone, c.country])).toEqual([
      [2, '+48501234567', 'PL'],
      [3, '+48601234567', 'PL'],
      [4, '+48701234567', 'PL'],
      [5, '+48791234567', 'PL'],
      [6, '+48881234567', 'PL'],
      [7, '+12125550100', 'US'],
      [8, '+79161234567', 'RU'],
    ]);
  });

  it('imports a number written as 0048…, +48 (…) and nationally once, as +48…, and reports the rows it repeats', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone,name', '+48501234567,First', '0048501234567,Second', '501 234 567,Third', '+48 (501) 234-567,Fourth'));
    expect(summary).toMatchObject({ rows: 4, imported: 1, duplicates: 3, rejectedCount: 0 });
    expect(summary.duplicateRows).toEqual([
      { row: 3, value: '+48501234567', firstRow: 2 },
      { row: 4, value: '+48501234567', firstRow: 2 },
      { row: 5, value: '+48501234567', firstRow: 2 },
    ]);
    expect(storedContacts(env, summary.listId)).toMatchObject([{ row: 2, phone: '+48501234567', name: 'First' }]);
  });

  it('rejects invalid numbers with their row, value and reason, and imports the other rows', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone,name', '12345,A', 'n/a,B', ',C', '+48 501 234 56,D', '501 234 567,E', '+999 123456,F'));
    expect(summary).toMatchObject({ rows: 6, imported: 1, rejectedCount: 5 });
    expect(summary.rejected).toEqual([
      { row: 2, field: 'phone', value: '12345', reason: `is too short for PL${HINT}` },
      { row: 3, field: 'phone', value: 'n/a', reason: `is not a phone number${HINT}` },
      { row: 4, field: 'phone', value: '', reason: `is empty${HINT}` },
      { row: 5, field: 'phone', value: '+48 501 234 56', reason: 'is written correctly but is not a number in use in PL (a reserved or unassigned range, or a digit missing or extra); check the digits' },
      { row: 7, field: 'phone', value: '+999 123456', reason: `has no recognisable country code${HINT}` },
    ]);
    expect(storedContacts(env, summary.listId).map((c) => c.row)).toEqual([6]);
  });

  it('without a country, rejects national numbers with a reason naming --country and keeps international ones', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone', '501 234 567', '+48601234567'), { country: undefined });
    expect(summary.imported).toBe(1);
    expect(summary.rejected).toEqual([
      { row: 2, field: 'phone', value: '501 234 567', reason: expect.stringContaining('has no country code') },
    ]);
    expect(summary.rejected[0]!.reason).toContain('--country');
  });

  it('rejects text that merely contains a number', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone', 'call 501234567', '601234567'));
    expect(summary.rejected).toEqual([{ row: 2, field: 'phone', value: 'call 501234567', reason: `is not a phone number${HINT}` }]);
  });
});

describe('importList: CSV dialects', () => {
  it('drops a UTF-8 byte-order mark, so the first header is still "phone"', async () => {
    const env = testEnv();
    const summary = await importCsv(env, `\uFEFF${csv('phone,name', '501234567,Łukasz Żółw')}`);
    expect(summary.imported).toBe(1);
    expect(storedContacts(env, summary.listId)[0]).toMatchObject({ phone: '+48501234567', name: 'Łukasz Żółw' });
  });

  it('reads a semicolon-separated file, where commas are ordinary characters', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone;name;region', '501 234 567;Kowalski, Jan;Mazowieckie', '601 234 567;"Nowak; Anna";Śląskie'));
    expect(storedContacts(env, summary.listId).map((c) => [c.name, c.attributes])).toEqual([
      ['Kowalski, Jan', { region: 'Mazowieckie' }],
      ['Nowak; Anna', { region: 'Śląskie' }],
    ]);
  });

  it('reads a tab-separated file', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('Phone\tName\tsegment', '501 234 567\tAnna\tSMB'));
    expect(storedContacts(env, summary.listId)).toMatchObject([{ phone: '+48501234567', name: 'Anna', attributes: { segment: 'SMB' } }]);
  });

  it('refuses a quote inside an unquoted field (a formula payload) with the line and how to fix it', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone,name', '501234567,Anna', '=HYPERLINK("http://x"),Bad')));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.userMessage).toMatch(/line 3.*quote appears inside an unquoted field.*Nothing was imported/);
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('skips blank lines but keeps the spreadsheet row numbers after them', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('', 'phone,name', '501234567,Anna', '', '   ', '12345,Bad', '601234567,Jan'));
    expect(summary.rows).toBe(3);
    expect(summary.rejected).toEqual([expect.objectContaining({ row: 6, value: '12345' })]);
    expect(storedContacts(env, summary.listId).map((c) => [c.row, c.name])).toEqual([
      [3, 'Anna'],
      [7, 'Jan'],
    ]);
  });

  it('reads CRLF line ends', async () => {
    const env = testEnv();
    const summary = await importCsv(env, 'phone,name\r\n501234567,Anna\r\n601234567,Jan\r\n');
    expect(storedContacts(env, summary.listId).map((c) => [c.row, c.name])).toEqual([
      [2, 'Anna'],
      [3, 'Jan'],
    ]);
  });

  it('keeps commas, doubled quotes and newlines inside quoted fields, and counts a multi-line record as one row', async () => {
    const env = testEnv();
    const summary = await importCsv(
      env,
      csv('phone,name,note', '501234567,"Kowalska, Anna","first line', 'second line"', '12,"Say ""hi""",x', '601234567,"Nowak, Jan","a, b"'),
    );
    expect(summary).toMatchObject({ rows: 3, imported: 2, rejectedCount: 1 });
    // The record after the multi-line field is row 3 (the third record), not line 4.
    expect(summary.rejected).toEqual([{ row: 3, field: 'phone', value: '12', reason: `is too short for PL${HINT}` }]);
    expect(storedContacts(env, summary.listId).map((c) => [c.row, c.name, c.attributes])).toEqual([
      [2, 'Kowalska, Anna', { note: 'first line\nsecond line' }],
      [4, 'Nowak, Jan', { note: 'a, b' }],
    ]);
  });

  it('rejects rows with the wrong number of fields, naming both counts, and accepts trailing empty fields', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone,name', '501234567,Anna,extra', '601234567', '701234567,Jan,,'));
    expect(summary.rejected).toEqual([
      { row: 2, field: '*', value: '501234567,Anna,extra', reason: 'has 3 fields but the header has 2; check the quoting of this row' },
      { row: 3, field: '*', value: '601234567', reason: 'has 1 fields but the header has 2; check the quoting of this row' },
    ]);
    expect(storedContacts(env, summary.listId)).toMatchObject([{ row: 4, phone: '+48701234567', name: 'Jan' }]);
  });

  it('refuses a file that is not UTF-8, naming the byte offset and line, and imports nothing', async () => {
    const env = testEnv();
    const head = Buffer.from('phone,name\n501234567,Jan\n601234567,');
    // "Łukasz" saved as Windows-1250: Ł is the single byte 0xA3.
    const error = await rejection(importCsv(env, Buffer.concat([head, Buffer.from([0xa3]), Buffer.from('ukasz\n')])));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`byte ${head.length} (0xa3) on line 3 is not part of a UTF-8 character`);
    expect(error.message).toContain('"CSV UTF-8"');
    expect(error.details).toMatchObject({ byteOffset: head.length });
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });

  it('refuses a file that ends in the middle of a UTF-8 character', async () => {
    const env = testEnv();
    const content = Buffer.concat([Buffer.from('phone,name\n501234567,Jan'), Buffer.from([0xc5])]);
    const error = await rejection(importCsv(env, content));
    expect(error.message).toContain(`ends in the middle of a character (byte ${content.length})`);
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses a record beyond the maximum record size, naming its line, and imports nothing', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone,name', '501234567,Anna', `601234567,${'x'.repeat(70_000)}`)));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toBe(
      'cannot parse CSV at line 3: a record is longer than 65536 bytes; the file is probably not a contact list or its quoting is broken. Nothing was imported.',
    );
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });

  it('refuses a quoted field that is never closed, naming the line', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone,name', '501234567,"Anna', '601234567,Jan')));
    expect(error.message).toMatch(/^cannot parse CSV at line \d+: a quoted field is never closed/);
    expect(countRows(env, 'lists')).toBe(0);
  });
});

describe('importList: the header', () => {
  it('refuses a file without a phone column, naming every accepted column name', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('name,tel', 'Anna,501234567')));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toBe(
      'no phone column: the header has "name", "tel"; name the column with the numbers one of phone, phone_number, number, msisdn, mobile, telefon, numer telefonu, телефон, номер телефона, телефонен номер (any case)',
    );
    expect(error.details).toEqual({ header: ['name', 'tel'], accepted: PHONE_COLUMN_NAMES });
    expect(countRows(env, 'lists')).toBe(0);
  });

  it.each(PHONE_COLUMN_NAMES.flatMap((name) => [name, name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1)]))(
    'accepts the phone column named %s',
    async (header) => {
      const env = testEnv();
      const summary = await importCsv(env, csv(`name,${header}`, 'Anna,501 234 567'));
      expect(storedContacts(env, summary.listId)).toMatchObject([{ phone: '+48501234567', name: 'Anna', attributes: {} }]);
    },
  );

  it('refuses two phone columns, naming both', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('Phone,name,MSISDN', '501234567,Anna,601234567')));
    expect(error.message).toBe('several phone columns ("Phone", "MSISDN"); keep one of them or rename the others');
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses a header that names a column twice', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone,Region,region', '501234567,a,b')));
    expect(error.message).toBe('the header names column "region" twice (columns 2 and 3); rename one of them');
  });

  it('refuses an empty file', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, ''));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/is empty; expected a header row naming a phone column/);
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses a file of blank lines as having no header', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, '\n\n'));
    expect(error.message).toMatch(/has no header row$/);
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses a header-only file and creates no list', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone,name')));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/has a header but no contact rows; nothing was imported$/);
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses a file in which every row is invalid, reports the rejections and creates no list', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone', '12', 'n/a')));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/no row of ".*" has a valid phone number \(2 rejected\); nothing was imported$/);
    expect(error.details).toMatchObject({ rejectedCount: 2, rejected: [{ row: 2, value: '12' }, { row: 3, value: 'n/a' }] });
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
  });
});

describe('importList: attributes, language and time zone', () => {
  it('stores known columns under lower-case keys, other columns under their header spelling, and omits empty values', async () => {
    const env = testEnv();
    const summary = await importCsv(
      env,
      csv('Phone,NAME,Region,SEGMENT,Agent,Customer Since,ltv_EUR', '501234567,Anna,Mazowieckie,SMB,K. Mazur,2020,1200', '601234567,,, ,,,'),
    );
    expect(storedContacts(env, summary.listId).map((c) => [c.name, c.attributes])).toEqual([
      ['Anna', { region: 'Mazowieckie', segment: 'SMB', agent: 'K. Mazur', 'Customer Since': '2020', ltv_EUR: '1200' }],
      [null, {}],
    ]);
    expect((await showList({ lists: new SqliteListStore(env.database), listId: summary.listId! })).attributes).toEqual(['Customer Since', 'agent', 'ltv_EUR', 'region', 'segment']);
  });

  it('canonicalises language tags and time zones', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone,language,timezone', '501234567,pl_pl,europe/warsaw', '601234567,EN-us,America/New_York', '701234567,,'));
    expect(storedContacts(env, summary.listId).map((c) => [c.language, c.timezone])).toEqual([
      ['pl-PL', 'Europe/Warsaw'],
      ['en-US', 'America/New_York'],
      [null, null],
    ]);
  });

  it('rejects a row with an invalid language or time zone, naming the column and what is accepted', async () => {
    const env = testEnv();
    const summary = await importCsv(env, csv('phone,language,timezone', '501234567,polish,', '601234567,pl-PL,Mars/Olympus', '701234567,ru-RU,Europe/Moscow'));
    expect(summary.rejected).toEqual([
      { row: 2, field: 'language', value: 'polish', reason: 'is not a language tag; use BCP 47 such as en-US, pl-PL, ru-RU or bg-BG' },
      { row: 3, field: 'timezone', value: 'Mars/Olympus', reason: 'is not an IANA time zone; use a name such as Europe/Warsaw or America/New_York' },
    ]);
    expect(storedContacts(env, summary.listId).map((c) => c.row)).toEqual([4]);
  });
});

describe('importList: the do-not-call list', () => {
  it('counts suppressed numbers and stores them as suppressed with no next attempt; the others wait for their first call', async () => {
    const env = testEnv();
    await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48601234567', '0048701234567'], source: 'operator' });
    const summary = await importCsv(env, csv('phone', '501 234 567', '601 234 567', '+48 701 234 567'));
    expect(summary).toMatchObject({ imported: 3, suppressed: 2 });
    expect(storedContacts(env, summary.listId).map((c) => [c.phone, c.status, c.attempts, c.nextAttemptAt])).toEqual([
      ['+48501234567', 'pending', 0, env.clock.now()],
      ['+48601234567', 'suppressed', 0, null],
      ['+48701234567', 'suppressed', 0, null],
    ]);
    expect((await listLists({ lists: new SqliteListStore(env.database) }))[0]!.byStatus).toMatchObject({ pending: 1, suppressed: 2 });
  });
});

describe('importList: dry run', () => {
  it('reports what an import would do and writes nothing', async () => {
    const env = testEnv();
    await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48601234567'], source: 'operator' });
    const content = csv('phone,name', '501234567,A', '0048501234567,B', '601234567,C', '12,D');
    const dry = await importCsv(env, content, { dryRun: true });
    expect(countRows(env, 'lists')).toBe(0);
    expect(countRows(env, 'contacts')).toBe(0);
    expect(env.database.sqlite.prepare('SELECT count(*) FROM sqlite_temp_master').pluck().get()).toBe(0);

    const real = await importCsv(env, content);
    expect(dry).toEqual({ ...real, listId: null, dryRun: true });
    expect(dry).toMatchObject({ imported: 2, duplicates: 1, suppressed: 1, rejectedCount: 1 });
  });
});

describe('importList: names and clients', () => {
  it('refuses a second list with the same name, naming the existing list, and leaves the first intact', async () => {
    const env = testEnv();
    const first = await importCsv(env, csv('phone', '501234567'));
    const error = await rejection(importCsv(env, csv('phone', '601234567')));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe(`a list named "wave 1" already exists (list ${first.listId}); choose another --name`);
    expect(countRows(env, 'lists')).toBe(1);
    expect(storedContacts(env, first.listId).map((c) => c.phone)).toEqual(['+48501234567']);
  });

  it('refuses a second dry run with a taken name too', async () => {
    const env = testEnv();
    await importCsv(env, csv('phone', '501234567'));
    expect((await rejection(importCsv(env, csv('phone', '601234567'), { dryRun: true }))).code).toBe('CONFLICT');
  });

  it('lets two clients use the same list name and records the client', async () => {
    const env = testEnv();
    const acme = (await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' })).client;
    const globex = (await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Globex' })).client;
    const a = await importCsv(env, csv('phone', '501234567'), { clientId: acme.id });
    const b = await importCsv(env, csv('phone', '501234567'), { clientId: globex.id });
    expect(await showList({ lists: new SqliteListStore(env.database), listId: a.listId! })).toMatchObject({ clientId: acme.id, clientName: 'Acme' });
    expect((await listLists({ lists: new SqliteListStore(env.database), clientId: globex.id })).map((l) => l.id)).toEqual([b.listId]);
  });

  it('refuses an unknown client with NOT_FOUND and creates nothing', async () => {
    const env = testEnv();
    const error = await rejection(importCsv(env, csv('phone', '501234567'), { clientId: 42 }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('client 42 does not exist; see `nps-dialer clients list`');
    expect(countRows(env, 'lists')).toBe(0);
  });

  it('refuses an empty name', async () => {
    const env = testEnv();
    expect((await rejection(importCsv(env, csv('phone', '501234567'), { name: '  ' }))).code).toBe('USAGE');
  });

  it('refuses a file that does not exist', async () => {
    const env = testEnv();
    const error = await rejection(importList({ sink: new SqliteImportSink(env.database), clock: env.clock, logger: env.logger, file: '/nonexistent/contacts.csv', name: 'x' }));
    expect(error.message).toBe('cannot read "/nonexistent/contacts.csv": no such file');
    expect(countRows(env, 'lists')).toBe(0);
  });
});

describe('listLists and showList', () => {
  it('count contacts by status and report the list settings', async () => {
    const env = testEnv();
    await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48601234567'], source: 'operator' });
    const summary = await importCsv(env, csv('phone,region', '501234567,North', '601234567,South', '701234567,'), { script: { company: 'Acme' } });
    const [overview] = await listLists({ lists: new SqliteListStore(env.database) });
    expect(overview).toMatchObject({ id: summary.listId, name: 'wave 1', contacts: 3, final: false, byStatus: { pending: 2, suppressed: 1, responded: 0 } });
    expect(await showList({ lists: new SqliteListStore(env.database), listId: summary.listId! })).toMatchObject({
      sourceFile: 'contacts.csv',
      defaultCountry: 'PL',
      script: { company: 'Acme' },
      policy: {},
      attributes: ['region'],
      nextAttemptAt: env.clock.now(),
    });
  });

  it('showList refuses an unknown list with NOT_FOUND', async () => {
    const env = testEnv();
    await expect(showList({ lists: new SqliteListStore(env.database), listId: 7 })).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'list 7 does not exist; see `nps-dialer lists`' }));
  });
});

describe('importList: the worker thread', () => {
  it('gives exactly the same summary and contacts as validating inline', async () => {
    const lines = contactLines(0, 6_000);
    // Duplicates, invalid numbers, wrong widths and suppressed numbers spread over several parse batches.
    for (let i = 0; i < lines.length; i += 97) lines[i] = `${i % 2 ? '0048' : '+48 '}501${String(i + 1).padStart(6, '0')},Dup ${i}`;
    for (let i = 50; i < lines.length; i += 211) lines[i] = `12${i},Short ${i}`;
    for (let i = 70; i < lines.length; i += 503) lines[i] = `${lines[i]},extra`;
    const content = csv('phone,name', ...lines);
    const run = async (parallel: boolean) => {
      const env = testEnv();
      await addSuppressions({ suppressions: new SqliteSuppressionStore(env.database), clock: env.clock, numbers: ['+48501000003', '+48501004000'], source: 'operator' });
      const summary = await importCsv(env, content, { parallel });
      return { summary: { ...summary, listId: undefined }, contacts: storedContacts(env, summary.listId) };
    };
    const inline = await run(false);
    const worker = await run(true);
    expect(inline.summary.duplicates).toBeGreaterThan(0);
    expect(inline.summary.rejectedCount).toBeGreaterThan(0);
    expect(inline.summary.suppressed).toBe(2);
    expect(worker).toEqual(inline);
  });
});
