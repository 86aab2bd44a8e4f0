import { HASH_SIZE, sha256Into } from '../rfc6962.js';
import { borrow, giveBack } from './buffers.js';

const NEWLINE = 0x0a;

/**
 * Leaves in bulk, as the log hands them to storage: no object or string per leaf, so a batch of thousands
 * costs the garbage collector next to nothing while it waits for its commit. Leaf i (0 <= i < count) has the
 * hash `hashes[32i, 32i + 32)` and the canonical record `records[start(i), ends[i])` (UTF-8). Every record is
 * preceded by one "\n" byte, so records i to j - 1 joined by newlines (the bundle format) are one slice.
 */
export class LeafBatch {
  static readonly EMPTY = new LeafBatch(0, Buffer.alloc(0), Buffer.alloc(0), new Float64Array(0));

  readonly count: number;
  readonly hashes: Buffer;
  readonly records: Buffer;
  readonly ends: Float64Array;
  /** Borrowed buffers (see buffers.ts) the batch lives in, given back by `release`. */
  #borrowed: Buffer[];

  constructor(count: number, hashes: Buffer, records: Buffer, ends: Float64Array, borrowed: Buffer[] = []) {
    if (hashes.length !== count * HASH_SIZE || ends.length !== count)
      throw new RangeError(`a batch of ${count} leaves needs ${count} hashes and record ends`);
    this.count = count;
    this.hashes = hashes;
    this.records = records;
    this.ends = ends;
    this.#borrowed = borrowed;
  }

  /** Ends the batch's life: its buffers are reused for later batches (nothing may read it afterwards). */
  release(): void {
    for (const b of this.#borrowed) giveBack(b);
    this.#borrowed = [];
  }

  /** A batch of the given leaves (canonical record texts, which hold no newline, and their leaf hashes). */
  static of(leaves: readonly { leafHash: Uint8Array; record: string }[]): LeafBatch {
    const b = new LeafBatchBuilder(leaves.length);
    for (const leaf of leaves) b.add(leaf.record, leaf.leafHash);
    return b.build();
  }

  /** The batches one after the other. */
  static concat(parts: readonly LeafBatch[]): LeafBatch {
    if (parts.length === 1) return parts[0] as LeafBatch;
    let count = 0;
    for (const p of parts) count += p.count;
    const ends = new Float64Array(count);
    let at = 0;
    let shift = 0;
    for (const p of parts) {
      for (let i = 0; i < p.count; i++) ends[at + i] = (p.ends[i] as number) + shift;
      at += p.count;
      shift += p.records.length;
    }
    let size = 0;
    for (const p of parts) size += p.records.length;
    const records = borrow(size);
    const hashes = borrow(count * HASH_SIZE);
    let r = 0;
    let h = 0;
    for (const p of parts) {
      r += p.records.copy(records, r);
      h += p.hashes.copy(hashes, h);
    }
    return new LeafBatch(count, hashes.subarray(0, h), records.subarray(0, r), ends, [records, hashes]);
  }

  /** Where record i begins in `records`. */
  start(i: number): number {
    return i === 0 ? 1 : (this.ends[i - 1] as number) + 1;
  }

  hash(i: number): Buffer {
    return this.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  record(i: number): string {
    return this.records.toString('utf8', this.start(i), this.ends[i]);
  }

  /** Records [from, to) joined by newlines, as UTF-8 (a slice, not a copy). */
  joined(from: number, to: number): Buffer {
    return this.records.subarray(this.start(from), this.ends[to - 1]);
  }
}

/**
 * Builds a LeafBatch record by record, hashing each as it is written: the separator byte before a record is
 * 0x00 while the record is hashed (so the hash input, 0x00 || record, needs no copy) and "\n" afterwards.
 */
export class LeafBatchBuilder {
  #count = 0;
  #records: Buffer;
  #at = 0;
  #hashes: Buffer;
  #ends: Float64Array;

  /** `expected`: the number of leaves to come, as a first guess (the builder grows). */
  constructor(expected: number) {
    this.#records = borrow(expected * 512);
    this.#hashes = borrow(expected * HASH_SIZE);
    this.#ends = new Float64Array(expected);
  }

  /**
   * Adds a record: its canonical text (well-formed UTF-16 without a newline, as canonical JSON is) and, if the
   * caller has it already, its leaf hash; otherwise the leaf hash is computed here.
   */
  add(text: string, leafHash?: Uint8Array): void {
    if (text.length === 0 || text.includes('\n'))
      throw new RangeError('a leaf record is empty or holds a newline');
    const most = 1 + 3 * text.length;
    if (this.#at + most > this.#records.length) {
      const grown = borrow(Math.max(2 * this.#records.length, this.#at + most));
      this.#records.copy(grown, 0, 0, this.#at);
      giveBack(this.#records);
      this.#records = grown;
    }
    if (this.#count === this.#ends.length) {
      const n = Math.max(16, 2 * this.#count);
      const ends = new Float64Array(n);
      ends.set(this.#ends);
      this.#ends = ends;
    }
    if ((this.#count + 1) * HASH_SIZE > this.#hashes.length) {
      const hashes = borrow(2 * this.#hashes.length + HASH_SIZE);
      this.#hashes.copy(hashes, 0, 0, this.#count * HASH_SIZE);
      giveBack(this.#hashes);
      this.#hashes = hashes;
    }
    const records = this.#records;
    const separator = this.#at;
    records[separator] = 0x00;
    const end = separator + 1 + records.write(text, separator + 1, 'utf8');
    if (leafHash) {
      if (leafHash.length !== HASH_SIZE) throw new RangeError(`a leaf hash has ${HASH_SIZE} bytes`);
      this.#hashes.set(leafHash, this.#count * HASH_SIZE);
    } else {
      // MTH({d}) = SHA-256(0x00 || d)
      sha256Into(records.subarray(separator, end), this.#hashes, this.#count * HASH_SIZE);
    }
    records[separator] = NEWLINE;
    this.#ends[this.#count] = end;
    this.#count++;
    this.#at = end;
  }

  /** The batch; the builder is not to be used afterwards. */
  build(): LeafBatch {
    const n = this.#count;
    return new LeafBatch(
      n,
      this.#hashes.subarray(0, n * HASH_SIZE),
      this.#records.subarray(0, this.#at),
      this.#ends.subarray(0, n),
      [this.#records, this.#hashes],
    );
  }

  /** Gives the builder's buffers back when no batch is built (a record was refused). */
  abandon(): void {
    giveBack(this.#records);
    giveBack(this.#hashes);
  }
}
