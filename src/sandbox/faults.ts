import type { CalleeFaultOptions, FaultOptions } from './scenario.js';
import { asProbability } from './scenario.js';

/** Faults in effect for one call: the global switches overridden field by field by the callee's. */
export interface ResolvedFaults {
  startedBeforeCreateResponse: number;
  duplicateRate: number;
  outOfOrderRate: number;
  webhookDelayMs: [number, number] | null;
  dropStatusRate: number;
  recordingAfterCompleted: number;
  createServerErrorRate: number;
  recordingNotFoundDownloads: number;
  hangupTooSoonSeconds: number;
  completedAfterFailure: boolean;
}

/** Two days, Vonage's default retention of call legs (reference §2). */
export const DEFAULT_CALL_RETENTION_SECONDS = 2 * 24 * 3600;

export function resolveFaults(global: FaultOptions, callee: CalleeFaultOptions): ResolvedFaults {
  const merged: CalleeFaultOptions = { ...global, ...callee };
  return {
    startedBeforeCreateResponse: asProbability(merged.startedBeforeCreateResponse),
    duplicateRate: merged.duplicateRate ?? 0,
    outOfOrderRate: merged.outOfOrderRate ?? 0,
    webhookDelayMs: merged.webhookDelayMs ?? null,
    dropStatusRate: merged.dropStatusRate ?? 0,
    recordingAfterCompleted: asProbability(merged.recordingAfterCompleted),
    createServerErrorRate: merged.createServerErrorRate ?? 0,
    recordingNotFoundDownloads: merged.recordingNotFoundDownloads ?? 0,
    hangupTooSoonSeconds: merged.hangupTooSoonSeconds ?? 0,
    completedAfterFailure: merged.completedAfterFailure ?? false,
  };
}
