import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '@parley/protocol';
import { MerkleLog } from '../log.js';
import { verifyConsistency, verifyInclusion } from '../proof/verify.js';
import { leafHash, rootOf } from '../rfc6962.js';
import { plainSigner, storageFactories } from '../testing/storages.js';

const record = (i: number) => ({ type: 'tileTest', seq: i, sisaId: `s${i.toString(36)}` });
const hashOf = (i: number) => leafHash(Buffer.from(canonicalize(record(i))));

for (const factory of storageFactories()) {
  test(`${factory.name}: a log past 2^16 leaves (three tile levels, two index epochs) finds, reads and proves every kind of leaf`, async (t) => {
    t.after(() => factory.cleanup());
    let log = await MerkleLog.open(await factory.open(), plainSigner(), { maxBatch: 20_000 });
    const size = 70_000;
    const checkpoints = [0];
    for (let at = 0; at < size;) {
      const n = Math.min(size - at, at === 0 ? 1 : 13_331);
      await log.append(Array.from({ length: n }, (_, i) => record(at + i)));
      at += n;
      checkpoints.push(at);
    }
    // The same record again: lookups by hash give its first index.
    await log.append([record(5)]);
    assert.equal(log.size, size + 1);

    for (const i of [0, 1, 255, 256, 65_535, 65_536, 69_999]) {
      assert.equal(await log.storage.findLeafIndex(hashOf(i)), i, `leaf ${i} by hash`);
      const leaf = await log.leaf(i);
      assert.deepEqual(leaf.record, record(i));
      assert.ok(leaf.leafHash.equals(hashOf(i)));
      const p = await log.inclusionProof(i);
      verifyInclusion(i, log.size, hashOf(i), p.proof, log.checkpoint.root);
    }
    assert.equal(await log.storage.findLeafIndex(hashOf(5)), 5);
    assert.equal(await log.storage.findLeafIndex(hashOf(size + 5)), undefined);
    assert.equal((await log.inclusionProofByHash(hashOf(65_537))).index, 65_537);

    for (const [a, b] of [
      [1, 70_001],
      [65_535, 65_537],
      [checkpoints[2] as number, checkpoints[5] as number],
      [300, 69_999],
    ] as const) {
      const [ra, rb] = [(await log.rootAt(a)).root, (await log.rootAt(b)).root];
      verifyConsistency(a, b, await log.consistencyProof(a, b), ra, rb);
      const p = await log.inclusionProof(a - 1, b);
      verifyInclusion(a - 1, b, hashOf(a - 1), p.proof, rb);
    }

    const root = log.checkpoint.root;
    await log.close();
    log = await MerkleLog.open(await factory.reopen(), plainSigner());
    assert.ok(log.checkpoint.root.equals(root));
    await log.append([record(size + 1)]);
    assert.equal(await log.storage.findLeafIndex(hashOf(size + 1)), size + 1);
    await log.close();
  });
}

for (const factory of storageFactories()) {
  test(`${factory.name}: one record at a time, the tree stays right while batch buffers are reused`, async (t) => {
    t.after(() => factory.cleanup());
    const log = await MerkleLog.open(await factory.open(), plainSigner());
    const hashes: Buffer[] = [];
    for (let i = 0; i < 11; i++) {
      await log.append([record(i)]);
      hashes.push(hashOf(i));
      assert.ok(log.checkpoint.root.equals(rootOf(hashes)), `size ${i + 1}`);
    }
    await log.close();
  });
}
