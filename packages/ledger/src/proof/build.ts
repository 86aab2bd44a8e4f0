import { nodeHash, splitPoint } from '../rfc6962.js';
import { perfectSubtrees, type NodeId } from '../compact/range.js';

/** A contiguous run of leaves [begin, end) whose Merkle root is one element of a proof. */
export interface LeafRange {
  begin: number;
  end: number;
}

/** RFC 6962 section 2.1.1 PATH(m, D[n]): the subtrees whose roots form the inclusion proof, bottom-up. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  const out: LeafRange[] = [];
  const path = (m: number, begin: number, end: number): void => {
    const n = end - begin;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, begin, begin + k);
      out.push({ begin: begin + k, end });
    } else {
      path(m - k, begin + k, end);
      out.push({ begin, end: begin + k });
    }
  };
  path(index, 0, size);
  return out;
}

/** RFC 6962 section 2.1.2 PROOF(m, D[n]) via SUBPROOF(m, D[n], true). */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  const out: LeafRange[] = [];
  const subproof = (m: number, begin: number, end: number, complete: boolean): void => {
    const n = end - begin;
    if (m === n) {
      if (!complete) out.push({ begin, end });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, begin, begin + k, complete);
      out.push({ begin: begin + k, end });
    } else {
      subproof(m - k, begin + k, end, false);
      out.push({ begin, end: begin + k });
    }
  };
  if (size1 > 0 && size1 < size2) subproof(size1, 0, size2, true);
  return out;
}

/**
 * The stored nodes a list of ranges needs, and how to fold them into the proof: a range that is a perfect
 * subtree is one stored node; the right border of a tree is not, and its root is folded from the perfect
 * subtrees that cover it (at most log2(n) reads, never a rehash of leaves).
 */
export function nodesFor(ranges: readonly LeafRange[]): {
  ids: NodeId[];
  fold: (hashes: Buffer[]) => Buffer[];
} {
  const parts = ranges.map((r) => perfectSubtrees(r.begin, r.end));
  const ids = parts.flat();
  const fold = (hashes: Buffer[]): Buffer[] => {
    let at = 0;
    return parts.map((p) => {
      const hs = hashes.slice(at, at + p.length);
      at += p.length;
      let h = hs[hs.length - 1] as Buffer;
      for (let i = hs.length - 2; i >= 0; i--) h = nodeHash(hs[i] as Buffer, h);
      return h;
    });
  };
  return { ids, fold };
}
