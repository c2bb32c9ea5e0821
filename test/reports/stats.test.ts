import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  adjustedEstimate,
  adjustedWaldInterval,
  countsFromScores,
  emptyMigration,
  finitePopulationFactor,
  normalCdf,
  npsOf,
  pairedChange,
  studentTQuantile,
  studentTTwoSidedP,
  waldStandardError,
  waveDifference,
} from '../../src/reports/stats.js';

// Expected values are computed by hand from the formulas of the reference (nps-and-compliance.md
// §7) and checked against scipy; the reference's own rounded figures are asserted where it gives them.
const WAVE_1 = { promoters: 180, passives: 120, detractors: 100 };
const WAVE_2 = { promoters: 220, passives: 110, detractors: 90 };

describe('NPS and its interval', () => {
  it('scores the worked example 180 P / 120 Pa / 100 D as NPS 20 with a raw Wald margin of ±8.0', () => {
    expect(npsOf(WAVE_1)).toBe(20);
    expect(1.96 * waldStandardError(WAVE_1)!).toBeCloseTo(7.9616, 4);
  });

  it('gives the worked example the adjusted-Wald interval [11.9, 27.8] around NPS\' 19.9', () => {
    const interval = adjustedWaldInterval(WAVE_1)!;
    expect(interval.nps).toBe(20);
    expect(interval.adjustedNps).toBeCloseTo(19.8511, 4);
    expect(interval.standardError).toBeCloseTo(4.0441, 4);
    expect(interval.ci[0]).toBeCloseTo(11.9246, 4);
    expect(interval.ci[1]).toBeCloseTo(27.7776, 4);
    expect(interval.ci.map((x) => Number(x.toFixed(1)))).toEqual([11.9, 27.8]);
    expect(interval.finitePopulationCorrection).toBe(false);
  });

  it('counts passives in the denominator and 9–10 / 7–8 / 0–6 as the categories', () => {
    const scores = [1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4]; // index = score
    expect(countsFromScores(scores)).toEqual({ detractors: 7, passives: 4, promoters: 7 });
    expect(npsOf({ promoters: 1, passives: 2, detractors: 1 })).toBe(0);
    expect(npsOf({ promoters: 3, passives: 1, detractors: 0 })).toBe(75);
  });

  it('has no score and no interval without answers', () => {
    const none = { promoters: 0, passives: 0, detractors: 0 };
    expect(npsOf(none)).toBeNull();
    expect(adjustedWaldInterval(none)).toBeNull();
    expect(waldStandardError(none)).toBeNull();
  });

  it('adds ¾ to promoters and detractors and 3 to n (n\' = 4 for one promoter)', () => {
    expect(adjustedEstimate({ promoters: 1, passives: 0, detractors: 0 })).toEqual({ nps: 25, variance: 0.140625 });
  });

  it('clips the interval to −100…+100 (five promoters out of five)', () => {
    const interval = adjustedWaldInterval({ promoters: 5, passives: 0, detractors: 0 })!;
    expect(interval.adjustedNps).toBeCloseTo(62.5, 10);
    expect(interval.ci[0]).toBeCloseTo(17.4906, 4);
    expect(interval.ci[1]).toBe(100);
  });
});

describe('finite population correction', () => {
  it('multiplies the SE by 0.775 when 400 of 1,000 answered (the reference example)', () => {
    expect(Math.sqrt(finitePopulationFactor(400, 1000))).toBeCloseTo(0.77498, 5);
    const corrected = adjustedWaldInterval(WAVE_1, { population: 1000 })!;
    expect(corrected.finitePopulationCorrection).toBe(true);
    expect(corrected.standardError).toBeCloseTo(3.13413, 5);
    expect(corrected.ci[0]).toBeCloseTo(13.7082, 4);
    expect(corrected.ci[1]).toBeCloseTo(25.994, 3);
  });

  it('is not applied when fewer than 5 % of the population answered', () => {
    const interval = adjustedWaldInterval(WAVE_1, { population: 8001 })!;
    expect(interval.finitePopulationCorrection).toBe(false);
    expect(interval.ci).toEqual(adjustedWaldInterval(WAVE_1)!.ci);
    expect(adjustedWaldInterval(WAVE_1, { population: 8000 })!.finitePopulationCorrection).toBe(true);
  });

  it('reduces a census to the observed NPS, which has no sampling error', () => {
    const census = adjustedWaldInterval({ promoters: 10, passives: 5, detractors: 5 }, { population: 20 })!;
    expect(census.ci).toEqual([25, 25]);
    expect(census.standardError).toBe(0);
  });

  it('keeps the observed NPS inside a corrected interval (20 of 40 answered)', () => {
    const half = adjustedWaldInterval({ promoters: 10, passives: 5, detractors: 5 }, { population: 40 })!;
    expect(half.standardError).toBeCloseTo(12.2236, 4);
    expect(half.ci[0]).toBeCloseTo(-2.2191, 4);
    expect(half.ci[1]).toBeCloseTo(45.6974, 4);
    const nearCensus = adjustedWaldInterval({ promoters: 39, passives: 0, detractors: 0 }, { population: 40 })!;
    expect(nearCensus.ci[1]).toBe(100);
    expect(nearCensus.ci[0]).toBeLessThan(100);
  });

  it('refuses a sample larger than its population', () => {
    expect(() => finitePopulationFactor(5, 4)).toThrow(/cannot exceed/);
    expect(finitePopulationFactor(1, 1)).toBe(0);
  });
});

