/** What the callee's keys mean at the question. */
export type DtmfAnswer =
  | { kind: 'score'; score: number }
  | { kind: 'opt_out' }
  | { kind: 'invalid'; digits: string }
  | { kind: 'none' };

/**
 * Interprets the digits of an input webhook. The question allows two digits with submit-on-hash,
 * so "7" arrives with timed_out:true (the callee stopped typing) and still means 7; "10" fills
 * maxDigits and means 10. `timed_out` therefore carries no meaning here and is not an argument.
 * A star anywhere means "stop calling me" (the greeting offers it), and wins over digits.
 * Digits may be "", null or missing when nothing was pressed, and a trailing "#" is tolerated in
 * case the provider ever includes it.
 */
export function interpretDtmf(digits: unknown): DtmfAnswer {
  const text = typeof digits === 'string' ? digits.trim().replace(/#+$/, '') : typeof digits === 'number' ? String(digits) : '';
  if (text === '') return { kind: 'none' };
  if (text.includes('*')) return { kind: 'opt_out' };
  if (/^(?:[0-9]|10)$/.test(text)) return { kind: 'score', score: Number(text) };
  return { kind: 'invalid', digits: text.slice(0, 20) };
}

export type NpsCategory = 'promoter' | 'passive' | 'detractor';

/** 0–6 detractor, 7–8 passive, 9–10 promoter. */
export function categoryOf(score: number): NpsCategory {
  if (score >= 9) return 'promoter';
  if (score >= 7) return 'passive';
  return 'detractor';
}
