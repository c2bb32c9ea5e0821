import { createHash } from 'node:crypto';

/**
 * A seeded random stream. Each call gets streams keyed by (seed, number, attempt, purpose), so what
 * happens to one number never depends on which other numbers were dialled first or how many calls
 * ran at once: a concurrent dialer gets the same run for the same seed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Uniform in [min, max]. */
  between(min: number, max: number): number;
  integerBetween(min: number, max: number): number;
  /** An index drawn in proportion to the weights; -1 when they are all zero. */
  weighted(weights: readonly number[]): number;
  pick<T>(items: readonly T[]): T;
}

/** sfc32: small, fast, and good enough for simulation; seeded from a SHA-256 of the key. */
export function seededRandom(...key: (string | number)[]): Random {
  const digest = createHash('sha256').update(key.join('\u0000')).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 are weakly mixed; discard a few, as its author recommends.
  for (let i = 0; i < 12; i++) next();

  const random: Random = {
    next,
    chance: (p) => p > 0 && next() < p,
    between: (min, max) => min + (max - min) * next(),
    integerBetween: (min, max) => min + Math.floor(next() * (max - min + 1)),
    weighted: (weights) => {
      const total = weights.reduce((sum, w) => sum + w, 0);
      if (!(total > 0)) return -1;
      let point = next() * total;
      for (let i = 0; i < weights.length; i++) {
        point -= weights[i]!;
        if (point < 0) return i;
      }
      return weights.length - 1;
    },
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
  return random;
}
