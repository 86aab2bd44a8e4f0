import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafHash, rootOf } from '../rfc6962.js';
import { CompactRange, frontierIds, perfectSubtrees, type StoredNode } from './range.js';
import { consistencyRanges, inclusionRanges, nodesFor } from '../proof/build.js';
import { verifyConsistency, verifyInclusion } from '../proof/verify.js';

function tree(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const stored = new Map<string, Buffer>();
  leaves.forEach((h, i) => stored.set(`0/${i}`, h));
  const range = new CompactRange();
  const roots: Buffer[] = [range.root()];
  for (const h of leaves) {
    range.append(h, (node: StoredNode) => stored.set(`${node.level}/${node.index}`, node.hash));
    roots.push(range.root());
  }
  return { leaves, stored, roots, range };
}

test('the compact range gives the RFC 6962 root at every size, and stores every perfect subtree', () => {
  const { leaves, stored, roots } = tree(70);
  for (let n = 0; n <= 70; n++) assert.ok(roots[n]?.equals(rootOf(leaves.slice(0, n))), `size ${n}`);
  // 70 leaves: 70 level-0 entries + 35 + 17 + 8 + 4 + 2 + 1 internal nodes.
  assert.equal(stored.size, 70 + 35 + 17 + 8 + 4 + 2 + 1);
});

test('a compact range rebuilt from stored frontier nodes continues identically', () => {
  const { leaves, stored } = tree(45);
  const nodes = frontierIds(45).map((id) => ({
    ...id,
    hash: stored.get(`${id.level}/${id.index}`) as Buffer,
  }));
  const resumed = new CompactRange(45, nodes);
  const extra = leafHash(Buffer.from('leaf 45'));
  resumed.append(extra, () => undefined);
  assert.ok(resumed.root().equals(rootOf([...leaves, extra])));
  assert.throws(() => new CompactRange(45, nodes.slice(1)), RangeError);
});

test('proofs built from stored nodes verify for every index and size pair up to 40 leaves', () => {
  const { stored, roots } = tree(40);
  const fetch = (ids: { level: number; index: number }[]) =>
    ids.map((id) => stored.get(`${id.level}/${id.index}`) as Buffer);
  for (let size = 1; size <= 40; size++) {
    for (let index = 0; index < size; index++) {
      const { ids, fold } = nodesFor(inclusionRanges(index, size));
      verifyInclusion(
        index,
        size,
        stored.get(`0/${index}`) as Buffer,
        fold(fetch(ids)),
        roots[size] as Buffer,
      );
    }
    for (let size1 = 1; size1 <= size; size1++) {
      const { ids, fold } = nodesFor(consistencyRanges(size1, size));
      verifyConsistency(size1, size, fold(fetch(ids)), roots[size1] as Buffer, roots[size] as Buffer);
    }
  }
});

test('perfect subtrees of a range are aligned and cover it exactly', () => {
  assert.deepEqual(perfectSubtrees(0, 7), [
    { level: 2, index: 0 },
    { level: 1, index: 2 },
    { level: 0, index: 6 },
  ]);
  assert.deepEqual(perfectSubtrees(8, 13), [
    { level: 2, index: 2 },
    { level: 0, index: 12 },
  ]);
});

test('the range keeps its own copy of a leaf hash: the caller may reuse its buffer', () => {
  const buffer = Buffer.alloc(32);
  const hashes = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b')), leafHash(Buffer.from('c'))];
  const range = new CompactRange();
  for (const h of hashes) {
    h.copy(buffer);
    range.append(buffer, () => undefined);
    buffer.fill(0xee);
  }
  assert.ok(range.root().equals(rootOf(hashes)));
});
