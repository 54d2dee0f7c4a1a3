/** A seeded source of random numbers: the same seed gives the same sequence on every machine. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, `limit`). */
  integer(limit: number): number;
  /** A float in [`low`, `high`). */
  uniform(low: number, high: number): number;
  /** Shuffles `values` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: number }>(values: T): T;
}

/**
 * A seeded pseudo-random generator (mulberry32: 32-bit state, fast, good enough for shuffles, splits and
 * augmentation; not for cryptography).
 *
 * @example
 * const random = createRandom(42);
 * random.next();      // 0.6011037519201636, every time with seed 42
 * random.integer(10); // an integer from 0 to 9
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new TypeError(`'seed' must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    integer: (limit) => Math.floor(next() * limit),
    uniform: (low, high) => low + (high - low) * next(),
    shuffle(values) {
      for (let i = values.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        const kept = values[i]!;
        values[i] = values[j]!;
        values[j] = kept;
      }
      return values;
    },
  };
}
