import type { CallOutcome } from '../db/schema/index.js';

/** Every call status the Vonage Voice API documents. */
export const VONAGE_CALL_STATUSES = [
  'started',
  'ringing',
  'answered',
  'machine',
  'human',
  'completed',
  'busy',
  'cancelled',
  'failed',
  'rejected',
  'timeout',
  'unanswered',
] as const;
export type VonageCallStatus = (typeof VONAGE_CALL_STATUSES)[number];

/** A provider status translated into what it means for our call. */
export type StatusMeaning =
  | { kind: 'progress'; state: 'started' | 'ringing' | 'answered' }
  | { kind: 'detection'; answeredBy: 'human' | 'machine' }
  /** `completed` ends an answered call; whether a person or a machine answered is decided from the call's facts. */
  | { kind: 'completed' }
  | { kind: 'failed'; outcome: Exclude<CallOutcome, 'human' | 'machine' | 'unserved' | 'lost' | 'create_failed'> }
  | { kind: 'unknown'; status: string };

export function isVonageCallStatus(value: string): value is VonageCallStatus {
  return (VONAGE_CALL_STATUSES as readonly string[]).includes(value);
}

/**
 * The one translation of Vonage's status vocabulary into ours. The switch is exhaustive: a status
 * added to VONAGE_CALL_STATUSES without a mapping does not compile. Statuses we do not know are
 * kept as 'unknown' (stored and logged by the caller), never dropped.
 */
export function translateStatus(status: string): StatusMeaning {
  if (!isVonageCallStatus(status)) return { kind: 'unknown', status };
  switch (status) {
    case 'started':
    case 'ringing':
    case 'answered':
      return { kind: 'progress', state: status };
    case 'human':
    case 'machine':
      return { kind: 'detection', answeredBy: status };
    case 'completed':
      return { kind: 'completed' };
    case 'busy':
    case 'cancelled':
    case 'failed':
    case 'rejected':
    case 'timeout':
    case 'unanswered':
      return { kind: 'failed', outcome: status };
    default: {
      const unreachable: never = status;
      return { kind: 'unknown', status: unreachable };
    }
  }
}
