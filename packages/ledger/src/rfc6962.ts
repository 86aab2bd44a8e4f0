import { createHash, hash } from 'node:crypto';

/** RFC 6962 section 2.1 (RFC 9162 section 2.1.1): the tree hashing of Certificate Transparency. */
export const HASH_SIZE = 32;

/** MTH({}) = SHA-256() */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/*
 * One-shot hashing (node >= 20.12) is several times faster than a Hash object per call, and a digest returned
 * as a "binary" (latin1) string is cheaper than one returned as a Buffer (which node 20 allocates outside the
 * pool); Buffer.from(digest, 'latin1') then takes a pooled slice.
 */
const digest = (data: Uint8Array): Buffer => Buffer.from(hash('sha256', data, 'binary'), 'latin1');

/** MTH({d}) = SHA-256(0x00 || d) */
export function leafHash(leaf: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(leaf.length + 1);
  input[0] = 0x00;
  input.set(leaf, 1);
  return digest(input);
}

/** SHA-256 of `data`, written into `out` at `offset` (no Buffer is allocated for the digest). */
export function sha256Into(data: Uint8Array, out: Buffer, offset: number): void {
  out.write(hash('sha256', data, 'binary'), offset, HASH_SIZE, 'latin1');
}

const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);

/** SHA-256(0x01 || left || right) */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 1 + HASH_SIZE);
    return digest(NODE_INPUT);
  }
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return digest(input);
}

/** The largest power of two strictly less than n (n > 1): where MTH splits D[n]. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) by the definition, recursively: for tests and tiny trees, not for the log. */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return Buffer.from(leafHashes[0] as Uint8Array);
  const k = splitPoint(leafHashes.length);
  return nodeHash(rootOf(leafHashes.slice(0, k)), rootOf(leafHashes.slice(k)));
}
