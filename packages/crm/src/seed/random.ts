/**
 * A small deterministic PRNG (sfc32, seeded through a string hash) and the helpers the telco generator draws
 * from. Same seed, same data: no dependency, no global state.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    // xmur3: a string hash that spreads the seed over four 32-bit words.
    const text = String(seed);
    let h = 1779033703 ^ text.length;
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    const next = () => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      return (h ^= h >>> 16) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the items, chosen by weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }

  /** A normally distributed number (Box-Muller). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const h = (byte: number) => HEX[byte] as string;

/**
 * Identifiers in UUIDv7 layout: 48 bits of sequence (started from the run's clock, so a second run sorts after
 * the first) then 74 random bits. Rows go into their primary-key B-trees in key order, which is what keeps a
 * bulk load of millions of rows fast; the random bits keep runs with different seeds apart.
 */
export class IdMaker {
  private seq: number;

  constructor(
    private readonly random: Random,
    start: number,
  ) {
    this.seq = Math.floor(start);
  }

  next(): string {
    const s = this.seq++;
    const hi = Math.floor(s / 0x1000000); // upper 24 of 48 bits
    const lo = s % 0x1000000;
    const r1 = this.random.uint32();
    const r2 = this.random.uint32();
    const r3 = this.random.uint32();
    return (
      h((hi >>> 16) & 0xff) +
      h((hi >>> 8) & 0xff) +
      h(hi & 0xff) +
      h((lo >>> 16) & 0xff) +
      '-' +
      h((lo >>> 8) & 0xff) +
      h(lo & 0xff) +
      '-7' +
      h((r1 >>> 24) & 0x0f).slice(1) +
      h((r1 >>> 16) & 0xff) +
      '-' +
      h(0x80 | ((r1 >>> 8) & 0x3f)) +
      h(r1 & 0xff) +
      '-' +
      h((r2 >>> 24) & 0xff) +
      h((r2 >>> 16) & 0xff) +
      h((r2 >>> 8) & 0xff) +
      h(r2 & 0xff) +
      h((r3 >>> 8) & 0xff) +
      h(r3 & 0xff)
    );
  }
}
