import { createHash, hash } from 'node:crypto';

/** RFC 6962 section 2.1 (RFC 9162 section 2.1.1): the tree hashing of Certificate Transparency. */
export const HASH_SIZE = 32;

/** MTH({}) = SHA-256() */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// One-shot hashing (node >= 20.12) is several times faster than a Hash object per call.
const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/** MTH({d}) = SHA-256(0x00 || d) */
export function leafHash(leaf: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(leaf.length + 1);
  input[0] = 0x00;
  input.set(leaf, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right) */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
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
