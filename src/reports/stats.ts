import { categoryOf, type NpsCategory } from '../ivr/index.js';

/**
 * NPS statistics, as docs/report-format.md and the reference (nps-and-compliance.md §7) define
 * them. Every function is pure; NPS values are in points (−100 … +100), shares are fractions.
 */

export interface NpsCounts {
  promoters: number;
  passives: number;
  detractors: number;
}

/** The 95 % two-sided normal quantile the reference uses throughout. */
export const Z_95 = 1.96;

/**
 * Below this share of the list answering, the finite population correction changes the interval by
 * less than 2.5 % and is not applied; at or above it, it is (the usual 5 % rule of thumb).
 */
export const FPC_MIN_SHARE = 0.05;

export const countOf = (c: NpsCounts): number => c.promoters + c.passives + c.detractors;

export const NPS_CATEGORIES = ['promoter', 'passive', 'detractor'] as const satisfies readonly NpsCategory[];

const COUNT_OF = { promoter: 'promoters', passive: 'passives', detractor: 'detractors' } as const satisfies Record<NpsCategory, keyof NpsCounts>;

/** Counts by category from a 0–10 histogram (index = score). */
export function countsFromScores(scores: readonly number[]): NpsCounts {
  const counts = { promoters: 0, passives: 0, detractors: 0 };
  scores.forEach((n, score) => {
    counts[COUNT_OF[categoryOf(score)]] += n;
  });
  return counts;
}

/** 100 · (p_P − p_D); null when nobody answered. */
export function npsOf(c: NpsCounts): number | null {
  const n = countOf(c);
  return n === 0 ? null : (100 * (c.promoters - c.detractors)) / n;
}

/** Var(x)/n of the trinomial score x ∈ {+1, 0, −1}: [p_P + p_D − (p_P − p_D)²] / n, in proportion units². */
function trinomialVariance(pP: number, pD: number, n: number): number {
  return (pP + pD - (pP - pD) ** 2) / n;
}

/** The plain Wald standard error of NPS, in points (reference §7.2); null below two answers. */
export function waldStandardError(c: NpsCounts): number | null {
  const n = countOf(c);
  if (n < 2) return null;
  return 100 * Math.sqrt(trinomialVariance(c.promoters / n, c.detractors / n, n));
}

/** The adjusted counts of the adjusted-Wald method: n' = n + 3, ¾ added to promoters and detractors. */
export interface AdjustedEstimate {
  /** NPS' in points. */
  nps: number;
  /** Var' in proportion units², before any finite population correction. */
  variance: number;
}

export function adjustedEstimate(c: NpsCounts): AdjustedEstimate {
  const n1 = countOf(c) + 3;
  const pP = (c.promoters + 0.75) / n1;
  const pD = (c.detractors + 0.75) / n1;
  return { nps: 100 * (pP - pD), variance: trinomialVariance(pP, pD, n1) };
}

/** (N − n)/(N − 1): the variance factor of sampling n of N without replacement; 0 for a census. */
export function finitePopulationFactor(sample: number, population: number): number {
  if (!Number.isInteger(sample) || !Number.isInteger(population) || sample < 0 || population < 1) {
    throw new RangeError(`sample and population must be whole numbers with population ≥ 1, got n=${sample}, N=${population}`);
  }
  if (sample > population) throw new RangeError(`the sample (${sample}) cannot exceed the population (${population})`);
  if (population === 1) return 0;
  return (population - sample) / (population - 1);
}

export interface NpsInterval {
  /** Observed NPS in points, null without answers. */
  nps: number | null;
  /** NPS' of the adjusted-Wald method, the interval's centre. */
  adjustedNps: number;
  /** [low, high] in points, clipped to −100 … +100. */
  ci: [number, number];
  /** Half-width / z, in points, after any finite population correction. */
  standardError: number;
  finitePopulationCorrection: boolean;
}

export interface IntervalOptions {
  /** Contacts the answers were drawn from (the list, or the segment); enables the FPC. */
  population?: number;
  z?: number;
}

/**
 * The adjusted-Wald interval (Rocks 2016; reference §7.2), with the finite population correction
 * when at least FPC_MIN_SHARE of the population answered. Returns null when nobody answered.
 *
 * With the correction, a near-census shrinks the interval around NPS', which the ¾ pseudo-counts
 * pull towards 0, so it could miss the observed NPS that has almost no sampling error left. A
 * corrected interval is therefore widened to contain the observed NPS, and a full census (every
 * eligible contact answered) is exactly the observed NPS. Uncorrected intervals are the reference's
 * method, unaltered.
 */
