/** A source of uniform numbers in [0, 1): `Math.random`, or a seeded one for reproducible tests. */
export type Random = () => number;

/** mulberry32: a tiny seeded PRNG (good enough to vary demo timings, not for anything secret). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform value in [min, max]. */
export function between(random: Random, [min, max]: readonly [number, number]): number {
  return min + (max - min) * random();
}

/** An exponential delay with the given mean (Poisson arrivals), capped at 3× the mean. */
export function exponential(random: Random, mean: number): number {
  return Math.min(3 * mean, -Math.log(1 - random()) * mean);
}
