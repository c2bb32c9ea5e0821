import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { importList, type ContactRows, type ImportSession, type ImportSink, type NewImport } from '../../src/contacts/index.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { freshFixture } from '../support/conformance.js';
import { contactsCsv } from '../support/csv.js';
import { writeTempFile } from '../support/factories.js';
import { rejection, type StoredContact } from '../support/imports.js';

/** A contact as stored, its attributes parsed, with the value the import read. */
export interface StoredImportContact extends StoredContact {
  value: number | null;
}

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface ImportSinkFixture {
  sink: ImportSink;
  /** A second importer on connections of its own: another process (SQLite) or another node (PostgreSQL). */
  other: ImportSink;
  /** The importer of `listId` (begun through `other`) dies as under kill -9, telling no one. */
  kill(listId: number): Promise<void>;
  client(name: string): Promise<number>;
  /** Numbers put on the do-not-call list. */
  suppress(numbers: string[]): Promise<void>;
  /** Every list in any state, by id. */
  lists(): Promise<{ listId: number; name: string; state: string }[]>;
  /** A list's contacts as stored, by row, read on a connection other than the importer's. */
  contacts(listId: number): Promise<StoredImportContact[]>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);

const newImport = (name: string, extra: Partial<NewImport> = {}): NewImport => ({
  name,
  clientId: null,
  sourceFile: 'contacts.csv',
  defaultCountry: 'PL',
  defaultTimezone: null,
  previousListId: null,
  script: {},
  valueColumn: null,
  now: NOW,
  ...extra,
});

/** Rows as the parser hands them over: [e164, country, name, language, timezone, attributes, chunk-local row, value]. */
function piece(base: number, rows: [phone: string, row: number][]): ContactRows {
  const json = rows.map(([phone, row]) => JSON.stringify([phone, 'PL', `Row ${base + row}`, null, null, '{}', row, null])).join(',\n');
  return { json: Buffer.from(json), base };
}

const number = (n: number) => `+48501${String(n).padStart(6, '0')}`;

async function begun(sink: ImportSink, list: NewImport): Promise<ImportSession> {
  const outcome = await sink.begin(list);
  if (outcome.kind !== 'begun') throw new Error(`expected the import to begin, but the name is taken by list ${outcome.list.listId}`);
  return outcome.session;
}

/**
 * Keeps every session a test opens, so that those it leaves open (a killed importer's, or a failed
 * test's) are closed before the fixture: on PostgreSQL a session holds a connection of its pool.
 */
function tracked(fixture: ImportSinkFixture): ImportSinkFixture {
  const open = new Set<ImportSession>();
  const track = (session: ImportSession): ImportSession => {
    open.add(session);
    return {
      listId: session.listId,
      write: (batch) => session.write(batch),
      duplicates: (rows) => session.duplicates(rows),
      commit: () => session.commit(),
      attributesSample: (limit) => session.attributesSample(limit),
      abort: () => session.abort(),
      close: () => {
        open.delete(session);
        return session.close();
      },
    };
  };
  const wrap = (sink: ImportSink): ImportSink => ({
    clientExists: (clientId) => sink.clientExists(clientId),
    readyListExists: (listId) => sink.readyListExists(listId),
    listNamed: (name, clientId) => sink.listNamed(name, clientId),
    begin: async (list) => {
      const outcome = await sink.begin(list);
      return outcome.kind === 'begun' ? { kind: 'begun', session: track(outcome.session) } : outcome;
    },
    beginDryRun: async () => track(await sink.beginDryRun()),
    abandoned: () => sink.abandoned(),
    discardImporting: (listId) => sink.discardImporting(listId),
  });
  return {
    ...fixture,
    sink: wrap(fixture.sink),
    other: wrap(fixture.other),
    close: async () => {
      for (const session of open) await session.close().catch(() => undefined);
      await fixture.close();
    },
  };
}

