import { randomBytes } from 'node:crypto';

/**
 * A small seeded PRNG (mulberry32) so that every fuzz run can be replayed from the seed it prints. Not for
 * anything secret: it only chooses which mutation to make and where.
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform integer in [min, max], both included. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A float whose logarithm is uniform in [log min, log max): as many small values as large ones. */
  logUniform(min: number, max: number): number {
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick: no items');
    return items[this.int(items.length)] as T;
  }

  /** One of `entries`, each drawn in proportion to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let r = this.next() * total;
    for (const [item, weight] of entries) {
      r -= weight;
      if (r < 0) return item;
    }
    return this.pick(entries)[0];
  }

  /** The items in a random order (a copy). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/** murmur3's 32-bit finaliser: a bijective mix of all input bits. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The generator of one case: a case can be replayed alone from the run seed and its index. */
export function caseRandom(seed: number, index: number): Random {
  return new Random(mix32(seed ^ mix32(index + 0x9e3779b9)));
}

/** A fresh 32-bit seed for a run. */
export function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Parses a seed written in decimal or 0x-hexadecimal; it must fit in 32 bits. */
export function parseSeed(text: string): number {
  const trimmed = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(trimmed) ? Number.parseInt(trimmed.slice(2), 16) : Number(trimmed);
  if (!/^(?:\d+|0x[0-9a-f]+)$/i.test(trimmed) || !Number.isSafeInteger(value) || value > 0xffffffff) {
    throw new RangeError(`seed ${JSON.stringify(text)}: expected an integer from 0 to 4294967295`);
  }
  return value;
}