describe('change between waves', () => {
  it('reproduces the reference: d = +10.9, SE 5.6, z 1.94, p ≈ 0.053, not significant', () => {
    const change = waveDifference(WAVE_1, WAVE_2)!;
    expect(adjustedEstimate(WAVE_2).nps).toBeCloseTo(30.7329, 4);
    expect(change.estimate).toBeCloseTo(10.8817, 4);
    expect(change.standardError).toBeCloseTo(5.6153, 4);
    expect(change.statistic).toBeCloseTo(1.9379, 4);
    expect(change.pValue).toBeCloseTo(0.05264, 4);
    expect(change.ci[0]).toBeLessThan(0);
    expect(change.difference).toBeCloseTo(10.9524, 4);
  });

  it('is symmetric: swapping the waves flips the sign and keeps the p-value', () => {
    const forward = waveDifference(WAVE_1, WAVE_2)!;
    const backward = waveDifference(WAVE_2, WAVE_1)!;
    expect(backward.estimate).toBeCloseTo(-forward.estimate, 10);
    expect(backward.pValue).toBeCloseTo(forward.pValue, 12);
  });

  it('cannot compare a wave without answers', () => {
    expect(waveDifference(WAVE_1, { promoters: 0, passives: 0, detractors: 0 })).toBeNull();
  });

  it('tests the panel change on matched people with a paired t (m = 10)', () => {
    // 4 stay promoters (d = 0), 3 detractors → promoters (+2), 2 passives → promoters (+1), 1 promoter → detractor (−2):
    // mean 0.6, s = 1.2649, SE = 0.4, t = 1.5 with 9 df, p = 0.1679, CI 60 ± 2.2622·40.
    const table = emptyMigration();
    table.promoter.promoter = 4;
    table.detractor.promoter = 3;
    table.passive.promoter = 2;
    table.promoter.detractor = 1;
    const change = pairedChange(table)!;
    expect(change.estimate).toBeCloseTo(60, 10);
    expect(change.standardError).toBeCloseTo(40, 10);
    expect(change.statistic).toBeCloseTo(1.5, 10);
    expect(change.pValue).toBeCloseTo(0.167851, 5);
    expect(change.ci[0]).toBeCloseTo(-30.4863, 3);
    expect(change.ci[1]).toBeCloseTo(150.4863, 3);
  });

  it('reports no change with certainty when every matched person kept their category', () => {
    const table = emptyMigration();
    table.passive.passive = 7;
    expect(pairedChange(table)).toMatchObject({ estimate: 0, pValue: 1, statistic: null, ci: [0, 0] });
    expect(pairedChange(emptyMigration())).toBeNull();
  });
});

describe('distributions', () => {
  it('computes Φ to seven decimals', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-1.96)).toBeCloseTo(0.0249979, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(0.5)).toBeCloseTo(0.6914625, 6);
  });

  it("computes Student's t p-values and quantiles", () => {
    expect(studentTTwoSidedP(2.228, 10)).toBeCloseTo(0.050012, 5);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 5);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 4);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 5);
    expect(() => studentTQuantile(0.4, 3)).toThrow(/p must be/);
  });
});

describe('interval properties', () => {
  const counts = fc.record({ promoters: fc.nat(500), passives: fc.nat(500), detractors: fc.nat(500) });

  it('always lies within −100…+100 with low ≤ high', () => {
    fc.assert(
      fc.property(counts, fc.nat(2000), (c, extra) => {
        const n = c.promoters + c.passives + c.detractors;
        for (const interval of [adjustedWaldInterval(c), adjustedWaldInterval(c, { population: n + extra })]) {
          if (n === 0) return interval === null;
          if (!interval) return false;
          if (!(interval.ci[0] >= -100 && interval.ci[1] <= 100 && interval.ci[0] <= interval.ci[1])) return false;
        }
        return true;
      }),
    );
  });

  it('never widens the standard error with the finite population correction', () => {
    fc.assert(
      fc.property(counts, fc.nat(2000), (c, extra) => {
        const n = c.promoters + c.passives + c.detractors;
        fc.pre(n > 0);
        return adjustedWaldInterval(c, { population: n + extra })!.standardError <= adjustedWaldInterval(c)!.standardError + 1e-12;
      }),
    );
  });

  it('gives p-values in [0, 1]', () => {
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const change = waveDifference(a, b);
        return change === null || (change.pValue >= 0 && change.pValue <= 1);
      }),
    );
  });
});
