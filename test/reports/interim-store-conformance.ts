import { describe, expect, it } from '@jest/globals';
import type { InterimReportRecord, InterimReportStore } from '../../src/reports/index.js';
import { freshFixture, refusal } from '../support/conformance.js';

/** One adapter under test, with the engine-specific ways to set the scene and look at the outcome. */
export interface InterimReportStoreFixture {
  store: InterimReportStore;
  /** The store as a second node sees it (a pool of its own where the engine has pools); `store` again where it has one connection. */
  otherNode: InterimReportStore;
  client(urls: { alertUrl: string | null; reportUrl: string | null }): Promise<number>;
  list(clientId: number | null): Promise<number>;
  reports(listId: number): Promise<{ id: number; occurrenceAt: number; jsonFile: string; htmlFile: string; createdAt: number }[]>;
  deliveries(listId: number): Promise<{ id: number; event: string; dedupeKey: string; clientId: number | null; payload: string | null; nextAttemptAt: number }[]>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 6, 7, 0, 5);
const MORNING = Date.UTC(2026, 0, 6, 7, 0, 0);
const NEXT_MORNING = MORNING + 86_400_000;

/** A report of `listId` for `occurrenceAt`, its announcement's body naming the row it is given. */
function interim(listId: number, clientId: number | null, occurrenceAt: number, extra: Partial<InterimReportRecord> = {}): InterimReportRecord {
  const date = new Date(occurrenceAt).toISOString().slice(0, 10);
  return {
    listId,
    occurrenceAt,
    jsonFile: `list-${listId}/interim-${date}.json`,
    htmlFile: `list-${listId}/interim-${date}.html`,
    clientId,
    now: NOW,
    announcement: (reportId) => ({
      type: 'report.interim',
      reportId,
      listId,
      listName: 'Q1 wave',
      clientId,
      date,
      occurrenceAt: new Date(occurrenceAt).toISOString(),
      generatedAt: new Date(NOW).toISOString(),
      final: false,
      contacts: 7,
      responses: 5,
      nps: 40,
      npsCi95: [-10, 90],
      followUp: { cases: 1, overdue: 0 },
      links: null,
    }),
    ...extra,
  };
}

/**
 * The contract of the interim reports' store (src/reports/interim-store.ts), which every adapter
 * passes: SQLite and PostgreSQL (interim-store.sqlite.test.ts, interim-store.pg.test.ts).
 */
