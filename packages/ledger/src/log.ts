import { CompactRange, frontierIds, perfectSubtrees, type StoredNode } from './compact/range.js';
import { IntegrityError, MerkleProofError } from './errors.js';
import { consistencyRanges, inclusionRanges, nodesFor } from './proof/build.js';
import { verifyConsistency, verifyInclusion } from './proof/verify.js';
import { auditRecordText } from './records.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './rfc6962.js';
import { LeafBatch, LeafBatchBuilder } from './storage/leaf-batch.js';
import type { LogStorage, StoredCheckpoint } from './storage/storage.js';

/** Signs the checkpoint of a tree: returns the signed note (C2SP tlog-checkpoint) to publish. */
export interface CheckpointSigner {
  readonly origin: string;
  sign(size: number, root: Buffer): string;
}

export interface AppendResult {
  /** Index of the first record of this call; the others follow in order. */
  firstIndex: number;
  count: number;
  /** The checkpoint that covers them (it may cover other callers' records too: appends are grouped). */
  checkpoint: StoredCheckpoint;
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: Buffer;
  proof: Buffer[];
}

export interface Receipt {
  record: unknown;
  index: number;
  proof: string[];
  checkpoint: string;
}

interface Pending {
  /** The records' canonical texts and leaf hashes. */
  leaves: LeafBatch;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** MTH of a tree from the roots of the perfect subtrees that cover it, left to right (perfectSubtrees(0, n)). */
function foldRoot(hashes: readonly Buffer[]): Buffer {
  let h = hashes[hashes.length - 1] as Buffer;
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i] as Buffer, h);
  return h;
}

/**
 * An append-only RFC 6962 log over a LogStorage. Appends from concurrent callers are grouped: whatever is
 * waiting when the previous commit ends goes in the next batch (one transaction, one checkpoint). A caller's
 * promise resolves only after its batch is committed, so an acknowledged record survives a crash.
 */
export class MerkleLog {
  readonly storage: LogStorage;
  readonly signer: CheckpointSigner;
  #range: CompactRange;
  #checkpoint: StoredCheckpoint;
  #pending: Pending[] = [];
  #flushing = false;
  /** Largest number of leaves committed in one batch (a bound on memory; the rest waits for the next). */
  readonly maxBatch: number;

  private constructor(
    storage: LogStorage,
    signer: CheckpointSigner,
    range: CompactRange,
    checkpoint: StoredCheckpoint,
    maxBatch: number,
  ) {
    this.storage = storage;
    this.signer = signer;
    this.#range = range;
    this.#checkpoint = checkpoint;
    this.maxBatch = maxBatch;
  }

  /**
   * Opens the log: rebuilds the compact range from the stored frontier and checks that it reproduces the last
   * checkpoint (IntegrityError otherwise). A new log gets its size-0 checkpoint.
   */
  static async open(
    storage: LogStorage,
    signer: CheckpointSigner,
    options: { maxBatch?: number } = {},
  ): Promise<MerkleLog> {
    const maxBatch = options.maxBatch ?? 50_000;
    let checkpoint = await storage.latestCheckpoint();
    if (!checkpoint) {
      checkpoint = { size: 0, root: EMPTY_ROOT, note: signer.sign(0, EMPTY_ROOT) };
      await storage.appendBatch({ startIndex: 0, leaves: LeafBatch.EMPTY, nodes: [], checkpoint });
      return new MerkleLog(storage, signer, new CompactRange(), checkpoint, maxBatch);
    }
    const ids = frontierIds(checkpoint.size);
    const hashes = await storage.getNodes(ids);
    const range = new CompactRange(
      checkpoint.size,
      ids.map((id, i) => ({ ...id, hash: hashes[i] as Buffer })),
    );
    if (!range.root().equals(checkpoint.root)) {
      throw new IntegrityError(
        'storage',
        `the stored tree does not reproduce the checkpoint of size ${checkpoint.size}`,
        'root',
      );
    }
    return new MerkleLog(storage, signer, range, checkpoint, maxBatch);
  }

