import { migrate, type PostgresDatabase } from '@parley/store';
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

/** PostgreSQL storage: a batch is three array inserts (unnest) in one transaction. */
export class PostgresLogStorage implements LogStorage {
  readonly kind = 'postgres';
  readonly db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.db = db;
  }

  async init(): Promise<void> {
    await migrate(this.db, LEDGER_MIGRATIONS);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const r = await this.db.pool.query(
      'SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1',
    );
    return r.rows[0] as StoredCheckpoint | undefined;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const r = await this.db.pool.query('SELECT size, root, note FROM ledger_checkpoints WHERE size = $1', [
      size,
    ]);
    return r.rows[0] as StoredCheckpoint | undefined;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const levels = ids.map((id) => id.level);
    const indexes = ids.map((id) => id.index);
    const r = await this.db.pool.query<{ ord: number; hash: Buffer | null }>(
      `SELECT q.ord, COALESCE(n.hash, l.leaf_hash) AS hash
         FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS q(level, idx, ord)
         LEFT JOIN ledger_nodes n ON q.level > 0 AND n.level = q.level AND n.idx = q.idx
         LEFT JOIN ledger_leaves l ON q.level = 0 AND l.idx = q.idx
        ORDER BY q.ord`,
      [levels, indexes],
    );
    return r.rows.map((row, i) => {
      if (!row.hash) {
        const id = ids[i] as NodeId;
        throw new IntegrityError(`node(${id.level},${id.index})`, 'is missing from storage', 'missing-node');
      }
      return row.hash;
    });
  }

  async getLeaf(index: number): Promise<StoredLeaf | undefined> {
    const r = await this.db.pool.query(
      'SELECT idx AS "index", leaf_hash AS "leafHash", record FROM ledger_leaves WHERE idx = $1',
      [index],
    );
    return r.rows[0] as StoredLeaf | undefined;
  }

  async findLeafIndex(leafHash: Buffer): Promise<number | undefined> {
    const r = await this.db.pool.query(
      'SELECT idx FROM ledger_leaves WHERE leaf_hash = $1 ORDER BY idx LIMIT 1',
      [leafHash],
    );
    return (r.rows[0] as { idx: number } | undefined)?.idx;
  }

  async appendBatch(batch: AppendBatch): Promise<void> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        // Serialise writers: the batch must start where the stored tree ends.
        await client.query('LOCK TABLE ledger_checkpoints IN EXCLUSIVE MODE');
        const size = Number(
          (await client.query('SELECT COALESCE(MAX(size), 0) AS size FROM ledger_checkpoints')).rows[0].size,
        );
        if (size !== batch.startIndex) throw new ConcurrentAppendError(batch.startIndex, size);
        await client.query(
          'INSERT INTO ledger_leaves (idx, leaf_hash, record) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[])',
          [
            batch.leaves.map((l) => l.index),
            batch.leaves.map((l) => l.leafHash),
            batch.leaves.map((l) => l.record),
          ],
        );
        if (batch.nodes.length > 0) {
          await client.query(
            'INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
            [
              batch.nodes.map((n) => n.level),
              batch.nodes.map((n) => n.index),
              batch.nodes.map((n) => n.hash),
            ],
          );
        }
        const c = batch.checkpoint;
        await client.query(
          'INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, now())',
          [c.size, c.root, c.note],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