export function adjustedWaldInterval(c: NpsCounts, options: IntervalOptions = {}): NpsInterval | null {
  const n = countOf(c);
  const observed = npsOf(c);
  if (observed === null) return null;
  const z = options.z ?? Z_95;
  const adjusted = adjustedEstimate(c);
  const population = options.population;
  const fpc = population !== undefined && n / population >= FPC_MIN_SHARE;
  const variance = fpc ? adjusted.variance * finitePopulationFactor(n, population) : adjusted.variance;
  const standardError = fpc && n >= population ? 0 : 100 * Math.sqrt(variance);
  let low = adjusted.nps - z * standardError;
  let high = adjusted.nps + z * standardError;
  if (fpc && n >= population) {
    low = observed;
    high = observed;
  } else if (fpc) {
    low = Math.min(low, observed);
    high = Math.max(high, observed);
  }
  return {
    nps: observed,
    adjustedNps: adjusted.nps,
    ci: [Math.max(-100, low), Math.min(100, high)],
    standardError,
    finitePopulationCorrection: fpc,
  };
}

export interface ChangeTest {
  /** Observed NPS₂ − NPS₁ in points. */
  difference: number;
  /** The tested difference: NPS'₂ − NPS'₁ (independent) or the mean paired change (panel). */
  estimate: number;
  ci: [number, number];
  standardError: number;
  /** z (independent samples) or t (paired). */
  statistic: number | null;
  pValue: number;
}

/**
 * Did NPS change between two waves of different respondents? The MeasuringU adjusted-Wald test
 * (reference §7.3): d = NPS'₂ − NPS'₁, SE = √(Var'₁ + Var'₂), two-sided p from the normal. Null when
 * either wave has no answers.
 */
export function waveDifference(before: NpsCounts, after: NpsCounts, z = Z_95): ChangeTest | null {
  const observedBefore = npsOf(before);
  const observedAfter = npsOf(after);
  if (observedBefore === null || observedAfter === null) return null;
  const a = adjustedEstimate(before);
  const b = adjustedEstimate(after);
  const estimate = b.nps - a.nps;
  const standardError = 100 * Math.sqrt(a.variance + b.variance);
  const statistic = estimate / standardError;
  return {
    difference: observedAfter - observedBefore,
    estimate,
    ci: [estimate - z * standardError, estimate + z * standardError],
    standardError,
    statistic,
    pValue: 2 * (1 - normalCdf(Math.abs(statistic))),
  };
}

/** Respondents of both waves counted by category before (rows) and after (columns). */
export type MigrationTable = Record<NpsCategory, Record<NpsCategory, number>>;

export function emptyMigration(): MigrationTable {
  const row = () => ({ promoter: 0, passive: 0, detractor: 0 });
  return { promoter: row(), passive: row(), detractor: row() };
}

const SCORE_VALUE: Record<NpsCategory, number> = { promoter: 1, passive: 0, detractor: -1 };

/**
 * The paired change for people who answered in both waves (reference §7.3): d_i = x₂ − x₁ with
 * x = +1/0/−1, mean and sample standard deviation from the migration table, t with m − 1 degrees
 * of freedom. In points. Null below two matched people.
 */
export function pairedChange(table: MigrationTable, confidence = 0.95): ChangeTest | null {
  let m = 0;
  let sum = 0;
  for (const from of NPS_CATEGORIES) {
    for (const to of NPS_CATEGORIES) {
      const n = table[from][to];
      m += n;
      sum += n * (SCORE_VALUE[to] - SCORE_VALUE[from]);
    }
  }
  if (m < 2) return null;
  const mean = sum / m;
  let squares = 0;
  for (const from of NPS_CATEGORIES) {
    for (const to of NPS_CATEGORIES) squares += table[from][to] * (SCORE_VALUE[to] - SCORE_VALUE[from] - mean) ** 2;
  }
  const sd = Math.sqrt(squares / (m - 1));
  const se = sd / Math.sqrt(m);
  const df = m - 1;
  const estimate = 100 * mean;
  // Everybody moved by the same amount: no spread, so the change is certain (or certainly zero).
  if (se === 0) {
    return { difference: estimate, estimate, ci: [estimate, estimate], standardError: 0, statistic: null, pValue: mean === 0 ? 1 : 0 };
  }
  const t = mean / se;
  const q = studentTQuantile(1 - (1 - confidence) / 2, df);
  return {
    difference: estimate,
    estimate,
    ci: [100 * (mean - q * se), 100 * (mean + q * se)],
    standardError: 100 * se,
    statistic: t,
    pValue: studentTTwoSidedP(t, df),
  };
}

/**
 * Φ(x) via the complementary error function (Numerical Recipes' erfcc, fractional error below
 * 1.2e-7 everywhere): plenty for p-values printed to three decimals.
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes betacf, modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p of Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, ½). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t with P(T ≤ t) = p, for p in (0.5, 1), by bisection on the two-sided p (monotone in t). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1)) throw new RangeError(`p must be in (0.5, 1), got ${p}`);
  const target = 2 * (1 - p);
  let low = 0;
  let high = 1;
  while (studentTTwoSidedP(high, df) > target) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12; i++) {
    const mid = (low + high) / 2;
    if (studentTTwoSidedP(mid, df) > target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