export function interimReportStoreConformance(name: string, open: () => Promise<InterimReportStoreFixture>): void {
  describe(`interim report store conformance: ${name}`, () => {
    const start = freshFixture(open);

    it("records a report once per list and occurrence, and announces it to the client's report URL with the row's id", async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: null, reportUrl: 'https://crm.example/reports' });
      const listId = await f.list(clientId);
      const deliveryId = await f.store.record(interim(listId, clientId, MORNING));
      expect(deliveryId).toEqual(expect.any(Number));
      const [row, ...more] = await f.reports(listId);
      expect(more).toEqual([]);
      expect(row).toEqual({ id: expect.any(Number), occurrenceAt: MORNING, jsonFile: `list-${listId}/interim-2026-01-06.json`, htmlFile: `list-${listId}/interim-2026-01-06.html`, createdAt: NOW });
      const [delivery, ...others] = await f.deliveries(listId);
      expect(others).toEqual([]);
      expect(delivery).toMatchObject({ id: deliveryId, event: 'report.interim', dedupeKey: `report:${listId}:${MORNING}`, clientId, nextAttemptAt: NOW });
      expect(JSON.parse(delivery!.payload!)).toMatchObject({ type: 'report.interim', reportId: row!.id, listId, clientId, date: '2026-01-06', nps: 40 });
    });

    it('returns null and queues nothing for an occurrence recorded before, keeping the first row', async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: null, reportUrl: 'https://crm.example/reports' });
      const listId = await f.list(clientId);
      await f.store.record(interim(listId, clientId, MORNING));
      const before = await f.reports(listId);
      let built = 0;
      const again = interim(listId, clientId, MORNING, { jsonFile: 'elsewhere.json', now: NOW + 60_000 });
      const announcement = again.announcement;
      const counted = (reportId: number) => {
        built++;
        return announcement(reportId);
      };
      await expect(f.store.record({ ...again, announcement: counted })).resolves.toBeNull();
      expect(built).toBe(0);
      expect(await f.reports(listId)).toEqual(before);
      expect(await f.deliveries(listId)).toHaveLength(1);
    });

    it("announces to the client's alert URL when it has no report URL", async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: 'https://crm.example/alerts', reportUrl: null });
      const listId = await f.list(clientId);
      const deliveryId = await f.store.record(interim(listId, clientId, MORNING));
      expect((await f.deliveries(listId)).map((d) => d.id)).toEqual([deliveryId]);
    });

    it('records the report but queues nothing for a client without a URL, or a list without a client', async () => {
      const f = await start();
      const quiet = await f.client({ alertUrl: null, reportUrl: null });
      const quietList = await f.list(quiet);
      const orphan = await f.list(null);
      await expect(f.store.record(interim(quietList, quiet, MORNING))).resolves.toBeNull();
      await expect(f.store.record(interim(orphan, null, MORNING))).resolves.toBeNull();
      expect(await f.reports(quietList)).toHaveLength(1);
      expect(await f.reports(orphan)).toHaveLength(1);
      expect(await f.deliveries(quietList)).toEqual([]);
      expect(await f.deliveries(orphan)).toEqual([]);
    });

    it('records and announces every occurrence of its own, and every list of its own', async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: null, reportUrl: 'https://crm.example/reports' });
      const listId = await f.list(clientId);
      const otherList = await f.list(clientId);
      const first = await f.store.record(interim(listId, clientId, MORNING));
      const next = await f.store.record(interim(listId, clientId, NEXT_MORNING));
      const other = await f.store.record(interim(otherList, clientId, MORNING));
      expect(new Set([first, next, other]).size).toBe(3);
      expect((await f.reports(listId)).map((r) => r.occurrenceAt)).toEqual([MORNING, NEXT_MORNING]);
      expect((await f.deliveries(listId)).map((d) => d.dedupeKey)).toEqual([`report:${listId}:${MORNING}`, `report:${listId}:${NEXT_MORNING}`]);
      expect((await f.deliveries(otherList)).map((d) => d.dedupeKey)).toEqual([`report:${otherList}:${MORNING}`]);
    });

    it('records neither the row nor its announcement when building the announcement fails', async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: null, reportUrl: 'https://crm.example/reports' });
      const listId = await f.list(clientId);
      await refusal(
        f.store.record(
          interim(listId, clientId, MORNING, {
            announcement: () => {
              throw new Error('the announcement could not be built');
            },
          }),
        ),
      );
      expect(await f.reports(listId)).toEqual([]);
      expect(await f.deliveries(listId)).toEqual([]);
      // Nothing was left behind: the next try records and announces it.
      await expect(f.store.record(interim(listId, clientId, MORNING))).resolves.toEqual(expect.any(Number));
      expect(await f.deliveries(listId)).toHaveLength(1);
    });

    it('records and announces an occurrence once when two nodes make it at the same time', async () => {
      const f = await start();
      const clientId = await f.client({ alertUrl: null, reportUrl: 'https://crm.example/reports' });
      const listId = await f.list(clientId);
      const outcomes = await Promise.all([f.store.record(interim(listId, clientId, MORNING)), f.otherNode.record(interim(listId, clientId, MORNING))]);
      const queued = outcomes.filter((id) => id !== null);
      expect(queued).toHaveLength(1);
      expect(await f.reports(listId)).toHaveLength(1);
      expect((await f.deliveries(listId)).map((d) => d.id)).toEqual(queued);
    });
  });
}
