import { DateTime } from 'luxon';

/** Epoch ms of an unambiguous local wall time, e.g. at('Europe/Paris', '2026-07-14T10:00'). */
export function at(zone: string, localIso: string): number {
  const local = DateTime.fromISO(localIso, { zone });
  if (!local.isValid) throw new Error(`bad local time ${localIso} in ${zone}`);
  return local.toMillis();
}

export const utc = (iso: string): number => Date.parse(`${iso}Z`);

/** ISO in UTC for readable failure messages; null stays null. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Local wall time of an instant, for assertions that read like the rule: 'Tue 2026-07-14 10:00'. */
export function wall(zone: string, ms: number | null): string | null {
  return ms === null ? null : DateTime.fromMillis(ms, { zone }).toFormat('ccc yyyy-MM-dd HH:mm');
}
