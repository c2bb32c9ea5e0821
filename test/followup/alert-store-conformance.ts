import { describe, expect, it } from '@jest/globals';
import type { AlertStore } from '../../src/followup/alert-store.js';
import type { CaseStore } from '../../src/followup/case-store.js';
import type { DeliveryStore } from '../../src/notifications/delivery-store.js';
import { freshFixture } from '../support/conformance.js';
import type { FollowUpScene, Respondent, Responded } from './follow-up-scene.js';

/**
 * One adapter under test, with the engine's way to put clients, lists and respondents in place;
 * cases and deliveries are made through their own stores of the same engine.
 */
export interface AlertStoreFixture extends FollowUpScene {
  store: AlertStore;
  cases: CaseStore;
  deliveries: DeliveryStore;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const T0 = 1_767_600_000_000;

/**
 * The contract of the detractor alerts' read side (src/followup/alert-store.ts), which every
 * adapter passes: SQLite and PostgreSQL.
 */
export function alertStoreConformance(name: string, open: () => Promise<AlertStoreFixture>): void {
  describe(`alert store conformance: ${name}`, () => {
    const start = freshFixture(open);

    let phones = 0;
    const respondent = (f: AlertStoreFixture, listId: number, r: Partial<Respondent> = {}) =>
      f.respondent(listId, { phone: `+4870300${String(++phones).padStart(4, '0')}`, score: 2, at: T0, ...r });
    const openCase = async (f: AlertStoreFixture, listId: number, clientId: number | null, r: Responded, owner: string | null = null) =>
      (await f.cases.open({ responseId: r.responseId, clientId, listId, contactId: r.contactId, callId: r.callId, score: 2, threshold: 5, agent: 'Ann', owner, dueAt: T0 + 48 * HOUR, at: T0 }))!;
    const alert = async (f: AlertStoreFixture, listId: number, clientId: number | null, responseId: number) =>
      (await f.deliveries.enqueue({ event: 'detractor.alert', dedupeKey: `alert:${responseId}`, clientId, listId, responseId, dueAt: T0 + 3 * 60_000, now: T0 }))!;

    it("reads what a detractor's alert is made of: the response and its comment, the contact, the list, the triggered survey and the case", async () => {
      const f = await start();
      const clientId = await f.client();
      const listId = await f.list(clientId, '{"alertThreshold":5}');
      const r = await f.respondent(listId, {
        phone: '+48501000001',
        attributes: '{"agent":"Ann","ticket":"T-1"}',
        score: 2,
        at: T0,
        comment: { status: 'downloaded', seconds: 12, textStatus: 'ready', text: 'too dear', language: 'pl-PL', sentiment: 'negative' },
        reason: 'price',
        themes: ['staff', 'price'],
        triggered: true,
      });
      const caseId = await openCase(f, listId, clientId, r, 'Olga');
      await expect(f.store.subject(r.responseId)).resolves.toEqual({
        response: {
          id: r.responseId,
          score: 2,
          respondedAt: T0,
          callId: r.callId,
          comment: { status: 'downloaded', seconds: 12, textStatus: 'ready', text: 'too dear', language: 'pl-PL', themes: ['price', 'staff'], sentiment: 'negative' },
          reason: 'price',
        },
        contact: { id: r.contactId, phone: '+48501000001', attributes: '{"agent":"Ann","ticket":"T-1"}' },
        list: { id: listId, name: expect.any(String), clientId, followUp: '{"alertThreshold":5}' },
        surveyId: r.surveyId,
        case: { id: caseId, owner: 'Olga', status: 'open', dueAt: T0 + 48 * HOUR, agent: 'Ann', threshold: 5 },
      });
    });

    it('reads a response that has no case, and nothing of an unknown response', async () => {
      const f = await start();
      const listId = await f.list(null);
      const r = await respondent(f, listId);
      await expect(f.store.subject(r.responseId)).resolves.toMatchObject({
        response: { id: r.responseId, comment: { status: 'none', textStatus: 'none', text: null, themes: [] }, reason: null },
        list: { id: listId, clientId: null },
        surveyId: null,
        case: null,
      });
      await expect(f.store.subject(r.responseId + 1000)).resolves.toBeUndefined();
    });

    it('lists the detractor alerts newest first, of a list or of all, at most `limit`, each with its case and its attempts oldest first', async () => {
      const f = await start();
      const clientId = await f.client();
      const [l1, l2] = [await f.list(clientId), await f.list(clientId)];
      const r1 = await respondent(f, l1);
      const r2 = await respondent(f, l1);
      const r3 = await respondent(f, l2);
      const case1 = await openCase(f, l1, clientId, r1);
      const a1 = await alert(f, l1, clientId, r1.responseId);
      const a2 = await alert(f, l1, clientId, r2.responseId);
      // Not an alert: the interim report announced on the same list.
      await f.deliveries.enqueue({ event: 'report.interim', dedupeKey: 'report', clientId, listId: l1, payload: { type: 'report.interim' }, dueAt: T0, now: T0 });
      const a3 = await alert(f, l2, clientId, r3.responseId);
      await f.deliveries.recordAttempt(
        { id: a1, attempts: 0 },
        { attempt: 1, attemptedAt: T0 + 1000, target: 'https://crm.example/hook', statusCode: 500, error: 'the receiver answered HTTP 500', durationMs: 7, status: 'pending', nextAttemptAt: T0 + 31_000, deliveredAt: null },
      );
      await f.deliveries.recordAttempt(
        { id: a1, attempts: 1 },
        { attempt: 2, attemptedAt: T0 + 31_000, target: 'https://crm.example/hook', statusCode: 204, error: null, durationMs: 5, status: 'delivered', nextAttemptAt: T0 + 31_005, deliveredAt: T0 + 31_005 },
      );

      const all = await f.store.list({ limit: 100 });
      expect(all.map((a) => a.id)).toEqual([a3, a2, a1]);
      expect(all[2]).toMatchObject({
        id: a1,
        event: 'detractor.alert',
        listId: l1,
        clientId,
        responseId: r1.responseId,
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 204,
        deliveredAt: T0 + 31_005,
        createdAt: T0,
        caseId: case1,
        score: 2,
        agent: 'Ann',
        log: [
          { attempt: 1, attemptedAt: T0 + 1000, target: 'https://crm.example/hook', statusCode: 500, error: 'the receiver answered HTTP 500', durationMs: 7 },
          { attempt: 2, attemptedAt: T0 + 31_000, target: 'https://crm.example/hook', statusCode: 204, error: null, durationMs: 5 },
        ],
      });
      // Without a case, nothing of one; never tried, no log.
      expect(all[1]).toMatchObject({ id: a2, status: 'pending', attempts: 0, caseId: null, score: null, agent: null, log: [] });
      expect((await f.store.list({ listId: l1, limit: 100 })).map((a) => a.id)).toEqual([a2, a1]);
      expect((await f.store.list({ listId: l2, limit: 100 })).map((a) => a.id)).toEqual([a3]);
      expect((await f.store.list({ limit: 2 })).map((a) => a.id)).toEqual([a3, a2]);
      await expect(f.store.list({ listId: l2 + 1000, limit: 100 })).resolves.toEqual([]);
    });
  });
}
