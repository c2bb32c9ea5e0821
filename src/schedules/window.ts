import { Cron } from 'croner';
import { DateTime } from 'luxon';

/** What decides when a schedule fires and how long each of its windows lasts. */
export interface ScheduleTiming {
  cron: string;
  timezone: string;
  /** Window end as minutes after local midnight (`--until HH:MM`). */
  untilMinute: number | null;
  /** Window length (`--for`). */
  durationMs: number | null;
}

const crons = new Map<string, Cron>();

/**
 * The croner job for a pattern in a zone, never started: we only ask it for occurrences (our own
 * loop sleeps on the injected clock, so tests can drive it). Throws croner's error for a bad
 * pattern or zone.
 */
export function cronFor(cron: string, timezone: string): Cron {
  const key = `${timezone} ${cron}`;
  let job = crons.get(key);
  if (!job) {
    job = new Cron(cron, { timezone, paused: true });
    // Croner reports a bad zone only when it computes a date; do it now so that add() can refuse.
    job.nextRun(new Date(0));
    crons.set(key, job);
  }
  return job;
}

/** The latest occurrence at or before `atMs`, or null. */
export function latestOccurrence(timing: ScheduleTiming, atMs: number): number | null {
  // previousRuns includes a run earlier in the reference's own second, so an occurrence exactly at
  // `atMs` is found with a reference one millisecond later.
  const [latest] = cronFor(timing.cron, timing.timezone).previousRuns(1, new Date(atMs + 1));
  return latest ? latest.getTime() : null;
}

/** The first occurrence strictly after `afterMs`, or null when the pattern has no more. */
export function nextOccurrence(timing: ScheduleTiming, afterMs: number): number | null {
  const next = cronFor(timing.cron, timing.timezone).nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}

/**
 * When the window opened by the occurrence at `startsAt` closes: `--for` after it, or the first
 * `--until` wall-clock time after it in the schedule's zone (so 20:00 until 06:00 ends the next
 * morning; a time skipped by a DST jump ends at the first instant after the gap), or at the next
 * occurrence when neither was given.
 */
export function windowEndsAt(timing: ScheduleTiming, startsAt: number): number {
  if (timing.durationMs !== null) return startsAt + timing.durationMs;
  if (timing.untilMinute !== null) {
    const start = DateTime.fromMillis(startsAt, { zone: timing.timezone });
    const at = (day: DateTime) => day.set({ hour: Math.floor(timing.untilMinute! / 60), minute: timing.untilMinute! % 60, second: 0, millisecond: 0 });
    let end = at(start);
    if (end.toMillis() <= startsAt) end = at(start.plus({ days: 1 }));
    return end.toMillis();
  }
  return nextOccurrence(timing, startsAt) ?? Number.POSITIVE_INFINITY;
}

export function describeWindow(timing: Pick<ScheduleTiming, 'untilMinute' | 'durationMs'>): string {
  if (timing.durationMs !== null) return `for ${formatDuration(timing.durationMs)}`;
  if (timing.untilMinute !== null) return `until ${minuteText(timing.untilMinute)}`;
  return 'until the next occurrence';
}

export function minuteText(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60}h`;
  if (minutes >= 1) return `${minutes}m`;
  return `${Math.round(ms / 1000)}s`;
}
