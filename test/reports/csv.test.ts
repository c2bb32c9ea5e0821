import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { escapeCell, renderReport, SUMMARY_COLUMNS, type ReportServiceDeps } from '../../src/reports/index.js';
import { testEnv } from '../support/factories.js';
import { others, REPORT_TARIFF, scored, seedList, reportDeps } from '../support/reports.js';

function setup() {
  const env = testEnv();
  const deps: ReportServiceDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: '/nonexistent' }, linkSecret: undefined });
  return { ...env, deps };
}

async function csvRows(deps: ReportServiceDeps, listId: number, options: { full?: boolean; summary?: boolean } = {}): Promise<Record<string, string>[]> {
  const rendered = await renderReport(deps, { listId, format: 'csv', ...options });
  expect(rendered.contentType).toBe('text/csv; charset=utf-8');
  const body = typeof rendered.body === 'string' ? rendered.body : await text(rendered.body as Readable);
  return parse(body, { columns: true }) as Record<string, string>[];
}

describe('spreadsheet-safe cells', () => {
  it('prefixes text that a spreadsheet would run as a formula with an apostrophe', () => {
    expect(escapeCell('=HYPERLINK("http://x")')).toBe(`'=HYPERLINK("http://x")`);
    expect(escapeCell('+48501234567')).toBe("'+48501234567");
    expect(escapeCell('-2+3')).toBe("'-2+3");
    expect(escapeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(escapeCell('\tcmd')).toBe("'\tcmd");
    expect(escapeCell('＝1+1')).toBe("'＝1+1");
    expect(escapeCell('North')).toBe('North');
    expect(escapeCell('a=b')).toBe('a=b');
  });
});

describe('per-contact CSV', () => {
  it('has one row per contact with disposition, attempts, score, category, comment and billing; numbers masked', async () => {
    const { deps, database } = setup();
    const { listId, responseCallIds } = seedList(database, {
      contacts: [
        { phone: '+48501234567', score: 4, attempts: 2, attributes: { region: 'North', note: '=cmd|/c calc' }, comment: { status: 'downloaded', file: 'list-1/call-2.mp3', seconds: 9 } },
        { phone: '+48501234568', status: 'busy', attributes: { region: 'South' } },
        { phone: '+48501234569', status: 'pending', attempts: 0 },
      ],
    });
    const rows = await csvRows(deps, listId);
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0]!)).toEqual([
      'contact_id',
      'row_number',
      'phone',
      'language',
      'attr_note',
      'attr_region',
      'disposition',
      'attempts',
      'last_call_at',
      'score',
      'category',
      'comment_status',
      'comment_file',
      'comment_seconds',
      'recording_call_id',
      'billable_seconds',
      'amount_minor',
      'comment_text',
      'comment_themes',
      'sentiment',
      'reason',
      'value',
    ]);
    expect(rows[0]).toMatchObject({
      row_number: '2',
      phone: "'+48******567",
      // A Polish number in a list without --language hears Polish (#14 item 2).
      language: 'pl-PL',
      attr_note: "'=cmd|/c calc",
      attr_region: 'North',
      disposition: 'responded',
      attempts: '2',
      score: '4',
      category: 'detractor',
      comment_status: 'downloaded',
      comment_file: 'list-1/call-2.mp3',
      comment_seconds: '9',
      recording_call_id: String(responseCallIds[0]),
      billable_seconds: '60',
      amount_minor: '12',
    });
    expect(rows[1]).toMatchObject({ disposition: 'busy', score: '', category: '', billable_seconds: '0', attr_note: '' });
    expect(rows[2]).toMatchObject({ disposition: 'notDialled', attempts: '0', last_call_at: '' });
  });

  it('shows full numbers with --full', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, { contacts: [{ phone: '+48501234567', score: 9 }] });
    expect((await csvRows(deps, listId, { full: true }))[0]!.phone).toBe("'+48501234567");
  });

  it("carries each contact's why: the comment's words and themes, its sentiment, the keypad reason and the value", async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      contacts: [
        { score: 2, text: { text: '=too expensive and slow', themes: ['speed', 'price'], sentiment: 'negative' }, reason: 'price', value: 1250.5 },
        { score: 9, reason: 'quality' },
        { status: 'busy' },
      ],
    });
    const rows = await csvRows(deps, listId);
    expect(rows[0]).toMatchObject({ comment_text: "'=too expensive and slow", comment_themes: 'price;speed', sentiment: 'negative', reason: 'price', value: '1250.5' });
    expect(rows[1]).toMatchObject({ comment_text: '', comment_themes: '', sentiment: '', reason: 'quality', value: '' });
    expect(rows[2]).toMatchObject({ score: '', comment_text: '', comment_themes: '', reason: '', value: '' });
  });

  it('streams lists longer than one page, every contact once and in order', async () => {
    const { deps, database } = setup();
    const { listId, contactIds } = seedList(database, { contacts: [...others(2300, 'unanswered'), ...scored({ promoters: 1000, passives: 0, detractors: 0 })] });
    // The next list's contacts follow in id order and must not leak in.
    seedList(database, { contacts: others(10, 'busy') });
    const rows = await csvRows(deps, listId);
    expect(rows.map((r) => Number(r.contact_id))).toEqual(contactIds);
  });
});

describe('summary CSV', () => {
  it('is one tidy table: the list, every segment row, then the dispositions; negative NPS stays a number', async () => {
    const { deps, database } = setup();
    const { listId } = seedList(database, {
      name: '=evil list',
      contacts: [...scored({ promoters: 1, passives: 1, detractors: 3 }, { attributes: { region: '@North' } }), ...others(5, 'busy')],
    });
    const rows = await csvRows(deps, listId, { summary: true });
    expect(Object.keys(rows[0]!)).toEqual([...SUMMARY_COLUMNS]);
    expect(rows[0]).toMatchObject({ dimension: 'list', value: "'=evil list", contacts: '10', responses: '5', response_rate: '0.5', promoters: '1', nps: '-40', low_sample: 'true' });
    expect(rows.find((r) => r.dimension === 'region' && r.value === "'@North")).toMatchObject({ contacts: '5', responses: '5', nps: '-40' });
    expect(rows.find((r) => r.dimension === 'region' && r.value === '(no value)')).toMatchObject({ contacts: '5', responses: '0', nps: '' });
    expect(rows.filter((r) => r.dimension === 'disposition').map((r) => [r.value, r.contacts])).toContainEqual(['busy', '5']);
    expect(Number(rows[0]!.nps_ci95_low)).toBeLessThan(-40);
  });
});