  get size(): number {
    return this.#checkpoint.size;
  }

  /** The latest signed checkpoint (note text). */
  get checkpoint(): StoredCheckpoint {
    return this.#checkpoint;
  }

  /**
   * Appends audit records. All are checked first: one bad record refuses the whole call, and nothing is written.
   */
  append(records: readonly unknown[]): Promise<AppendResult> {
    const builder = new LeafBatchBuilder(records.length);
    let leaves: LeafBatch;
    try {
      for (let i = 0; i < records.length; i++) builder.add(auditRecordText(records[i], 'records', i));
      leaves = builder.build();
    } catch (error) {
      builder.abandon();
      return Promise.reject(error);
    }
    if (leaves.count === 0) {
      leaves.release();
      return Promise.resolve({ firstIndex: this.size, count: 0, checkpoint: this.#checkpoint });
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ leaves, resolve, reject });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const group: Pending[] = [];
        let count = 0;
        while (
          this.#pending.length > 0 &&
          (group.length === 0 || count + (this.#pending[0] as Pending).leaves.count <= this.maxBatch)
        ) {
          const next = this.#pending.shift() as Pending;
          group.push(next);
          count += next.leaves.count;
        }
        await this.#commit(group);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(group: Pending[]): Promise<void> {
    const range = this.#range.clone();
    const startIndex = range.size;
    const nodes: StoredNode[] = [];
    const firstIndexes: number[] = [];
    let leaves: LeafBatch | undefined;
    let checkpoint: StoredCheckpoint;
    // Anything that fails from here on (hashing, signing, storing) refuses every caller of the batch.
    try {
      leaves = LeafBatch.concat(group.map((p) => p.leaves));
      let next = startIndex;
      for (const p of group) {
        firstIndexes.push(next);
        next += p.leaves.count;
      }
      const emit = (node: StoredNode) => nodes.push(node);
      for (let i = 0; i < leaves.count; i++) range.append(leaves.hash(i), emit);
      const root = range.root();
      checkpoint = { size: range.size, root, note: this.signer.sign(range.size, root) };
      await this.storage.appendBatch({ startIndex, leaves, nodes, checkpoint });
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    } finally {
      // The stored batch (or the refused one) is no longer read: its buffers serve the next batches.
      leaves?.release();
      if (group.length > 1) for (const p of group) p.leaves.release();
    }
    this.#range = range;
    this.#checkpoint = checkpoint;
    group.forEach((p, i) =>
      p.resolve({ firstIndex: firstIndexes[i] as number, count: p.leaves.count, checkpoint }),
    );
  }

  #checkSize(size: number, field: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new MerkleProofError(field, `expected a tree size from 0 to ${this.size}`, 'size');
    }
  }

  /** The root of the tree at `size`: the signed one when a checkpoint exists there, else folded from stored nodes. */
  async rootAt(size: number): Promise<{ root: Buffer; signed: boolean }> {
    this.#checkSize(size, 'treeSize');
    const signed = await this.#signedRoot(size);
    if (signed) return { root: signed, signed: true };
    if (size === 0) return { root: EMPTY_ROOT, signed: false };
    return { root: foldRoot(await this.storage.getNodes(perfectSubtrees(0, size))), signed: false };
  }

  /** The signed root at `size` (the latest checkpoint's, or a stored checkpoint's), if there is one. */
  async #signedRoot(size: number): Promise<Buffer | undefined> {
    if (size === this.size) return this.#checkpoint.root;
    return (await this.storage.checkpointAt(size))?.root;
  }