/** The CSV import's writes: one suite, every backend. */
export function importSinkConformance(name: string, open: () => Promise<ImportSinkFixture>): void {
  describe(`ImportSink on ${name}`, () => {
    const fixture = freshFixture(async () => tracked(await open()));

    it('keeps a list importing, out of every ready read, until it commits; its batches are committed as they are written', async () => {
      const { sink, other, lists, contacts } = await fixture();
      const session = await begun(sink, newImport('wave'));
      const listId = session.listId!;
      expect(await lists()).toEqual([{ listId, name: 'wave', state: 'importing' }]);
      await expect(session.write([piece(0, [[number(1), 2], [number(2), 3]])])).resolves.toEqual([2]);
      await expect(session.write([piece(10, [[number(3), 1]])])).resolves.toEqual([1]);
      // Another connection sees the committed rows, and the list only as being imported.
      expect((await contacts(listId)).map((c) => c.row)).toEqual([2, 3, 11]);
      await expect(other.readyListExists(listId)).resolves.toBe(false);
      await expect(other.listNamed('wave', null)).resolves.toEqual({ listId, state: 'importing' });

      await expect(session.commit()).resolves.toBe(0);
      await session.close();
      await expect(other.readyListExists(listId)).resolves.toBe(true);
      expect(await lists()).toEqual([{ listId, name: 'wave', state: 'ready' }]);
      expect(await contacts(listId)).toEqual(
        [2, 3, 11].map((row, i) => ({
          row,
          phone: number(i + 1),
          country: 'PL',
          name: `Row ${row}`,
          language: null,
          timezone: null,
          attributes: {},
          value: null,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: NOW,
        })),
      );
    });

    it('checks the references an import names', async () => {
      const { sink, client } = await fixture();
      const clientId = await client('Acme');
      await expect(sink.clientExists(clientId)).resolves.toBe(true);
      await expect(sink.clientExists(clientId + 1)).resolves.toBe(false);
      const session = await begun(sink, newImport('first'));
      await expect(sink.readyListExists(session.listId!)).resolves.toBe(false);
      await session.write([piece(0, [[number(1), 2]])]);
      await session.commit();
      await session.close();
      await expect(sink.readyListExists(session.listId!)).resolves.toBe(true);
      await expect(sink.readyListExists(session.listId! + 1)).resolves.toBe(false);
    });

    it('refuses a name its client already has, ready or importing, and lets only one of two racing imports take it', async () => {
      const { sink, other, client } = await fixture();
      const outcomes = await Promise.all([sink.begin(newImport('wave')), other.begin(newImport('wave'))]);
      const winners = outcomes.flatMap((o) => (o.kind === 'begun' ? [o.session] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(outcomes.find((o) => o.kind === 'name-taken')).toEqual({ kind: 'name-taken', list: { listId: winner.listId, state: 'importing' } });
      await winner.write([piece(0, [[number(1), 2]])]);
      await winner.commit();
      await winner.close();
      await expect(sink.begin(newImport('wave'))).resolves.toEqual({ kind: 'name-taken', list: { listId: winner.listId, state: 'ready' } });
      await expect(sink.listNamed('wave', null)).resolves.toEqual({ listId: winner.listId, state: 'ready' });
      // The same name for a client is another list.
      const clientId = await client('Acme');
      await expect(sink.listNamed('wave', clientId)).resolves.toBeUndefined();
      const theirs = await begun(sink, newImport('wave', { clientId }));
      await theirs.abort();
      await theirs.close();
    });

    it('keeps the first occurrence of a number: within a piece, across the pieces of a batch, and against the list', async () => {
      const { sink, contacts } = await fixture();
      const session = await begun(sink, newImport('wave'));
      // Row 9 comes before row 7 in the piece: the statement orders by (number, row), so row 7 is kept.
      const a = piece(0, [[number(1), 2], [number(2), 3], [number(1), 4], [number(5), 9], [number(5), 7]]);
      const b = piece(100, [[number(3), 1], [number(2), 2]]);
      await expect(session.write([a, b])).resolves.toEqual([3, 1]);
      await expect(session.duplicates(a)).resolves.toEqual(
        expect.arrayContaining([
          { row: 4, value: number(1), firstRow: 2 },
          { row: 9, value: number(5), firstRow: 7 },
        ]),
      );
      expect(await session.duplicates(a)).toHaveLength(2);
      await expect(session.duplicates(b)).resolves.toEqual([{ row: 102, value: number(2), firstRow: 3 }]);
      // A later batch meets the committed rows.
      const c = piece(200, [[number(3), 1], [number(4), 2]]);
      await expect(session.write([c])).resolves.toEqual([1]);
      await expect(session.duplicates(c)).resolves.toEqual([{ row: 201, value: number(3), firstRow: 101 }]);
      await session.commit();
      await session.close();
      expect((await contacts(session.listId!)).map((x) => [x.row, x.phone])).toEqual([
        [2, number(1)],
        [3, number(2)],
        [7, number(5)],
        [101, number(3)],
        [202, number(4)],
      ]);
    });

    it('marks the numbers on the do-not-call list suppressed as it publishes; a dry run counts them and stores nothing', async () => {
      const { sink, suppress, lists, contacts } = await fixture();
      await suppress([number(2), number(9)]);
      const rows = piece(0, [[number(1), 2], [number(2), 3], [number(1), 4]]);

      const dry = await sink.beginDryRun();
      expect(dry.listId).toBeNull();
      await expect(dry.write([rows])).resolves.toEqual([2]);
      await expect(dry.duplicates(rows)).resolves.toEqual([{ row: 4, value: number(1), firstRow: 2 }]);
      await expect(dry.commit()).resolves.toBe(1);
      await expect(dry.attributesSample(10)).resolves.toEqual([]);
      await dry.close();
      expect(await lists()).toEqual([]);

      const session = await begun(sink, newImport('wave'));
      await session.write([rows]);
      await expect(session.commit()).resolves.toBe(1);
      await session.close();
      expect((await contacts(session.listId!)).map((c) => [c.phone, c.status, c.nextAttemptAt])).toEqual([
        [number(1), 'pending', NOW],
        [number(2), 'suppressed', null],
      ]);
      // A second dry run starts from an empty scratch table.
      const again = await sink.beginDryRun();
      await expect(again.write([rows])).resolves.toEqual([2]);
      await again.close();
    });

    it('leaves nothing of a failed import, and gives its list id back to the next list', async () => {
      const { sink, lists, contacts } = await fixture();
      const kept = await begun(sink, newImport('kept'));
      await kept.write([piece(0, [[number(1), 2]])]);
      await kept.commit();
      await kept.close();

      const failed = await begun(sink, newImport('failed'));
      await failed.write([piece(0, [[number(1), 2], [number(2), 3]])]);
      await failed.write([piece(10, [[number(3), 1]])]);
      await failed.abort();
      await failed.close();
      expect(await lists()).toEqual([{ listId: kept.listId, name: 'kept', state: 'ready' }]);
      expect(await contacts(failed.listId!)).toEqual([]);
      await expect(sink.discardImporting(failed.listId!)).resolves.toBe(false);

      const next = await begun(sink, newImport('next'));
      expect(next.listId).toBe(failed.listId);
      // A published list is not taken back.
      await next.write([piece(0, [[number(1), 2]])]);
      await next.commit();
      await next.abort();
      await next.close();
      await expect(sink.discardImporting(next.listId!)).resolves.toBe(false);
      expect((await lists()).map((l) => l.state)).toEqual(['ready', 'ready']);
    });

    it('finds the list a killed import left and removes it, and leaves a running import alone', async () => {
      const { sink, other, kill, lists, contacts } = await fixture();
      const running = await begun(sink, newImport('running'));
      await running.write([piece(0, [[number(1), 2]])]);
      const killed = await begun(other, newImport('killed'));
      const killedId = killed.listId!;
      await killed.write([piece(0, [[number(1), 2], [number(2), 3]])]);
      await expect(sink.abandoned()).resolves.toEqual([]);

      await kill(killedId);
      await expect(sink.abandoned()).resolves.toEqual([killedId]);
      await expect(sink.discardImporting(killedId)).resolves.toBe(true);
      await expect(sink.abandoned()).resolves.toEqual([]);
      expect(await contacts(killedId)).toEqual([]);
      expect(await lists()).toEqual([{ listId: running.listId, name: 'running', state: 'importing' }]);

      await expect(running.commit()).resolves.toBe(0);
      await running.close();
      expect(await lists()).toEqual([{ listId: running.listId, name: 'running', state: 'ready' }]);
    });

    describe('importList through the sink', () => {
      const clock = () => new ManualClock(NOW);
      const logger = createSilentLogger();

      it('imports a file of a few thousand rows to the same contacts and summary on every engine', async () => {
        const { sink, suppress, lists, contacts } = await fixture();
        const file = generatedFile();
        await suppress(file.suppressed);
        const options = { sink, clock: clock(), logger, file: writeTempFile('contacts.csv', file.csv), name: 'wave', country: 'PL' as const, valueColumn: 'worth', parallel: false };

        const dry = await importList({ ...options, dryRun: true });
        expect(await lists()).toEqual([]);
        const summary = await importList(options);
        const expected = {
          rows: file.rows,
          imported: file.contacts.length,
          duplicates: file.duplicates.length,
          suppressed: file.suppressed.length,
          rejectedCount: file.rejected.length,
          duplicateRows: file.duplicates.slice(0, 100),
        };
        expect(dry).toMatchObject({ ...expected, listId: null, dryRun: true });
        expect(summary).toMatchObject({ ...expected, name: 'wave', dryRun: false });
        expect(summary.rejected.map((r) => r.row)).toEqual(file.rejected.slice(0, 100));
        expect(summary.columns).toEqual({
          name: ['name'],
          segments: ['region'],
          notSegments: [{ column: 'note', reason: expect.any(String) }],
          ignored: [],
        });
        expect(await lists()).toEqual([{ listId: summary.listId, name: 'wave', state: 'ready' }]);
        expect(await contacts(summary.listId!)).toEqual(file.contacts);
      });

      it('leaves nothing when the import fails after committing batches', async () => {
        const { sink, lists } = await fixture();
        const abort = new AbortController();
        const committed: number[] = [];
        const error = await rejection(
          importList({
            sink,
            clock: clock(),
            logger,
            file: writeTempFile('contacts.csv', contactsCsv(25_000)),
            name: 'big',
            country: 'PL',
            parallel: false,
            signal: abort.signal,
            onProgress: (progress) => {
              committed.push(progress.rows);
              abort.abort();
            },
          }),
        );
        expect(error.code).toBe('INTERRUPTED');
        expect(committed.length).toBeGreaterThan(0);
        expect(await lists()).toEqual([]);
      });
    });
  });
}

/** A valid Polish mobile number for n (distinct n, distinct numbers). */
function mobile(n: number): string {
  const prefixes = ['50', '51', '53', '60', '66', '69', '72', '73', '78', '79', '88'];
  return `48${prefixes[n % prefixes.length]}${String((n * 7_654_321 + 12_345) % 10_000_000).padStart(7, '0')}`;
}

/**
 * A 4,000-row file whose outcome is known row by row: numbers in E.164 and in national format,
 * quoted names with commas, quotes and Polish letters, a language, a zone on some rows, a segment
 * column, a column of nearly unique notes, a value column; a rejected number every 11th row, and
 * every 7th row repeating the number of the row five before it.
 */
function generatedFile() {
  const ROWS = 4_000;
  const lines = ['phone,name,language,timezone,region,note,worth'];
  const contacts: StoredImportContact[] = [];
  const firstRowOf = new Map<string, number>();
  const duplicates: { row: number; value: string; firstRow: number }[] = [];
  const rejected: number[] = [];
  const suppressed = [mobile(10), mobile(20), mobile(30)].map((n) => `+${n}`);
  for (let i = 0; i < ROWS; i++) {
    const row = i + 2;
    const digits = mobile(i % 7 === 5 ? i - 5 : i);
    const e164 = `+${digits}`;
    const phone = i % 11 === 3 ? '12345' : i % 3 === 1 ? `${digits.slice(2, 5)} ${digits.slice(5, 8)} ${digits.slice(8)}` : e164;
    const name = `Nowak, "Jan" ${i} żółć`;
    const language = i % 2 ? 'pl-PL' : 'en-US';
    const timezone = i % 3 === 0 ? 'Europe/Warsaw' : '';
    const region = ['North', 'South', 'East', 'West'][i % 4]!;
    const note = i % 5 === 0 ? '' : `note ${i}`;
    const worth = i % 4 === 0 ? '' : `${i}.5`;
    lines.push([phone, `"${name.replace(/"/g, '""')}"`, language, timezone, region, note, worth].join(','));
    if (phone === '12345') {
      rejected.push(row);
      continue;
    }
    const first = firstRowOf.get(e164);
    if (first !== undefined) {
      duplicates.push({ row, value: e164, firstRow: first });
      continue;
    }
    firstRowOf.set(e164, row);
    const isSuppressed = suppressed.includes(e164);
    contacts.push({
      row,
      phone: e164,
      country: 'PL',
      name,
      language,
      timezone: timezone || null,
      attributes: { region, ...(note ? { note } : {}) },
      value: worth ? Number(worth) : null,
      status: isSuppressed ? 'suppressed' : 'pending',
      attempts: 0,
      nextAttemptAt: isSuppressed ? null : NOW,
    });
  }
  return { csv: `${lines.join('\n')}\n`, rows: ROWS, contacts, duplicates, rejected, suppressed };
}
