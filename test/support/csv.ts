/**
 * Generated contact files for tests that need many rows (batching, interruption, the worker path).
 * Row i gets the valid Polish mobile number +48 501 xxx xxx built from i, so rows never collide.
 */
export function contactNumber(i: number): string {
  return `+48501${String(i).padStart(6, '0')}`;
}

/** Data lines "number,name" for rows [from, to); names carry Polish letters (two-byte UTF-8). */
export function contactLines(from: number, to: number): string[] {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`${contactNumber(i)},Zażółć ${i}`);
  return lines;
}

/** A CSV file's text: the header "phone,name" and `rows` generated contacts. */
export function contactsCsv(rows: number): string {
  return ['phone,name', ...contactLines(0, rows)].join('\n') + '\n';
}