  /**
   * An inclusion proof built from stored nodes and checked against the root at that size before it is
   * returned: a tampered node is reported here (IntegrityError), not served.
   */
  async inclusionProof(index: number, treeSize = this.size): Promise<InclusionProof> {
    this.#checkSize(treeSize, 'treeSize');
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
      throw new MerkleProofError('index', `expected a leaf index below the tree size ${treeSize}`, 'range');
    }
    const { ids, fold } = nodesFor(inclusionRanges(index, treeSize));
    // One read for the leaf, the proof and (when no checkpoint signs this size) the nodes of the root.
    const signed = await this.#signedRoot(treeSize);
    const rootIds = signed ? [] : perfectSubtrees(0, treeSize);
    const [leaf, ...hashes] = await this.storage.getNodes([{ level: 0, index }, ...ids, ...rootIds]);
    const proof = fold(hashes.slice(0, ids.length));
    const root = signed ?? foldRoot(hashes.slice(ids.length));
    try {
      verifyInclusion(index, treeSize, leaf as Buffer, proof, root);
    } catch {
      throw new IntegrityError(
        'storage',
        `the stored nodes give no valid proof for leaf ${index} at size ${treeSize}`,
        'proof',
      );
    }
    return { index, treeSize, leafHash: leaf as Buffer, proof };
  }

  async inclusionProofByHash(hash: Buffer, treeSize = this.size): Promise<InclusionProof> {
    const index = await this.storage.findLeafIndex(hash);
    if (index === undefined || index >= treeSize) {
      throw new MerkleProofError(
        'hash',
        `no leaf with this hash in the tree of size ${treeSize}`,
        'not-found',
      );
    }
    return this.inclusionProof(index, treeSize);
  }

  /** A consistency proof between two sizes, checked against both roots before it is returned. */
  async consistencyProof(size1: number, size2 = this.size): Promise<Buffer[]> {
    this.#checkSize(size1, 'size1');
    this.#checkSize(size2, 'size2');
    if (size1 > size2) throw new MerkleProofError('size1', `is larger than size2 ${size2}`, 'size');
    if (size1 === 0 || size1 === size2) return [];
    const { ids, fold } = nodesFor(consistencyRanges(size1, size2));
    // One read for the proof and the nodes of either root no checkpoint signs (they share most tiles).
    const [signed1, signed2] = await Promise.all([this.#signedRoot(size1), this.#signedRoot(size2)]);
    const ids1 = signed1 ? [] : perfectSubtrees(0, size1);
    const ids2 = signed2 ? [] : perfectSubtrees(0, size2);
    const hashes = await this.storage.getNodes([...ids, ...ids1, ...ids2]);
    const proof = fold(hashes.slice(0, ids.length));
    const root1 = signed1 ?? foldRoot(hashes.slice(ids.length, ids.length + ids1.length));
    const root2 = signed2 ?? foldRoot(hashes.slice(ids.length + ids1.length));
    try {
      verifyConsistency(size1, size2, proof, root1, root2);
    } catch {
      throw new IntegrityError(
        'storage',
        `the stored nodes give no valid consistency proof from ${size1} to ${size2}`,
        'proof',
      );
    }
    return proof;
  }

  /** A stored leaf, after checking that its record still hashes to its leaf hash. */
  async leaf(index: number): Promise<{ index: number; leafHash: Buffer; record: unknown }> {
    this.#checkSize(index + 1, 'index');
    const stored = await this.storage.getLeaf(index);
    if (!stored) throw new IntegrityError(`leaf(${index})`, 'is missing from storage', 'missing-leaf');
    if (!leafHash(Buffer.from(stored.record, 'utf8')).equals(stored.leafHash)) {
      throw new IntegrityError(`leaf(${index})`, 'its record does not hash to its stored leaf hash', 'leaf');
    }
    return { index, leafHash: stored.leafHash, record: JSON.parse(stored.record) as unknown };
  }

  /** A self-contained receipt for a leaf: its record, the inclusion proof and the checkpoint it is proved against. */
  async receipt(index: number): Promise<Receipt> {
    const checkpoint = this.#checkpoint;
    const [{ record }, proof] = await Promise.all([
      this.leaf(index),
      this.inclusionProof(index, checkpoint.size),
    ]);
    return {
      record,
      index,
      proof: proof.proof.map((p) => p.toString('base64')),
      checkpoint: checkpoint.note,
    };
  }

  async close(): Promise<void> {
    while (this.#flushing || this.#pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.storage.close();
  }
}
