import { MerkleProofError } from '../errors.js';
import { HASH_SIZE, nodeHash } from '../rfc6962.js';

/*
 * Proof verification exactly as RFC 9162 section 2.1.3.2 and 2.1.4.2 write it, with one addition of
 * transparency-dev/merkle's: a consistency proof between equal sizes is empty and the roots are equal.
 * Sizes are JavaScript numbers (exact to 2^53), so bit operations are written as arithmetic.
 */

const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

function checkSize(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new MerkleProofError(field, 'expected a whole number >= 0', 'size');
}

function checkHash(hash: Uint8Array, field: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new MerkleProofError(field, `expected a ${HASH_SIZE}-byte hash`, 'hash');
  }
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** The root an inclusion proof leads to (RFC 9162 2.1.3.2 steps 1 to 5, without the final comparison). */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  checkSize(index, 'index');
  checkSize(size, 'treeSize');
  checkHash(leaf, 'leafHash');
  proof.forEach((p, i) => checkHash(p, `proof[${i}]`));
  if (index >= size) throw new MerkleProofError('index', `is not below the tree size ${size}`, 'range');
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw new MerkleProofError('proof', 'is longer than the path to the root', 'length');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new MerkleProofError('proof', 'is shorter than the path to the root', 'length');
  return r;
}

/** RFC 9162 2.1.3.2: does `leaf` sit at `index` of the tree of `size` leaves whose root is `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  if (!equal(rootFromInclusionProof(index, size, leaf, proof), root)) {
    throw new MerkleProofError(
      'proof',
      `does not lead from leaf ${index} to the root of size ${size}`,
      'mismatch',
    );
  }
}

/** RFC 9162 2.1.4.2: is the tree of `size2` leaves (root2) an append-only extension of that of `size1` (root1)? */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 === 0)
    throw new MerkleProofError('size1', 'is 0: every tree extends the empty tree, nothing to prove', 'size');
  if (size2 < size1) throw new MerkleProofError('size2', `is smaller than size1 ${size1}`, 'size');
  if (size1 === size2) {
    // As transparency-dev/merkle: equal sizes need no proof, only the same root.
    if (proof.length !== 0)
      throw new MerkleProofError('proof', 'must be empty between equal sizes', 'length');
    if (!equal(root1, root2))
      throw new MerkleProofError('root2', 'differs from root1 at the same size (fork)', 'fork');
    return;
  }
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');
  proof.forEach((p, i) => checkHash(p, `proof[${i}]`));
  // 1. An empty proof fails.
  if (proof.length === 0) throw new MerkleProofError('proof', 'is empty', 'length');
  // 2. If first_size is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  // 6.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new MerkleProofError('proof', 'is longer than needed', 'length');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  if (sn !== 0) throw new MerkleProofError('proof', 'is shorter than needed', 'length');
  if (!equal(fr, root1))
    throw new MerkleProofError('root1', 'is not the root the proof leads to for size1', 'mismatch');
  if (!equal(sr, root2))
    throw new MerkleProofError('root2', 'is not the root the proof leads to for size2', 'mismatch');
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}
