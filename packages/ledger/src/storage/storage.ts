import type { NodeId, StoredNode } from '../compact/range.js';
import type { LeafBatch } from './leaf-batch.js';

export { LeafBatch, LeafBatchBuilder } from './leaf-batch.js';

export interface StoredLeaf {
  index: number;
  leafHash: Buffer;
  /** The canonical (RFC 8785) JSON text of the audit record. */
  record: string;
}

export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  /** The signed note, exactly as served. */
  note: string;
}

/**
 * One append: leaves from `startIndex` on (leaf startIndex + i is `leaves` entry i), the internal nodes they
 * complete, and the checkpoint of the result.
 */
export interface AppendBatch {
  startIndex: number;
  leaves: LeafBatch;
  nodes: StoredNode[];
  checkpoint: StoredCheckpoint;
}

/**
 * Where a log keeps its tree. `appendBatch` writes leaves, nodes and checkpoint in one transaction, and
 * refuses a batch that does not start at the current size (another writer got there first), so the stored
 * tree and its latest checkpoint always agree, whatever kills the process.
 */
export interface LogStorage {
  readonly kind: 'sqlite' | 'postgres';
  init(): Promise<void>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined>;
  /** Hashes of nodes; level 0 are leaf hashes. Throws if one is missing. */
  getNodes(ids: readonly NodeId[]): Promise<Buffer[]>;
  getLeaf(index: number): Promise<StoredLeaf | undefined>;
  findLeafIndex(leafHash: Buffer): Promise<number | undefined>;
  appendBatch(batch: AppendBatch): Promise<void>;
  close(): Promise<void>;
}

export class ConcurrentAppendError extends Error {
  constructor(expected: number, actual: number) {
    super(`the log grew under this writer: batch starts at ${expected}, stored size is ${actual}`);
  }
}
