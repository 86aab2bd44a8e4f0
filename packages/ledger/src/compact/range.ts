import { EMPTY_ROOT, nodeHash } from '../rfc6962.js';

/** A node of the tree: `level` 0 is a leaf hash; node (level, index) covers leaves [index*2^level, (index+1)*2^level). */
export interface NodeId {
  level: number;
  index: number;
}

export interface StoredNode extends NodeId {
  hash: Buffer;
}

/**
 * The compact range [0, size): the roots of the perfect subtrees that cover the leaves so far, largest first
 * (at most log2(size) of them, as transparency-dev/merkle's compact package). Appending a leaf merges equal
 * neighbours; every merge yields an internal node to store. The root is the right-to-left fold of the range.
 */
export class CompactRange {
  #size: number;
  readonly #nodes: StoredNode[];

  constructor(size = 0, nodes: StoredNode[] = []) {
    const expected = frontierIds(size);
    if (
      nodes.length !== expected.length ||
      nodes.some((n, i) => n.level !== expected[i]?.level || n.index !== expected[i]?.index)
    ) {
      throw new RangeError(`a compact range of size ${size} needs the nodes ${JSON.stringify(expected)}`);
    }
    this.#size = size;
    this.#nodes = nodes.map((n) => ({ ...n }));
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash; calls `emit` for every internal node completed (level >= 1). A leaf hash the range
   * keeps is copied: the caller's buffer may be reused once the call returns.
   */
  append(leafHash: Uint8Array, emit: (node: StoredNode) => void): void {
    const nodes = this.#nodes;
    let last = nodes[nodes.length - 1];
    const index = this.#size;
    this.#size += 1;
    if (!last || last.level !== 0) {
      nodes.push({ level: 0, index, hash: Buffer.from(leafHash) });
      return;
    }
    // Merge equal neighbours; the emitted node is also the one kept.
    let node: StoredNode = { level: 1, index: last.index / 2, hash: nodeHash(last.hash, leafHash) };
    nodes.pop();
    emit(node);
    for (last = nodes[nodes.length - 1]; last && last.level === node.level; last = nodes[nodes.length - 1]) {
      nodes.pop();
      node = { level: node.level + 1, index: last.index / 2, hash: nodeHash(last.hash, node.hash) };
      emit(node);
    }
    nodes.push(node);
  }

  root(): Buffer {
    if (this.#nodes.length === 0) return EMPTY_ROOT;
    let hash = (this.#nodes[this.#nodes.length - 1] as StoredNode).hash;
    for (let i = this.#nodes.length - 2; i >= 0; i--)
      hash = nodeHash((this.#nodes[i] as StoredNode).hash, hash);
    return hash;
  }

  clone(): CompactRange {
    return new CompactRange(this.#size, this.#nodes);
  }
}

/** The perfect subtrees that cover [begin, end), left to right, for a `begin` aligned as in a Merkle tree path. */
export function perfectSubtrees(begin: number, end: number): NodeId[] {
  const ids: NodeId[] = [];
  let at = begin;
  while (at < end) {
    // The largest aligned power of two that starts at `at` and fits before `end`.
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end) size *= 2;
    const level = Math.log2(size);
    ids.push({ level, index: at / size });
    at += size;
  }
  return ids;
}

/** The nodes of the compact range of a tree of `size` leaves. */
export function frontierIds(size: number): NodeId[] {
  return perfectSubtrees(0, size);
}
