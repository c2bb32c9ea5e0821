import type { WhyReport } from './why.js';
import type { ContactStatus } from '../db/schema/index.js';
import type { FollowUpSummary } from '../followup/index.js';
import type { NpsCategory } from '../ivr/index.js';
import type { MigrationTable } from './stats.js';

/**
 * The JSON report, schema version 2 (docs/report-format.md documents every field). Additive
 * changes keep the version; renaming, removing or re-typing a field increments it. Version 2: the
 * report has an audience, and only the operator's carries the provider's cost.
 */
export const REPORT_SCHEMA_VERSION = 3;

/**
 * Whose report it is. The client's (the API, signed links, interim reports, and `report
 * --audience client`) carries what the client is billed and never what the provider charged the
 * operator: that difference is the operator's margin. The operator's (`report` on the CLI) has both.
 */
export const REPORT_AUDIENCES = ['client', 'operator'] as const;
export type ReportAudience = (typeof REPORT_AUDIENCES)[number];

/** Segments with fewer answers than this are flagged, and greyed in the HTML (reference §7.3). */
export const LOW_SAMPLE_RESPONSES = 30;

/** An attribute with more distinct values than this is not a segment (an id or a free-text column). */
export const MAX_SEGMENT_VALUES = 100;

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * The report's dispositions: one per final contact status, plus `inProgress` for contacts of an
 * interim report that were dialled and wait for a retry or are on a call. Contacts never dialled
 * yet count as `notDialled`, so the counts always add up to `contacts`.
 */
export const DISPOSITION_KEYS = [
  'notDialled',
  'busy',
  'unanswered',
  'failed',
  'rejected',
  'machine',
  'answeredNoScore',
  'responded',
  'optedOut',
  'suppressed',
  'capped',
  'inProgress',
] as const;
export type DispositionKey = (typeof DISPOSITION_KEYS)[number];

/** Final statuses map one to one; `pending` and `dialing` depend on whether a call was made. */
export function dispositionOf(status: ContactStatus, attempts: number): DispositionKey {
  switch (status) {
    case 'pending':
      return attempts === 0 ? 'notDialled' : 'inProgress';
    case 'dialing':
      return 'inProgress';
    case 'not_dialled':
      return 'notDialled';
    case 'answered_no_score':
      return 'answeredNoScore';
    case 'opted_out':
      return 'optedOut';
    case 'responded':
    case 'busy':
    case 'unanswered':
    case 'failed':
    case 'rejected':
    case 'machine':
    case 'suppressed':
    case 'capped':
      return status;
    default: {
      const unknown: never = status;
      throw new Error(`unknown contact status ${String(unknown)}`);
    }
  }
}

export type Interval = [number, number];

export interface Rate {
  /** numerator / denominator as a fraction 0–1; null when the denominator is 0. */
  value: number | null;
  numerator: number;
  denominator: number;
}

export interface SegmentRow {
  /** The attribute's value; null groups the contacts that have no value for it. */
  value: string | null;
  contacts: number;
  /** Contacts not suppressed or capped: the denominator of the segment's response rate and its FPC population. */
  eligible: number;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
  npsCi95: Interval | null;
  lowSample: boolean;
}

/**
 * One agent's results (the contacts' `agent` attribute: a column of the uploaded file, or the
 * `agent` of a triggered survey).
 */
export interface AgentRow extends Omit<SegmentRow, 'value'> {
  agent: string;
  /** 1 = the highest NPS among agents with at least `minResponses` answers; null below that (`lowSample`). */
  rank: number | null;
  /** Callers who left a voice comment. */
  comments: number;
}

export interface AgentResults {
  /** Answers an agent needs to be ranked (the low-sample threshold of segments). */
  minResponses: number;
  /** Agents ranked; the others are flagged `lowSample`. */
  ranked: number;
  /** Ranked agents by rank, then the others by answers. */
  rows: AgentRow[];
}

export interface WaveSummary {
  listId: number;
  listName: string;
  contacts: number;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
  npsCi95: Interval | null;
}

export interface ChangeSummary {
  /** Observed NPS of this wave minus the previous one, in points. */
  nps: number;
  /** The difference the test is about (adjusted-Wald NPS' difference, or the mean paired change). */
  estimate: number;
  ci95: Interval;
  standardError: number;
  /** z for independent waves, t for the panel; null when the panel has no spread. */
  statistic: number | null;
  degreesOfFreedom: number | null;
  pValue: number;
  significant: boolean;
  method: 'adjusted-wald-independent' | 'paired-t';
}

export interface WaveComparison {
  previous: WaveSummary;
  /** Independent-samples change over all respondents of both waves; null if either has none. */
  change: ChangeSummary | null;
  panel: {
    /** People (same number) who answered in both waves. */
    matched: number;
    /** Rows: category in the previous wave; columns: category in this one. */
    migration: MigrationTable;
    change: ChangeSummary | null;
  };
}

export interface NpsReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  audience: ReportAudience;
  listId: number;
  listName: string;
  client: { id: number; name: string } | null;
  previousListId: number | null;
  final: boolean;
  generatedAt: string;
  fieldwork: { firstCallAt: string | null; lastCallAt: string | null };
  mode: 'outbound-ivr-dtmf';
  question: string;
  language: string;
  contacts: number;
  dispositions: Record<DispositionKey, number>;
  funnel: { contacts: number; eligible: number; dialled: number; reached: number; responded: number; commented: number };
  /**
   * `answeredUnserved`: answered, but the survey never played (our answer webhook was not reached);
   * failed attempts, retried and never billed. Added in schema 1 (additive).
   */
  calls: { total: number; answeredByPerson: number; answeredByMachine: number; answeredUnserved: number };
  responses: number;
  responseRate: Rate;
  contactRate: Rate;
  cooperationRate: Rate;
  scores: Record<string, number>;
  promoters: number;
  passives: number;
  detractors: number;
  /** Percentages 0–100 of the responses; null without responses. */
  shares: Record<'promoters' | 'passives' | 'detractors', number | null>;
  nps: number | null;
  npsCi95: Interval | null;
  npsMethod: {
    interval: 'adjusted-wald';
    confidence: 0.95;
    adjustedNps: number | null;
    standardError: number | null;
    finitePopulationCorrection: boolean;
    population: number;
  };
  lowSample: boolean;
  meanScore: number | null;
  comments: { recorded: number; downloaded: number; pending: number; failed: number; totalSeconds: number };
  segments: Record<string, SegmentRow[]>;
  segmentsOmitted: { attribute: string; reason: string }[];
  wave: WaveComparison | null;
  /** Per-agent results, ranked; null when no contact has an `agent` attribute. */
  agents: AgentResults | null;
  /** Follow-up cases of the detractors, at the report's time (`generatedAt`). */
  followUp: FollowUpSummary;
  /** Why callees score as they do: themes of the comments, keypad reasons, verbatims, value at risk. */
  why: WhyReport;
  billing: {
    billableCalls: number;
    billableSeconds: number;
    amountMinor: number;
    currency: string | null;
    /** What the provider charged for the list's calls: in the operator's report only. */
    providerCost?: { amountMicros: number; pricedCalls: number };
  };
}

/** One comment as the HTML shows it. */
export interface CommentItem {
  callId: number;
  contactId: number;
  rowNumber: number;
  maskedPhone: string;
  score: number;
  category: NpsCategory;
  seconds: number | null;
  /** Path relative to RECORDINGS_DIR. */
  file: string;
}
