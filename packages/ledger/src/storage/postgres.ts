import type pg from 'pg';
import { migrate, type PostgresDatabase } from '@parley/store';
import type { NodeId } from '../compact/range.js';
import { HASH_SIZE } from '../rfc6962.js';
import { LEDGER_MIGRATIONS } from './migrations.js';
import {
  ConcurrentAppendError,
  type AppendBatch,
  type LogStorage,
  type StoredCheckpoint,
  type StoredLeaf,
} from './storage.js';
import {
  BatchTiles,
  BUNDLE_SIZE,
  bundleRecord,
  bundleRows,
  edgeBundle,
  EPOCH_BITS,
  hashPrefix,
  nodesFromTiles,
  UpperTileCache,
  tilesFor,
} from './tiles.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** The tiles `wanted`, read in one query. */
async function readTiles(
  db: Queryable,
  all: readonly { level: number; index: number }[],
  cache?: UpperTileCache,
): Promise<(level: number, index: number) => Buffer | undefined> {
  const tiles = new Map<string, Buffer>();
  const wanted = cache
    ? all.filter((w) => {
        const hit = cache.get(w.level, w.index);
        if (hit) tiles.set(`${w.level}/${w.index}`, hit);
        return !hit;
      })
    : all;
  if (wanted.length > 0) {
    const r = await db.query<{ level: number; idx: number; hashes: Buffer }>(
      `SELECT t.level, t.idx, t.hashes FROM ledger_tiles t
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON t.level = w.level AND t.idx = w.idx`,
      [wanted.map((w) => w.level), wanted.map((w) => w.index)],
    );
    for (const row of r.rows) {
      tiles.set(`${row.level}/${row.idx}`, row.hashes);
      cache?.offer(row.level, row.idx, row.hashes);
    }
  }
  return (level, index) => tiles.get(`${level}/${index}`);
}

/** PostgreSQL storage in tiles and bundles (see tiles.ts): a batch is a few array inserts in one transaction. */
export class PostgresLogStorage implements LogStorage {
  readonly kind = 'postgres';
  readonly db: PostgresDatabase;
  readonly tileCache = new UpperTileCache();

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
    return nodesFromTiles(ids, await readTiles(this.db.pool, tilesFor(ids), this.tileCache));
  }

  async getLeaf(index: number): Promise<StoredLeaf | undefined> {
    const r = await this.db.pool.query<{ records: Buffer }>(
      'SELECT records FROM ledger_bundles WHERE idx = $1',
      [Math.floor(index / BUNDLE_SIZE)],
    );
    const bundle = r.rows[0]?.records;
    const record = bundle === undefined ? undefined : bundleRecord(bundle, index % BUNDLE_SIZE);
    if (record === undefined) return undefined;
    const [leafHash] = (await this.getNodes([{ level: 0, index }])) as [Buffer];
    return { index, leafHash, record };
  }

  async findLeafIndex(leafHash: Buffer): Promise<number | undefined> {
    // One index probe per epoch.
    const r = await this.db.pool.query<{ idx: number }>(
      `SELECT x.idx FROM generate_series(0, (SELECT max(epoch) FROM ledger_leaf_index)) AS e(n)
         CROSS JOIN LATERAL (SELECT idx FROM ledger_leaf_index WHERE epoch = e.n AND prefix = $1) x
        ORDER BY x.idx`,
      [hashPrefix(leafHash)],
    );
    const candidates = r.rows.map((row) => row.idx);
    if (candidates.length === 0) return undefined;
    const hashes = await this.getNodes(candidates.map((index) => ({ level: 0, index })));
    const at = hashes.findIndex((h) => h.equals(leafHash));
    return at < 0 ? undefined : candidates[at];
  }

  async appendBatch(batch: AppendBatch): Promise<void> {
    const start = batch.startIndex;
    const end = start + batch.leaves.count;
    if (batch.checkpoint.size !== end) {
      throw new RangeError(
        `a batch of ${end - start} leaves from ${start} has a checkpoint of size ${batch.checkpoint.size}`,
      );
    }
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        // Serialise writers: the batch must start where the stored tree ends.
        await client.query('LOCK TABLE ledger_checkpoints IN EXCLUSIVE MODE');
        const size = Number(
          (await client.query('SELECT COALESCE(MAX(size), 0) AS size FROM ledger_checkpoints')).rows[0].size,
        );
        if (size !== start) throw new ConcurrentAppendError(start, size);
        if (end > start) await this.#write(client, batch, start, end);
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

  async #write(client: pg.PoolClient, batch: AppendBatch, start: number, end: number): Promise<void> {
    const tiles = new BatchTiles(start, end);
    try {
      const edges = tiles.edges();
      const tile = await readTiles(client, edges);
      for (const edge of edges) tiles.setEdge(edge.level, edge.index, tile(edge.level, edge.index));
      tiles.putAll(batch.leaves, batch.nodes);
      const rows = tiles.rows();
      await client.query(
        `INSERT INTO ledger_tiles (level, idx, hashes)
           SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
         ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes`,
        [rows.map((r) => r.level), rows.map((r) => r.index), rows.map((r) => r.hashes)],
      );
    } finally {
      tiles.release();
    }
    const edge = edgeBundle(start);
    const stored = edge
      ? (
          await client.query<{ records: Buffer }>('SELECT records FROM ledger_bundles WHERE idx = $1', [
            edge.index,
          ])
        ).rows[0]?.records
      : undefined;
    const bundles = bundleRows(start, batch.leaves, stored);
    await client.query(
      `INSERT INTO ledger_bundles (idx, records) SELECT * FROM unnest($1::bigint[], $2::bytea[])
       ON CONFLICT (idx) DO UPDATE SET records = EXCLUDED.records`,
      [bundles.map((b) => b.index), bundles.map((b) => b.records)],
    );
    await client.query(
      `INSERT INTO ledger_leaf_index (epoch, prefix, idx)
         SELECT (i >> ${EPOCH_BITS})::integer, p, i FROM unnest($1::bigint[], $2::integer[]) AS t(i, p)
        ORDER BY 1, 2`,
      [
        Array.from({ length: batch.leaves.count }, (_, i) => start + i),
        Array.from({ length: batch.leaves.count }, (_, i) => hashPrefix(batch.leaves.hashes, i * HASH_SIZE)),
      ],
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
