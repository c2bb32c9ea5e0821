import { describe, expect, it } from '@jest/globals';
import type { BillingLine } from '../../src/billing/index.js';
import type { CallEvent, CallRow, CallTx, CallUnits } from '../../src/calls/index.js';
import type { SettleGuard } from '../../src/contacts/index.js';
import type {
  CallOutcome,
  CallState,
  CaseStatus,
  CommentMode,
  CommentStatus,
  CommentTextStatus,
  ContactStatus,
  IvrStage,
  SuppressionSource,
} from '../../src/db/schema/index.js';
import { freshFixture } from '../support/conformance.js';

/** A list to set the scene with: its client (with the owner its cases go to) and its follow-up settings. */
export interface ListScene {
  /** The list's client; none when absent. */
  client?: { caseOwner: string | null };
  /** The list's follow-up settings as stored (JSON); `{}` when absent. */
  followUp?: string;
}

export interface ContactScene {
  phone: string;
  /** `pending` when absent. */
  status?: ContactStatus;
  /** 0 when absent. */
  attempts?: number;
  nextAttemptAt?: number | null;
  /** As stored (JSON); `{}` when absent. */
  attributes?: string;
  name?: string | null;
  language?: string | null;
  country?: string | null;
  timezone?: string | null;
}

/** A call attempt of a contact (of the contact's list); every field has a plain default. */
export interface CallScene {
  /** 1 when absent. */
  attempt?: number;
  /** A fresh unique ref when absent. */
  ref?: string;
  providerUuid?: string | null;
  /** `started` when absent. */
  state?: CallState;
  outcome?: CallOutcome | null;
  ivrStage?: IvrStage | null;
  answeredAt?: number | null;
  endedAt?: number | null;
}

/** A response of a call (its contact and list), with its comment where the comment's queues left it. */
export interface ResponseScene {
  score: number;
  commentStatus?: CommentStatus;
  textStatus?: CommentTextStatus;
}

/** What the calls store writes but does not read back. */
export interface CallFacts {
  state: CallState;
  outcome: CallOutcome | null;
  answeredAt: number | null;
  endedAt: number | null;
  rateMicros: number | null;
  network: string | null;
}

/** A callback as stored; `payload` parsed back. */
export interface StoredEvent {
  kind: string;
  status: string | null;
  occurredAt: number;
  receivedAt: number;
  payload: unknown;
}

export interface ContactFacts {
  status: ContactStatus;
  nextAttemptAt: number | null;
  updatedAt: number;
}

export interface StoredSuppression {
  phone: string;
  source: SuppressionSource;
  reason: string | null;
  createdAt: number;
}

/** A response's comment as stored. */
export interface CommentFacts {
  language: string | null;
  status: CommentStatus;
  recordingUrl: string | null;
  seconds: number | null;
  mode: CommentMode | null;
  textStatus: CommentTextStatus;
  text: string | null;
  confidence: number | null;
  transcriptUrl: string | null;
  textDueAt: number | null;
}

export interface StoredCase {
  responseId: number;
  clientId: number | null;
  listId: number;
  contactId: number;
  callId: number;
  score: number;
  threshold: number | null;
  agent: string | null;
  owner: string | null;
  status: CaseStatus;
  dueAt: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * One adapter of the stores a callback's unit of work writes: the unit of work under test (tests
 * write through `units.run`, read through `units.stores`), and the engine-specific ways to set the
 * scene and to look at what the stores write but never read back.
 */
export interface CallStoresFixture {
  units: CallUnits;
  list(scene?: ListScene): Promise<{ listId: number; clientId: number | null }>;
  contact(listId: number, scene: ContactScene): Promise<number>;
  call(contactId: number, scene?: CallScene): Promise<number>;
  response(callId: number, scene: ResponseScene): Promise<number>;
  suppression(phone: string, source: SuppressionSource, reason: string | null, createdAt: number): Promise<void>;
  inspectCall(callId: number): Promise<CallFacts>;
  /** The callbacks of a call (null: of no known call), in the order they were recorded. */
  events(callId: number | null): Promise<StoredEvent[]>;
  inspectContact(contactId: number): Promise<ContactFacts>;
  /** Every suppressed number, by number. */
  suppressions(): Promise<StoredSuppression[]>;
  billingLines(callId: number): Promise<BillingLine[]>;
  inspectComment(responseId: number): Promise<CommentFacts>;
  casesOf(responseId: number): Promise<StoredCase[]>;
  /**
   * Where units run at once (PostgreSQL): a meeting point for `parties` units, which holds each
   * until all of them reached it, so that a race's units have all read before any of them writes.
   * Absent where units run one after another (SQLite): then they race in turn.
   */
  meeting?(parties: number): () => Promise<void>;
  close(): Promise<void>;
}

let phones = 0;
const phone = () => `+48501${String(++phones).padStart(6, '0')}`;

const completion = { durationSeconds: 42, priceMicros: 120_000, rateMicros: 170_000, network: '26001', connectedAt: 5_000 };
const spoken = { textStatus: 'pending' as const, text: 'too expensive', confidence: 0.91, dueAt: 9_000, audioUrl: 'https://api.example/recordings/speech-1' };

/**
 * The contract of the stores the webhooks' unit of work writes (src/calls/units.ts: calls,
 * responses, contacts, billing lines, cases), which every adapter passes: SQLite and PostgreSQL
 * (store.sqlite.test.ts, store.pg.test.ts; the bullmq way: one suite, every adapter). The
 * deliveries' store has its own suite (test/notifications/delivery-store-conformance.ts).
 */
