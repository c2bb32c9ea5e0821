/** Helpers for what commands print: JSON on stdout for machines, aligned text for people. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '-';
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A duration for people in the largest unit that reads well: "20 s", "15 min", "1.5 h", "2 d". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const inUnit = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${inUnit(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${inUnit(seconds / 3600)} h`;
  return `${inUnit(seconds / 86_400)} d`;
}

/** A list's stored settings (script, policy, follow-up) as JSON, or a word when none is set. */
export function settingsText(settings: object): string {
  const set = Object.values(settings).some((value) => value !== undefined);
  return set ? JSON.stringify(settings) : 'defaults (none set on the list)';
}
