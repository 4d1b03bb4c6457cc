/**
 * A small seeded pseudo-random generator for synthetic data.
 *
 * Math.random cannot be seeded, and generated files must be byte-identical for the
 * same seed so that tests, bug reports and benchmarks can be reproduced. sfc32
 * (Chris Doty-Humphrey's Small Fast Counting generator) passes PractRand, has a
 * period far beyond the few hundred million draws a national registry needs, and
 * uses only 32-bit integer operations, so it is fast in V8. Not for secrets.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the 128-bit state, so seeds 1 and 2
    // start from unrelated states.
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = 1;
    // The first outputs of sfc32 still show the seed's structure.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/**
 * Prepares a weighted choice once, so that drawing millions of times costs one
 * binary search each instead of summing the weights again.
 */
export function weightedPicker<T>(items: readonly T[], weights: readonly number[]): (rng: Random) => T {
  if (items.length === 0 || items.length !== weights.length) {
    throw new RangeError('weightedPicker needs as many weights as items, and at least one');
  }
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) {
    if (!(w >= 0)) throw new RangeError('weights must be non-negative');
    total += w;
    cumulative.push(total);
  }
  if (total <= 0) throw new RangeError('weights must not all be zero');
  const last = items.length - 1;
  return (rng) => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return items[lo] as T;
  };
}
