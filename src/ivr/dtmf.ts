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

export const NPS_CATEGORIES = ['detractor', 'passive', 'promoter'] as const;
export type NpsCategory = (typeof NPS_CATEGORIES)[number];

/**
 * The NPS bands, the one definition: 0–6 detractor, 7–8 passive, 9–10 promoter. Code calls
 * categoryOf; SQL is generated from the same numbers by the *_SQL helpers below.
 */
export const NPS_BANDS = { passiveFrom: 7, promoterFrom: 9 } as const;

export function categoryOf(score: number): NpsCategory {
  if (score >= NPS_BANDS.promoterFrom) return 'promoter';
  if (score >= NPS_BANDS.passiveFrom) return 'passive';
  return 'detractor';
}

/** The lowest and highest score of a category (detractor 0–6, passive 7–8, promoter 9–10). */
export function scoreRangeOf(category: NpsCategory): [number, number] {
  if (category === 'promoter') return [NPS_BANDS.promoterFrom, 10];
  if (category === 'passive') return [NPS_BANDS.passiveFrom, NPS_BANDS.promoterFrom - 1];
  return [0, NPS_BANDS.passiveFrom - 1];
}

/** SQL true (1) when `column` holds a promoter's score. */
export const promoterSql = (column: string): string => `(${column} >= ${NPS_BANDS.promoterFrom})`;
/** SQL true (1) when `column` holds a detractor's score. */
export const detractorSql = (column: string): string => `(${column} < ${NPS_BANDS.passiveFrom})`;
/** SQL 0 detractor, 1 passive, 2 promoter (a CASE: PostgreSQL cannot add comparisons, which are booleans there). */
export const categoryCodeSql = (column: string): string =>
  `(CASE WHEN ${column} >= ${NPS_BANDS.promoterFrom} THEN 2 WHEN ${column} >= ${NPS_BANDS.passiveFrom} THEN 1 ELSE 0 END)`;