export function callStoresConformance(name: string, open: () => Promise<CallStoresFixture>): void {
  describe(`call stores conformance: ${name}`, () => {
    const start = freshFixture(open);

    /** A fixture with one list, one contact of it and one call attempt of the contact. */
    async function scene(call: CallScene = {}) {
      const f = await start();
      const { listId } = await f.list();
      const contactId = await f.contact(listId, { phone: phone() });
      const callId = await f.call(contactId, call);
      const run = <T>(work: (tx: CallTx) => Promise<T>) => f.units.run(work);
      return { f, run, listId, contactId, callId };
    }

    /** Runs the units at once, each meeting the others after what it does before writing. */
    function race<T>(f: CallStoresFixture, units: ((tx: CallTx, met: () => Promise<void>) => Promise<T>)[]): Promise<T[]> {
      const met = f.meeting?.(units.length) ?? (() => Promise.resolve());
      return Promise.all(units.map((unit) => f.units.run((tx) => unit(tx, met))));
    }

    describe('calls', () => {
      it('reads a call back by ref, by id and by provider uuid, opted out as a boolean, with its re-prompts', async () => {
        const { f, run, listId, contactId, callId } = await scene({ ref: 'ref-a', providerUuid: 'uuid-a', state: 'answered', ivrStage: 'question', answeredAt: 1_000 });
        const stored: CallRow = {
          id: callId,
          contactId,
          listId,
          attempt: 1,
          ref: 'ref-a',
          providerUuid: 'uuid-a',
          state: 'answered',
          outcome: null,
          answeredBy: null,
          answeredAt: 1_000,
          durationSeconds: null,
          providerPriceMicros: null,
          ivrStage: 'question',
          reprompts: 0,
          optedOut: false,
        };
        await expect(f.units.stores.calls.byRef('ref-a')).resolves.toStrictEqual(stored);
        await expect(f.units.stores.calls.byId(callId)).resolves.toStrictEqual(stored);
        await expect(f.units.stores.calls.byProviderUuid('uuid-a')).resolves.toStrictEqual(stored);
        await run(async (tx) => {
          await tx.calls.askAgain(callId);
          await tx.calls.markOptedOut(callId);
        });
        const after = { ...stored, ivrStage: 'done', reprompts: 1, optedOut: true };
        await expect(f.units.stores.calls.byRef('ref-a')).resolves.toStrictEqual(after);
        await expect(f.units.stores.calls.byProviderUuid('uuid-a')).resolves.toStrictEqual(after);
        await expect(f.units.stores.calls.byRef('ref-unknown')).resolves.toBeUndefined();
        await expect(f.units.stores.calls.byId(callId + 1_000)).resolves.toBeUndefined();
        await expect(f.units.stores.calls.byProviderUuid('uuid-unknown')).resolves.toBeUndefined();
      });

      it("keeps a callback in the call's history as it came, and one of no known call too", async () => {
        const { f, run, callId } = await scene();
        const payload = { uuid: 'uuid-a', status: 'completed', dtmf: { digits: '9', timed_out: false }, price: '0.0123', duration: '42', detail: null, tags: ['ż', 'é', 1, true] };
        const first: CallEvent = { callId, kind: 'status', status: 'completed', occurredAt: 2_000, receivedAt: 2_100, payload };
        const second: CallEvent = { callId, kind: 'input', status: null, occurredAt: 1_500, receivedAt: 2_200, payload: { speech: { results: [] } } };
        const orphan: CallEvent = { callId: null, kind: 'unknown', status: null, occurredAt: 3_000, receivedAt: 3_000, payload: { uuid: 'nobody' } };
        await run(async (tx) => {
          await tx.calls.recordEvent(first);
          await tx.calls.recordEvent(second);
          await tx.calls.recordEvent(orphan);
        });
        const { callId: _a, ...firstStored } = first;
        const { callId: _b, ...secondStored } = second;
        const { callId: _c, ...orphanStored } = orphan;
        await expect(f.events(callId)).resolves.toEqual([firstStored, secondStored]);
        await expect(f.events(null)).resolves.toEqual([orphanStored]);
      });

      it("learns the provider's uuid only when it knows none", async () => {
        const { f, run, callId } = await scene({ providerUuid: null });
        await run((tx) => tx.calls.adoptProviderUuid(callId, 'uuid-first'));
        await run((tx) => tx.calls.adoptProviderUuid(callId, 'uuid-second'));
        await expect(f.units.stores.calls.byProviderUuid('uuid-first')).resolves.toMatchObject({ id: callId, providerUuid: 'uuid-first' });
        await expect(f.units.stores.calls.byProviderUuid('uuid-second')).resolves.toBeUndefined();
      });

      it('moves the state forward only, and records when it was answered the first time', async () => {
        const { f, run, callId } = await scene({ state: 'creating' });
        const state = async () => (await f.units.stores.calls.byId(callId))!;
        await run((tx) => tx.calls.advanceState(callId, 'started', 100));
        await expect(state()).resolves.toMatchObject({ state: 'started', answeredAt: null });
        await run((tx) => tx.calls.advanceState(callId, 'ringing', 200));
        await expect(state()).resolves.toMatchObject({ state: 'ringing', answeredAt: null });
        await run((tx) => tx.calls.advanceState(callId, 'answered', 300));
        await expect(state()).resolves.toMatchObject({ state: 'answered', answeredAt: 300 });
        await run(async (tx) => {
          await tx.calls.advanceState(callId, 'ringing', 400);
          await tx.calls.advanceState(callId, 'started', 500);
          await tx.calls.advanceState(callId, 'answered', 600);
        });
        await expect(state()).resolves.toMatchObject({ state: 'answered', answeredAt: 300 });
      });

      it('an answer that comes after the end still tells when the call was answered, once, and leaves it ended', async () => {
        const { f, run, callId } = await scene({ state: 'ended', outcome: 'human', endedAt: 9_000, answeredAt: null });
        await run((tx) => tx.calls.advanceState(callId, 'ringing', 700));
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', answeredAt: null });
        await run((tx) => tx.calls.advanceState(callId, 'answered', 800));
        await run((tx) => tx.calls.advanceState(callId, 'answered', 850));
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', outcome: 'human', answeredAt: 800, endedAt: 9_000 });
      });

      it('records who answered, and with onlyIfUnknown only when nobody was recorded', async () => {
        const { f, run, callId } = await scene({ state: 'answered' });
        const answeredBy = async () => (await f.units.stores.calls.byId(callId))!.answeredBy;
        await run((tx) => tx.calls.setAnsweredBy(callId, 'machine', true));
        await expect(answeredBy()).resolves.toBe('machine');
        await run((tx) => tx.calls.setAnsweredBy(callId, 'human', true));
        await expect(answeredBy()).resolves.toBe('machine');
        await run((tx) => tx.calls.setAnsweredBy(callId, 'human', false));
        await expect(answeredBy()).resolves.toBe('human');
      });

      it('knows the callee proved human by a score, an opt-out or a key pressed, and not by an empty input', async () => {
        const { f, run, listId, contactId, callId: scored } = await scene({ state: 'answered' });
        const call = (attempt: number) => f.call(contactId, { attempt, state: 'answered' });
        const [optedOut, pressed, empty, speech] = [await call(2), await call(3), await call(4), await call(5)];
        const proved = async () => Promise.all([scored, optedOut, pressed, empty, speech].map((id) => f.units.stores.calls.provedHuman(id)));
        await expect(proved()).resolves.toEqual([false, false, false, false, false]);
        const input = (callId: number, payload: unknown): CallEvent => ({ callId, kind: 'input', status: null, occurredAt: 10, receivedAt: 10, payload });
        await run(async (tx) => {
          await tx.responses.recordScore({ contactId, callId: scored, listId, score: 9, commentLanguage: 'en', at: 10 });
          await tx.calls.markOptedOut(optedOut);
          await tx.calls.recordEvent(input(pressed, { dtmf: { digits: '7', timed_out: false } }));
          await tx.calls.recordEvent(input(empty, { dtmf: { digits: '', timed_out: true } }));
          await tx.calls.recordEvent(input(speech, { speech: { results: [] } }));
        });
        await expect(proved()).resolves.toEqual([true, true, true, false, false]);
        await expect(f.units.stores.calls.provedHuman(scored + 1_000)).resolves.toBe(false);
      });

      it("keeps a completion's first-known facts, fills in only what was unknown, and counts a call answered only with a duration", async () => {
        const { f, run, contactId, callId } = await scene({ state: 'ended', outcome: 'human', endedAt: 6_000 });
        const [unknown, silent, earlier] = [await f.call(contactId, { attempt: 2 }), await f.call(contactId, { attempt: 3 }), await f.call(contactId, { attempt: 4, answeredAt: 1_000 })];
        await run(async (tx) => {
          await tx.calls.recordCompletion(callId, completion);
          await tx.calls.recordCompletion(callId, { durationSeconds: 50, priceMicros: 1, rateMicros: 2, network: 'other', connectedAt: 5_500 });
          await tx.calls.recordCompletion(unknown, { durationSeconds: null, priceMicros: null, rateMicros: null, network: null, connectedAt: 5_000 });
          await tx.calls.recordCompletion(silent, { ...completion, durationSeconds: 0 });
          await tx.calls.recordCompletion(earlier, completion);
        });
        await expect(f.units.stores.calls.byId(callId)).resolves.toMatchObject({ durationSeconds: 42, providerPriceMicros: 120_000, answeredAt: 5_000 });
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ rateMicros: 170_000, network: '26001' });
        await expect(f.units.stores.calls.byId(unknown)).resolves.toMatchObject({ durationSeconds: null, providerPriceMicros: null, answeredAt: null });
        await expect(f.units.stores.calls.byId(silent)).resolves.toMatchObject({ durationSeconds: 0, answeredAt: null });
        await expect(f.units.stores.calls.byId(earlier)).resolves.toMatchObject({ durationSeconds: 42, answeredAt: 1_000 });
        // What was unknown is learnt from a later completion.
        await run((tx) => tx.calls.recordCompletion(unknown, completion));
        await expect(f.units.stores.calls.byId(unknown)).resolves.toMatchObject({ durationSeconds: 42, providerPriceMicros: 120_000, answeredAt: 5_000 });
        await expect(f.inspectCall(unknown)).resolves.toMatchObject({ rateMicros: 170_000, network: '26001' });
      });

      it('ends a call once: the first outcome and end time stay', async () => {
        const { f, run, callId } = await scene({ state: 'answered' });
        await expect(run((tx) => tx.calls.end(callId, 'human', 7_000))).resolves.toBe(true);
        await expect(run((tx) => tx.calls.end(callId, 'failed', 8_000))).resolves.toBe(false);
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', outcome: 'human', endedAt: 7_000 });
      });

      it('gives an ended call another outcome, only from the one given, and never a live call', async () => {
        const { f, run, contactId, callId } = await scene({ state: 'ended', outcome: 'human', endedAt: 7_000 });
        const live = await f.call(contactId, { attempt: 2, state: 'answered' });
        await expect(run((tx) => tx.calls.reclassifyEnded(callId, 'unserved', 'machine'))).resolves.toBe(false);
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ outcome: 'human' });
        await expect(run((tx) => tx.calls.reclassifyEnded(callId, 'machine', 'human'))).resolves.toBe(true);
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', outcome: 'machine', endedAt: 7_000 });
        await expect(run((tx) => tx.calls.reclassifyEnded(callId, 'human'))).resolves.toBe(true);
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', outcome: 'human' });
        await expect(run((tx) => tx.calls.reclassifyEnded(live, 'machine'))).resolves.toBe(false);
        await expect(run((tx) => tx.calls.reclassifyEnded(live, 'machine', 'human'))).resolves.toBe(false);
        await expect(f.inspectCall(live)).resolves.toMatchObject({ state: 'answered', outcome: null });
      });

      it('moves the IVR stage only from the stages given: none, a list, any, or nothing at all', async () => {
        const { f, run, callId } = await scene({ state: 'answered', ivrStage: null });
        const stage = async () => (await f.units.stores.calls.byId(callId))!.ivrStage;
        const move = (to: IvrStage, from: readonly (IvrStage | null)[] | 'any') => run((tx) => tx.calls.moveIvrStage(callId, to, from));
        await expect(move('greeting', [])).resolves.toBe(false);
        await expect(move('greeting', ['question'])).resolves.toBe(false);
        await expect(stage()).resolves.toBeNull();
        await expect(move('greeting', [null])).resolves.toBe(true);
        await expect(move('question', [null])).resolves.toBe(false);
        await expect(stage()).resolves.toBe('greeting');
        await expect(move('question', ['reprompt', 'greeting'])).resolves.toBe(true);
        await expect(stage()).resolves.toBe('question');
        await expect(move('reason', [null, 'question'])).resolves.toBe(true);
        await expect(move('done', [])).resolves.toBe(false);
        await expect(stage()).resolves.toBe('reason');
        await expect(move('comment', 'any')).resolves.toBe(true);
        await expect(stage()).resolves.toBe('comment');
      });

      it('asks again only before the question was answered: from none, greeting or question, one re-prompt each time', async () => {
        const f = await start();
        const { listId } = await f.list();
        const contactId = await f.contact(listId, { phone: phone() });
        const stages: (IvrStage | null)[] = [null, 'greeting', 'question', 'reprompt', 'reason', 'comment', 'done'];
        const calls = await Promise.all(stages.map((ivrStage, i) => f.call(contactId, { attempt: i + 1, state: 'answered', ivrStage })));
        await f.units.run(async (tx) => {
          for (const id of calls) await tx.calls.askAgain(id);
        });
        const after = async () => (await Promise.all(calls.map((id) => f.units.stores.calls.byId(id)))).map((c) => [c!.ivrStage, c!.reprompts]);
        await expect(after()).resolves.toEqual([
          ['reprompt', 1],
          ['reprompt', 1],
          ['reprompt', 1],
          ['reprompt', 0],
          ['reason', 0],
          ['comment', 0],
          ['done', 0],
        ]);
        // Back at the question (the re-prompt was answered with another prompt), it counts on.
        await f.units.run(async (tx) => {
          await tx.calls.moveIvrStage(calls[0]!, 'question', ['reprompt']);
          await tx.calls.askAgain(calls[0]!);
        });
        await expect(f.units.stores.calls.byId(calls[0]!)).resolves.toMatchObject({ ivrStage: 'reprompt', reprompts: 2 });
      });

      it('marks a call opted out from any stage, its survey done, and nothing else', async () => {
        const { f, run, callId } = await scene({ state: 'answered', ivrStage: 'comment', answeredAt: 400 });
        await run((tx) => tx.calls.markOptedOut(callId));
        await expect(f.units.stores.calls.byId(callId)).resolves.toMatchObject({ optedOut: true, ivrStage: 'done', state: 'answered', outcome: null, answeredAt: 400, reprompts: 0 });
      });
    });

    describe('responses', () => {
      it("stores a contact's score once, whichever attempt brings it, and reads it by call", async () => {
        const { f, run, listId, contactId, callId } = await scene({ state: 'answered' });
        const second = await f.call(contactId, { attempt: 2, state: 'answered' });
        const other = await f.contact(listId, { phone: phone() });
        const id = await run((tx) => tx.responses.recordScore({ contactId, callId, listId, score: 3, commentLanguage: 'pl', at: 1_000 }));
        expect(id).toEqual(expect.any(Number));
        await expect(run((tx) => tx.responses.recordScore({ contactId, callId, listId, score: 10, commentLanguage: 'en', at: 2_000 }))).resolves.toBeUndefined();
        await expect(run((tx) => tx.responses.recordScore({ contactId, callId: second, listId, score: 10, commentLanguage: 'en', at: 2_000 }))).resolves.toBeUndefined();
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toStrictEqual({ id, score: 3, reason: null, reasonOutcome: null });
        await expect(f.units.stores.responses.ofCall(second)).resolves.toBeUndefined();
        await expect(f.units.stores.responses.existsForContact(contactId)).resolves.toBe(true);
        await expect(f.units.stores.responses.existsForContact(other)).resolves.toBe(false);
        await expect(f.inspectComment(id!)).resolves.toMatchObject({ language: 'pl', status: 'none', textStatus: 'none', mode: null });
      });

      it('skips the reason question only when nothing was answered, and a skipped question takes no choice', async () => {
        const { f, run, listId, callId } = await scene({ state: 'answered' });
        const responseId = await f.response(callId, { score: 4 });
        await run((tx) => tx.responses.markReasonSkipped(responseId));
        await expect(run((tx) => tx.responses.chooseReason(responseId, 'price'))).resolves.toBe(false);
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toMatchObject({ reason: null, reasonOutcome: 'skipped' });
        // A failure already noted is not turned into a skip, and the re-prompt's choice is still taken.
        const failed = await f.response(await f.call(await f.contact(listId, { phone: phone() }), { state: 'answered' }), { score: 4 });
        await run(async (tx) => {
          await tx.responses.noteReasonFailure(failed, 'no_input');
          await tx.responses.markReasonSkipped(failed);
        });
        await expect(run((tx) => tx.responses.chooseReason(failed, 'service'))).resolves.toBe(true);
      });

      it('takes the first reason chosen, also after a first failure, and no second one', async () => {
        const { f, run, callId } = await scene({ state: 'answered' });
        const responseId = await f.response(callId, { score: 2 });
        await run((tx) => tx.responses.noteReasonFailure(responseId, 'invalid'));
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toMatchObject({ reason: null, reasonOutcome: 'invalid' });
        await expect(run((tx) => tx.responses.chooseReason(responseId, 'price'))).resolves.toBe(true);
        await expect(run((tx) => tx.responses.chooseReason(responseId, 'service'))).resolves.toBe(false);
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toMatchObject({ reason: 'price', reasonOutcome: 'chosen' });
      });

      it('notes the first failure of the reason question only when nothing was noted yet', async () => {
        const { f, run, callId } = await scene({ state: 'answered' });
        const responseId = await f.response(callId, { score: 2 });
        await run((tx) => tx.responses.noteReasonFailure(responseId, 'invalid'));
        await run((tx) => tx.responses.noteReasonFailure(responseId, 'no_input'));
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toMatchObject({ reasonOutcome: 'invalid' });
        await run((tx) => tx.responses.chooseReason(responseId, 'price'));
        await run((tx) => tx.responses.noteReasonFailure(responseId, 'no_input'));
        await expect(f.units.stores.responses.ofCall(callId)).resolves.toMatchObject({ reason: 'price', reasonOutcome: 'chosen' });
      });

      it('gives the reason up only after a first failure, and never after a choice', async () => {
        const f = await start();
        const { listId } = await f.list();
        const response = async (): Promise<[number, number]> => {
          const callId = await f.call(await f.contact(listId, { phone: phone() }), { state: 'answered' });
          return [callId, await f.response(callId, { score: 1 })];
        };
        const [[fresh, freshId], [failed, failedId], [chosen, chosenId]] = [await response(), await response(), await response()];
        await f.units.run(async (tx) => {
          await tx.responses.noteReasonFailure(failedId, 'no_input');
          await tx.responses.chooseReason(chosenId, 'staff');
        });
        await f.units.run(async (tx) => {
          for (const id of [freshId, failedId, chosenId]) await tx.responses.giveUpReason(id, 'invalid');
        });
        await expect(f.units.stores.responses.ofCall(fresh)).resolves.toMatchObject({ reason: null, reasonOutcome: null });
        await expect(f.units.stores.responses.ofCall(failed)).resolves.toMatchObject({ reason: null, reasonOutcome: 'invalid' });
        await expect(f.units.stores.responses.ofCall(chosen)).resolves.toMatchObject({ reason: 'staff', reasonOutcome: 'chosen' });
      });

      it('notes where the comment recording is until its download finished', async () => {
        const f = await start();
        const { listId } = await f.list();
        const response = async (commentStatus: CommentStatus) =>
          f.response(await f.call(await f.contact(listId, { phone: phone() }), { state: 'answered' }), { score: 5, commentStatus });
        const [fresh, downloaded, failed] = [await response('none'), await response('downloaded'), await response('failed')];
        await expect(f.units.run((tx) => tx.responses.noteRecording(fresh, 'https://api.example/recordings/1', 12))).resolves.toBe(true);
        await expect(f.inspectComment(fresh)).resolves.toMatchObject({ status: 'pending', recordingUrl: 'https://api.example/recordings/1', seconds: 12 });
        // A repeated notice while the download is pending is taken again.
        await expect(f.units.run((tx) => tx.responses.noteRecording(fresh, 'https://api.example/recordings/2', null))).resolves.toBe(true);
        await expect(f.inspectComment(fresh)).resolves.toMatchObject({ status: 'pending', recordingUrl: 'https://api.example/recordings/2', seconds: null });
        await expect(f.units.run((tx) => tx.responses.noteRecording(downloaded, 'https://api.example/recordings/3', 7))).resolves.toBe(false);
        await expect(f.units.run((tx) => tx.responses.noteRecording(failed, 'https://api.example/recordings/4', 7))).resolves.toBe(false);
        await expect(f.inspectComment(downloaded)).resolves.toMatchObject({ status: 'downloaded', recordingUrl: null, seconds: null });
        await expect(f.inspectComment(failed)).resolves.toMatchObject({ status: 'failed', recordingUrl: null });
      });

      it("notes where the comment's transcript is, or that there is none, until its text was read", async () => {
        const f = await start();
        const { listId } = await f.list();
        const response = async (textStatus: CommentTextStatus) =>
          f.response(await f.call(await f.contact(listId, { phone: phone() }), { state: 'answered' }), { score: 5, commentStatus: 'pending', textStatus });
        const [transcribed, failing, ready] = [await response('none'), await response('none'), await response('ready')];
        await f.units.run(async (tx) => {
          await tx.responses.noteTranscript(transcribed, { kind: 'transcribed', url: 'https://api.example/transcripts/1', at: 4_000 });
          await tx.responses.noteTranscript(failing, { kind: 'transcribed', url: 'https://api.example/transcripts/2', at: 4_000 });
          await tx.responses.noteTranscript(ready, { kind: 'transcribed', url: 'https://api.example/transcripts/3', at: 4_000 });
        });
        await expect(f.inspectComment(transcribed)).resolves.toMatchObject({ mode: 'recording', textStatus: 'pending', transcriptUrl: 'https://api.example/transcripts/1', textDueAt: 4_000 });
        await f.units.run((tx) => tx.responses.noteTranscript(failing, { kind: 'failed' }));
        await expect(f.inspectComment(failing)).resolves.toMatchObject({ mode: 'recording', textStatus: 'failed', textDueAt: null });
        await f.units.run((tx) => tx.responses.noteTranscript(ready, { kind: 'failed' }));
        await expect(f.inspectComment(ready)).resolves.toMatchObject({ mode: null, textStatus: 'ready', transcriptUrl: null, textDueAt: null });
      });

      it('stores a spoken comment once, with its audio to fetch, and without audio keeps the recording it had', async () => {
        const f = await start();
        const { listId } = await f.list();
        const response = async () => f.response(await f.call(await f.contact(listId, { phone: phone() }), { state: 'answered' }), { score: 6 });
        const [first, recorded, transcribed] = [await response(), await response(), await response()];
        await expect(f.units.run((tx) => tx.responses.storeSpokenComment(first, spoken))).resolves.toBe(true);
        await expect(f.units.run((tx) => tx.responses.storeSpokenComment(first, { ...spoken, text: 'changed', audioUrl: null }))).resolves.toBe(false);
        await expect(f.inspectComment(first)).resolves.toMatchObject({
          mode: 'speech',
          textStatus: 'pending',
          text: 'too expensive',
          confidence: 0.91,
          textDueAt: 9_000,
          status: 'pending',
          recordingUrl: 'https://api.example/recordings/speech-1',
        });
        // Words without audio: the recording noted before stays, and so does its download.
        await f.units.run((tx) => tx.responses.noteRecording(recorded, 'https://api.example/recordings/r', 8));
        await expect(f.units.run((tx) => tx.responses.storeSpokenComment(recorded, { textStatus: 'empty', text: null, confidence: 0.2, dueAt: null, audioUrl: null }))).resolves.toBe(true);
        await expect(f.inspectComment(recorded)).resolves.toMatchObject({ mode: 'speech', textStatus: 'empty', text: null, status: 'pending', recordingUrl: 'https://api.example/recordings/r' });
        // A comment already taken as a recording is not taken again as speech.
        await f.units.run((tx) => tx.responses.noteTranscript(transcribed, { kind: 'transcribed', url: 'https://api.example/transcripts/t', at: 1 }));
        await expect(f.units.run((tx) => tx.responses.storeSpokenComment(transcribed, spoken))).resolves.toBe(false);
        await expect(f.inspectComment(transcribed)).resolves.toMatchObject({ mode: 'recording', text: null, status: 'none' });
      });
    });

    describe('contacts', () => {
      it('reads a contact by id, and nothing for an unknown one', async () => {
        const f = await start();
        const { listId } = await f.list();
        const id = await f.contact(listId, { phone: '+48501999001', status: 'dialing', attempts: 2, name: 'Ala', language: 'pl', country: 'PL', timezone: 'Europe/Warsaw' });
        const bare = await f.contact(listId, { phone: '+48501999002' });
        await expect(f.units.stores.contacts.byId(id)).resolves.toStrictEqual({
          id,
          listId,
          phoneE164: '+48501999001',
          country: 'PL',
          timezone: 'Europe/Warsaw',
          language: 'pl',
          name: 'Ala',
          status: 'dialing',
          attempts: 2,
        });
        await expect(f.units.stores.contacts.byId(bare)).resolves.toMatchObject({ status: 'pending', attempts: 0, name: null, language: null, country: null, timezone: null });
        await expect(f.units.stores.contacts.byId(bare + 1_000)).resolves.toBeUndefined();
      });

      it('settles a contact only while it is what the guard says, the attempt included when given', async () => {
        const f = await start();
        const { listId } = await f.list();
        const id = await f.contact(listId, { phone: phone(), status: 'dialing', attempts: 2, nextAttemptAt: 100 });
        const settle = (guard: SettleGuard, status: ContactStatus, nextAttemptAt: number | null, now: number) => f.units.run((tx) => tx.contacts.settle(guard, status, nextAttemptAt, now));
        await expect(settle({ id, status: 'pending', attempts: 2 }, 'busy', null, 1_000)).resolves.toBe(false);
        await expect(settle({ id, status: 'dialing', attempts: 1 }, 'busy', null, 1_000)).resolves.toBe(false);
        await expect(f.inspectContact(id)).resolves.toMatchObject({ status: 'dialing', nextAttemptAt: 100 });
        await expect(settle({ id, status: 'dialing', attempts: 2 }, 'pending', 50_000, 2_000)).resolves.toBe(true);
        await expect(f.inspectContact(id)).resolves.toStrictEqual({ status: 'pending', nextAttemptAt: 50_000, updatedAt: 2_000 });
        // Without an attempt in the guard (a late key), any attempt is settled again.
        await expect(settle({ id, status: 'pending' }, 'responded', null, 3_000)).resolves.toBe(true);
        await expect(f.inspectContact(id)).resolves.toStrictEqual({ status: 'responded', nextAttemptAt: null, updatedAt: 3_000 });
        await expect(settle({ id, status: 'pending' }, 'busy', 9, 4_000)).resolves.toBe(false);
        await expect(f.units.stores.contacts.byId(id)).resolves.toMatchObject({ status: 'responded', attempts: 2 });
      });

      it('knows a suppressed number from any source', async () => {
        const f = await start();
        await f.suppression('+48501777001', 'operator', 'asked by phone', 10);
        await f.suppression('+48501777002', 'import', null, 10);
        await expect(f.units.stores.contacts.isSuppressed('+48501777001')).resolves.toBe(true);
        await expect(f.units.stores.contacts.isSuppressed('+48501777002')).resolves.toBe(true);
        await expect(f.units.stores.contacts.isSuppressed('+48501777003')).resolves.toBe(false);
      });

      it('suppresses an opted-out number once, the first reason staying, and stops only its waiting contacts in every list', async () => {
        const f = await start();
        const number = '+48501888001';
        const lists = [(await f.list()).listId, (await f.list()).listId, (await f.list()).listId, (await f.list()).listId];
        const waiting = await f.contact(lists[0]!, { phone: number, status: 'pending', attempts: 1, nextAttemptAt: 70_000 });
        const waitingElsewhere = await f.contact(lists[1]!, { phone: number, status: 'pending', nextAttemptAt: 80_000 });
        const live = await f.contact(lists[2]!, { phone: number, status: 'dialing', attempts: 1 });
        const done = await f.contact(lists[3]!, { phone: number, status: 'responded', attempts: 1 });
        const otherNumber = await f.contact(lists[0]!, { phone: '+48501888002', status: 'pending', nextAttemptAt: 70_000 });
        await f.units.run((tx) => tx.contacts.suppressOptOut(number, 'pressed star', 5_000));
        await f.units.run((tx) => tx.contacts.suppressOptOut(number, 'pressed star again', 6_000));
        await expect(f.suppressions()).resolves.toStrictEqual([{ phone: number, source: 'opt_out', reason: 'pressed star', createdAt: 5_000 }]);
        await expect(f.units.stores.contacts.isSuppressed(number)).resolves.toBe(true);
        await expect(f.inspectContact(waiting)).resolves.toStrictEqual({ status: 'suppressed', nextAttemptAt: null, updatedAt: 5_000 });
        await expect(f.inspectContact(waitingElsewhere)).resolves.toMatchObject({ status: 'suppressed', nextAttemptAt: null });
        await expect(f.inspectContact(live)).resolves.toMatchObject({ status: 'dialing' });
        await expect(f.inspectContact(done)).resolves.toMatchObject({ status: 'responded' });
        await expect(f.inspectContact(otherNumber)).resolves.toMatchObject({ status: 'pending', nextAttemptAt: 70_000 });
      });

      it('keeps the first suppression of a number an operator suppressed before', async () => {
        const f = await start();
        await f.suppression('+48501888003', 'operator', 'complaint', 10);
        await f.units.run((tx) => tx.contacts.suppressOptOut('+48501888003', 'pressed star', 5_000));
        await expect(f.suppressions()).resolves.toStrictEqual([{ phone: '+48501888003', source: 'operator', reason: 'complaint', createdAt: 10 }]);
      });
    });

    describe('billing lines', () => {
      it('bills a call once, voids its line once, and bills it again after a void', async () => {
        const f = await start();
        const { listId, clientId } = await f.list({ client: { caseOwner: null } });
        const callId = await f.call(await f.contact(listId, { phone: phone() }), { state: 'ended', outcome: 'human', endedAt: 7_000 });
        const run = <T>(work: (tx: CallTx) => Promise<T>) => f.units.run(work);
        expect(clientId).toEqual(expect.any(Number));
        const line: BillingLine = { callId, listId, clientId, billableSeconds: 60, amountMinor: 45, currency: 'PLN', providerPriceMicros: 120_000, createdAt: 8_000 };
        await expect(run((tx) => tx.billing.recordLine(line))).resolves.toBe(true);
        await expect(run((tx) => tx.billing.recordLine({ ...line, amountMinor: 90, createdAt: 9_000 }))).resolves.toBe(false);
        await expect(f.billingLines(callId)).resolves.toStrictEqual([line]);
        await expect(run((tx) => tx.billing.voidLine(callId))).resolves.toBe(true);
        await expect(run((tx) => tx.billing.voidLine(callId))).resolves.toBe(false);
        await expect(f.billingLines(callId)).resolves.toEqual([]);
        const unpriced: BillingLine = { ...line, clientId: null, providerPriceMicros: null, amountMinor: 30, createdAt: 10_000 };
        await expect(run((tx) => tx.billing.recordLine(unpriced))).resolves.toBe(true);
        await expect(f.billingLines(callId)).resolves.toStrictEqual([unpriced]);
      });
    });

    describe('cases', () => {
      it("reads what a case opens with: the list's client and its owner, the follow-up settings, the contact's attributes", async () => {
        const f = await start();
        const followUp = { threshold: 6, dueHours: 24, owners: { Kraków: 'anna@shop.example' } };
        const owned = await f.list({ client: { caseOwner: 'cx@shop.example' }, followUp: JSON.stringify(followUp) });
        const bare = await f.list();
        const attributes = { store: 'Kraków', tier: 'gold' };
        const contactId = await f.contact(owned.listId, { phone: phone(), attributes: JSON.stringify(attributes) });
        const plain = await f.contact(bare.listId, { phone: phone() });
        const context = await f.units.stores.cases.contextOf(owned.listId, contactId);
        expect(owned.clientId).toEqual(expect.any(Number));
        expect(context).toMatchObject({ clientId: owned.clientId, clientOwner: 'cx@shop.example' });
        expect(JSON.parse(context!.followUp!)).toEqual(followUp);
        expect(JSON.parse(context!.attributes!)).toEqual(attributes);
        const none = await f.units.stores.cases.contextOf(bare.listId, plain);
        expect(none).toMatchObject({ clientId: null, clientOwner: null });
        expect(JSON.parse(none!.followUp!)).toEqual({});
        expect(JSON.parse(none!.attributes!)).toEqual({});
        await expect(f.units.stores.cases.contextOf(bare.listId + 1_000, plain)).resolves.toBeUndefined();
      });

      it('opens one case per response, status open', async () => {
        const f = await start();
        const { listId, clientId } = await f.list({ client: { caseOwner: null } });
        const contactId = await f.contact(listId, { phone: phone() });
        const callId = await f.call(contactId, { state: 'answered' });
        const responseId = await f.response(callId, { score: 2 });
        const newCase = { responseId, clientId, listId, contactId, callId, score: 2, threshold: 6, agent: 'Marek', owner: 'cx@shop.example', dueAt: 90_000, at: 3_000 };
        const id = await f.units.run((tx) => tx.cases.open(newCase));
        expect(id).toEqual(expect.any(Number));
        await expect(f.units.run((tx) => tx.cases.open({ ...newCase, score: 0, owner: null, at: 4_000 }))).resolves.toBeUndefined();
        const { at: _at, ...stored } = newCase;
        await expect(f.casesOf(responseId)).resolves.toStrictEqual([{ ...stored, status: 'open', createdAt: 3_000, updatedAt: 3_000 }]);
      });
    });

    describe('the unit of work', () => {
      it('keeps nothing of a unit that fails, while a unit of the same round commits all of its writes and returns its value', async () => {
        const f = await start();
        const { listId, clientId } = await f.list({ client: { caseOwner: null } });
        const failing = await f.contact(listId, { phone: phone(), status: 'dialing', attempts: 1 });
        const failingCall = await f.call(failing, { state: 'answered' });
        const passing = await f.contact(listId, { phone: phone(), status: 'dialing', attempts: 1 });
        const passingCall = await f.call(passing, { state: 'answered' });
        const unit = (contactId: number, callId: number, fail: boolean) =>
          f.units.run(async (tx) => {
            const responseId = await tx.responses.recordScore({ contactId, callId, listId, score: 1, commentLanguage: 'en', at: 1_000 });
            await tx.cases.open({ responseId: responseId!, clientId, listId, contactId, callId, score: 1, threshold: 6, agent: null, owner: null, dueAt: 2_000, at: 1_000 });
            await tx.deliveries.enqueue({ event: 'detractor.alert', dedupeKey: `alert:${responseId}`, clientId, listId, responseId, dueAt: 2_000, now: 1_000 });
            await tx.calls.end(callId, 'human', 1_500);
            await tx.contacts.settle({ id: contactId, status: 'dialing', attempts: 1 }, 'responded', null, 1_500);
            await tx.billing.recordLine({ callId, listId, clientId, billableSeconds: 60, amountMinor: 45, currency: 'PLN', providerPriceMicros: null, createdAt: 1_500 });
            if (fail) throw new Error('the handler failed after its writes');
            return responseId;
          });
        const [failed, passed] = await Promise.allSettled([unit(failing, failingCall, true), unit(passing, passingCall, false)]);
        expect(failed.status).toBe('rejected');
        expect((failed as PromiseRejectedResult).reason).toMatchObject({ message: 'the handler failed after its writes' });
        expect(passed.status).toBe('fulfilled');
        const responseId = (passed as PromiseFulfilledResult<number | undefined>).value;
        // The failing unit's writes, every store's, are gone.
        await expect(f.units.stores.responses.existsForContact(failing)).resolves.toBe(false);
        await expect(f.inspectCall(failingCall)).resolves.toMatchObject({ state: 'answered', outcome: null, endedAt: null });
        await expect(f.inspectContact(failing)).resolves.toMatchObject({ status: 'dialing' });
        await expect(f.billingLines(failingCall)).resolves.toEqual([]);
        // The other unit's are all there, and `run` gave back what its work returned.
        await expect(f.units.stores.responses.ofCall(passingCall)).resolves.toMatchObject({ id: responseId, score: 1 });
        await expect(f.casesOf(responseId!)).resolves.toHaveLength(1);
        await expect(f.inspectCall(passingCall)).resolves.toMatchObject({ state: 'ended', outcome: 'human', endedAt: 1_500 });
        await expect(f.inspectContact(passing)).resolves.toMatchObject({ status: 'responded' });
        await expect(f.billingLines(passingCall)).resolves.toHaveLength(1);
        expect((await f.units.stores.deliveries.neverTried(listId)).map((d) => [d.event, d.responseId])).toEqual([['detractor.alert', responseId]]);
      });

      it('stores one score of two units that race for the same contact', async () => {
        const { f, listId, contactId, callId } = await scene({ state: 'answered' });
        const second = await f.call(contactId, { attempt: 2, state: 'answered' });
        // Each looked for a score of the contact, found none, and stores its own.
        const score = (id: number, value: number) => async (tx: CallTx, met: () => Promise<void>) => {
          await tx.responses.existsForContact(contactId);
          await met();
          return tx.responses.recordScore({ contactId, callId: id, listId, score: value, commentLanguage: 'en', at: value });
        };
        const ids = await race(f, [score(callId, 7), score(second, 8)]);
        expect(ids.filter((id) => id !== undefined)).toHaveLength(1);
        const stored = [await f.units.stores.responses.ofCall(callId), await f.units.stores.responses.ofCall(second)].filter((r) => r !== undefined);
        expect(stored).toHaveLength(1);
        expect(stored[0]!.id).toBe(ids.find((id) => id !== undefined));
      });

      it('ends a call once and bills it once when two units race to end it (a duplicate completed webhook)', async () => {
        const { f, listId, contactId, callId } = await scene({ state: 'answered' });
        const [first, second] = await race(
          f,
          [7_000, 7_001].map((endedAt) => async (tx: CallTx, met: () => Promise<void>) => {
            // As a handler does: read the call (where units run at once, both before either ends it), end it,
            // settle its contact, bill what it then finds ended.
            await tx.calls.byId(callId);
            await met();
            const ended = await tx.calls.end(callId, 'human', endedAt);
            await tx.contacts.settle({ id: contactId, status: 'pending' }, 'responded', null, endedAt);
            const billed = await tx.billing.recordLine({ callId, listId, clientId: null, billableSeconds: 60, amountMinor: 45, currency: 'PLN', providerPriceMicros: null, createdAt: endedAt });
            return { ended, billed };
          }),
        );
        expect([first!.ended, second!.ended].sort()).toEqual([false, true]);
        expect([first!.billed, second!.billed].sort()).toEqual([false, true]);
        const winner = first!.ended ? 7_000 : 7_001;
        await expect(f.inspectCall(callId)).resolves.toMatchObject({ state: 'ended', outcome: 'human', endedAt: winner });
        await expect(f.billingLines(callId)).resolves.toHaveLength(1);
        await expect(f.inspectContact(contactId)).resolves.toMatchObject({ status: 'responded' });
      });

      it('opens one case of a response when two units race to open it (a duplicate input webhook)', async () => {
        const { f, listId, contactId, callId } = await scene({ state: 'answered' });
        const responseId = await f.response(callId, { score: 2 });
        const ids = await race(
          f,
          [3_000, 4_000].map((at) => async (tx: CallTx, met: () => Promise<void>) => {
            await tx.cases.contextOf(listId, contactId);
            await met();
            return tx.cases.open({ responseId, clientId: null, listId, contactId, callId, score: 2, threshold: 6, agent: null, owner: null, dueAt: 90_000, at });
          }),
        );
        expect(ids.filter((id) => id !== undefined)).toHaveLength(1);
        await expect(f.casesOf(responseId)).resolves.toHaveLength(1);
      });

      it('suppresses a number once when two units race to opt it out, and stops every contact waiting with it', async () => {
        const f = await start();
        const number = '+48501888009';
        const waiting = await Promise.all([(await f.list()).listId, (await f.list()).listId, (await f.list()).listId].map((listId) => f.contact(listId, { phone: number })));
        await race(
          f,
          ['pressed star', 'pressed star on the other node'].map((reason, i) => async (tx: CallTx, met: () => Promise<void>) => {
            await tx.contacts.isSuppressed(number);
            await met();
            await tx.contacts.suppressOptOut(number, reason, 5_000 + i);
          }),
        );
        const [suppression, ...others] = await f.suppressions();
        expect(others).toEqual([]);
        expect(suppression).toMatchObject({ phone: number, source: 'opt_out' });
        for (const contactId of waiting) await expect(f.inspectContact(contactId)).resolves.toMatchObject({ status: 'suppressed', nextAttemptAt: null });
      });
    });
  });
}
