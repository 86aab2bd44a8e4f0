import type { Statement } from 'better-sqlite3';
import { migrate, type SqliteDatabase } from '@parley/store';
import type { NodeId } from '../compact/range.js';
import { IntegrityError } from '../errors.js';
import { LEDGER_MIGRATIONS } from './migrations.js';
import {
  ConcurrentAppendError,
  type AppendBatch,
  type LogStorage,
  type StoredCheckpoint,
  type StoredLeaf,
} from './storage.js';

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
}

/** SQLite storage: prepared statements, one transaction per batch (the WAL is synced once per commit). */
export class SqliteLogStorage implements LogStorage {
  readonly kind = 'sqlite';
  readonly db: SqliteDatabase;
  #s?: {
    latest: Statement;
    at: Statement;
    leafHash: Statement;
    node: Statement;
    leaf: Statement;
    byHash: Statement;
    insertLeaf: Statement;
    insertNode: Statement;
    insertCheckpoint: Statement;
    size: Statement;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async init(): Promise<void> {
    await migrate(this.db, LEDGER_MIGRATIONS);
    const d = this.db.sqlite;
    this.#s = {
      latest: d.prepare('SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1'),
      at: d.prepare('SELECT size, root, note FROM ledger_checkpoints WHERE size = ?'),
      leafHash: d.prepare('SELECT leaf_hash FROM ledger_leaves WHERE idx = ?').pluck(),
      node: d.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck(),
      leaf: d.prepare(
        'SELECT idx AS "index", leaf_hash AS leafHash, record FROM ledger_leaves WHERE idx = ?',
      ),
      byHash: d.prepare('SELECT idx FROM ledger_leaves WHERE leaf_hash = ? ORDER BY idx LIMIT 1').pluck(),
      insertLeaf: d.prepare('INSERT INTO ledger_leaves (idx, leaf_hash, record) VALUES (?, ?, ?)'),
      insertNode: d.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      insertCheckpoint: d.prepare(
        'INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)',
      ),
      size: d.prepare('SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves').pluck(),
    };
  }

  get #stmts() {
    if (!this.#s) throw new Error('SqliteLogStorage.init() was not called');
    return this.#s;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#stmts.latest.get() as CheckpointRow | undefined;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return this.#stmts.at.get(size) as CheckpointRow | undefined;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    const s = this.#stmts;
    return ids.map(({ level, index }) => {
      const hash = (level === 0 ? s.leafHash.get(index) : s.node.get(level, index)) as Buffer | undefined;
      if (!hash)
        throw new IntegrityError(`node(${level},${index})`, 'is missing from storage', 'missing-node');
      return hash;
    });
  }

  async getLeaf(index: number): Promise<StoredLeaf | undefined> {
    return this.#stmts.leaf.get(index) as StoredLeaf | undefined;
  }

  async findLeafIndex(leafHash: Buffer): Promise<number | undefined> {
    return this.#stmts.byHash.get(leafHash) as number | undefined;
  }

  #append = (batch: AppendBatch): void => {
    const s = this.#stmts;
    const size = s.size.get() as number;
    if (size !== batch.startIndex) throw new ConcurrentAppendError(batch.startIndex, size);
    for (const leaf of batch.leaves) s.insertLeaf.run(leaf.index, leaf.leafHash, leaf.record);
    for (const node of batch.nodes) s.insertNode.run(node.level, node.index, node.hash);
    const c = batch.checkpoint;
    s.insertCheckpoint.run(c.size, c.root, c.note, new Date().toISOString());
  };

  async appendBatch(batch: AppendBatch): Promise<void> {
    this.db.sqlite.transaction(this.#append).immediate(batch);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
