import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MerkleLog } from './log.js';
import { storageFactories, plainSigner, tamperNode, tamperRecord } from './testing/storages.js';
import { leafHash, rootOf } from './rfc6962.js';
import { verifyConsistency, verifyInclusion } from './proof/verify.js';
import { IntegrityError, RecordError } from './errors.js';
import { canonicalize } from '@parley/protocol';

const record = (i: number) => ({
  type: 'sisaEvent',
  eventId: `evt${i}`,
  sisaId: 'miikLPnBL3qQPrNBAGuAqRDyEnclrDiXjJCEb6K8tos',
  createdAt: '2026-11-23T08:04:07.122Z',
  previousId: i === 0 ? null : `evt${i - 1}`,
  rightsHolderDid: 'did:jlinc:779svu-UhSc6pvzWj-NCANHRTL0PcOzu2UtJhF5Hwlk',
});

for (const factory of storageFactories()) {
  test(`${factory.name}: appends in batches; every proof verifies against the signed roots`, async (t) => {
    t.after(() => factory.cleanup());
    const log = await MerkleLog.open(await factory.open(), plainSigner());
    assert.equal(log.size, 0);
    const records = Array.from({ length: 37 }, (_, i) => record(i));
    const sizes = [0];
    for (const [a, b] of [
      [0, 1],
      [1, 8],
      [8, 9],
      [9, 30],
      [30, 37],
    ] as const) {
      const result = await log.append(records.slice(a, b));
      assert.equal(result.firstIndex, a);
      assert.equal(result.checkpoint.size, b);
      sizes.push(b);
    }
    const hashes = records.map((r) => leafHash(Buffer.from(canonicalize(r))));
    assert.ok(log.checkpoint.root.equals(rootOf(hashes)));
    for (const size of [1, 8, 9, 30, 37, 20]) {
      const { root } = await log.rootAt(size);
      assert.ok(root.equals(rootOf(hashes.slice(0, size))), `root at ${size}`);
      for (let i = 0; i < size; i++) {
        const p = await log.inclusionProof(i, size);
        verifyInclusion(i, size, hashes[i] as Buffer, p.proof, root);
      }
      for (const size1 of sizes.filter((s) => s > 0 && s <= size)) {
        verifyConsistency(
          size1,
          size,
          await log.consistencyProof(size1, size),
          rootOf(hashes.slice(0, size1)),
          root,
        );
      }
    }
    const byHash = await log.inclusionProofByHash(hashes[12] as Buffer);
    assert.equal(byHash.index, 12);
    assert.deepEqual((await log.leaf(5)).record, records[5]);
    await log.close();
  });

  test(`${factory.name}: reopening rebuilds the frontier, checks the last checkpoint and continues`, async (t) => {
    t.after(() => factory.cleanup());
    let log = await MerkleLog.open(await factory.open(), plainSigner());
    await log.append(Array.from({ length: 21 }, (_, i) => record(i)));
    const before = log.checkpoint;
    await log.close();
    log = await MerkleLog.open(await factory.reopen(), plainSigner());
    assert.equal(log.size, 21);
    assert.ok(log.checkpoint.root.equals(before.root));
    await log.append([record(21), record(22)]);
    const hashes = Array.from({ length: 23 }, (_, i) => leafHash(Buffer.from(canonicalize(record(i)))));
    assert.ok(log.checkpoint.root.equals(rootOf(hashes)));
    verifyConsistency(21, 23, await log.consistencyProof(21), before.root, log.checkpoint.root);
    await log.close();
  });

  test(`${factory.name}: a batch with one bad record is refused whole and writes nothing`, async (t) => {
    t.after(() => factory.cleanup());
    const log = await MerkleLog.open(await factory.open(), plainSigner());
    await log.append([record(0)]);
    const bad = [record(1), { type: 'profile', name: 'Alice Example', email: 'alice@example.org' }];
    await assert.rejects(
      log.append(bad),
      (e: unknown) => e instanceof RecordError && e.field === 'records[1].name',
    );
    await assert.rejects(log.append([{ type: 'x', note: 'moved to 3 New Street' }]), RecordError);
    await assert.rejects(log.append(['not an object']), RecordError);
    assert.equal(log.size, 1);
    assert.equal((await log.storage.latestCheckpoint())?.size, 1);
    await log.close();
  });

  test(`${factory.name}: when signing the checkpoint fails, every caller of the batch is refused and nothing is stored`, async (t) => {
    t.after(() => factory.cleanup());
    let fail = false;
    const base = plainSigner();
    const signer = {
      origin: base.origin,
      sign: (size: number, root: Buffer) => {
        if (fail) throw new Error('signing key unavailable');
        return base.sign(size, root);
      },
    };
    const log = await MerkleLog.open(await factory.open(), signer);
    await log.append([record(0)]);
    fail = true;
    const results = await Promise.allSettled([log.append([record(1)]), log.append([record(2)])]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(log.size, 1);
    assert.equal((await log.storage.latestCheckpoint())?.size, 1);
    fail = false;
    assert.equal((await log.append([record(1)])).firstIndex, 1);
    await log.close();
  });

  test(`${factory.name}: concurrent appends are grouped into fewer batches, none lost`, async (t) => {
    t.after(() => factory.cleanup());
    const log = await MerkleLog.open(await factory.open(), plainSigner());
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([record(i)])));
    const indexes = results.map((r) => r.firstIndex).sort((a, b) => a - b);
    assert.deepEqual(
      indexes,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(log.size, 50);
    assert.ok(new Set(results.map((r) => r.checkpoint.size)).size < 50, 'appends were grouped');
    await log.close();
  });

  test(`${factory.name}: a tampered node or leaf is detected by the next proof, leaf read or restart`, async (t) => {
    t.after(() => factory.cleanup());
    const log = await MerkleLog.open(await factory.open(), plainSigner());
    await log.append(Array.from({ length: 16 }, (_, i) => record(i)));
    const storage = log.storage;
    // An internal node (level 2, index 1 covers leaves 4..7) is overwritten.
    await tamperNode(storage, 2, 1, Buffer.alloc(32, 7));
    await assert.rejects(log.inclusionProof(0), IntegrityError);
    await assert.rejects(log.consistencyProof(3, 16), IntegrityError);
    // A leaf's record is rewritten (its stored hash kept).
    await tamperRecord(storage, 9, '{"type":"forged"}');
    await assert.rejects(log.leaf(9), IntegrityError);
    // A frontier node of the whole tree (level 4, index 0 is the root of 16 leaves) breaks the restart.
    await tamperNode(storage, 4, 0, Buffer.alloc(32, 1));
    await log.close();
    const reopened = await factory.reopen();
    await assert.rejects(MerkleLog.open(reopened, plainSigner()), IntegrityError);
    await reopened.close();
  });
}
