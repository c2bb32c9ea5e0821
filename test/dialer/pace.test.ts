import { describe, expect, it } from '@jest/globals';
import { fairShares } from '../../src/dialer/index.js';

describe("the lists' shares of the account's pace (what the round-robin turns come to)", () => {
  it('splits the pace equally among lists whose own cps is higher than their part', () => {
    expect(fairShares(3, [3, 3])).toEqual([1.5, 1.5]);
    expect(fairShares(10, [20, 20, 20, 20])).toEqual([2.5, 2.5, 2.5, 2.5]);
  });

  it('gives a list below its part its own cps and shares what it leaves among the others', () => {
    expect(fairShares(3, [1, 3])).toEqual([1, 2]);
    expect(fairShares(10, [1, 2, 100])).toEqual([1, 2, 7]);
    const shares = fairShares(12, [5, 1, 5, 5]);
    expect(shares[1]).toBe(1);
    for (const i of [0, 2, 3]) expect(shares[i]).toBeCloseTo(11 / 3, 9);
  });

  it('never hands out more than the account allows, nor leaves pace unused that a list could take', () => {
    for (const ceilings of [[1], [0.5, 0.5], [2, 9, 4, 1], [50, 0.2]]) {
      const shares = fairShares(6, ceilings);
      const total = shares.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(6 + 1e-9);
      shares.forEach((share, i) => expect(share).toBeLessThanOrEqual(ceilings[i]!));
      // Either the whole pace is used, or every list is at its own cps.
      if (total < 6 - 1e-9) expect(shares).toEqual(ceilings);
    }
  });

  it('gives a list alone the lower of its cps and the account', () => {
    expect(fairShares(3, [20])).toEqual([3]);
    expect(fairShares(3, [0.5])).toEqual([0.5]);
  });
});
