import type { CommentStatus, CommentTextStatus, Sentiment } from '../../src/db/schema/index.js';

/** Someone who answered a survey: the contact, its call, its response and what they said. */
export interface Respondent {
  phone: string;
  /** The contact's attributes as stored (JSON); '{}' when not given. */
  attributes?: string;
  score: number;
  /** When the response was stored (epoch ms). */
  at: number;
  comment?: {
    status?: CommentStatus;
    seconds?: number | null;
    textStatus?: CommentTextStatus;
    text?: string | null;
    language?: string | null;
    sentiment?: Sentiment | null;
  };
  reason?: string | null;
  themes?: string[];
  /** The contact was created by a triggered survey. */
  triggered?: boolean;
}

export interface Responded {
  contactId: number;
  callId: number;
  responseId: number;
  /** The triggered survey, when the respondent came from one. */
  surveyId: number | null;
}

/**
 * What the follow-up stores' conformance suites need in place before a case is opened, set by
 * each engine its own way (plain values in, ids out): the cases and alerts themselves go through
 * the ports under test.
 */
export interface FollowUpScene {
  /** A client, with its default case owner when given; returns its id. */
  client(caseOwner?: string): Promise<number>;
  /** A ready list of the client (or of none), with its follow-up settings as stored (JSON, '{}' when not given); returns its id. */
  list(clientId: number | null, followUp?: string): Promise<number>;
  respondent(listId: number, respondent: Respondent): Promise<Responded>;
}
