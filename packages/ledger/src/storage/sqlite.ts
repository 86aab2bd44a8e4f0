import type { Statement } from 'better-sqlite3';
import { migrate, WalCheckpointer, type SqliteDatabase } from '@parley/store';
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
} from './tiles.js';

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
}

/**
 * A tile's row id: level * 2^45 + index (a tile level holds at most 2^45 tiles below 2^53 leaves). A rowid
 * table reads a 16 KB row several times faster than a WITHOUT ROWID table keyed (level, index) would.
 */
export const sqliteTileId = (level: number, index: number): number => level * 2 ** 45 + index;

/*
 * The leaf-hash index (see tiles.ts) keys a row by one integer, the row having no other column:
 * epoch << 43 | prefix27 << 16 | offset, where prefix27 is the first 27 bits of the leaf hash and offset the
 * leaf's place in its epoch (so the key is unique and gives the leaf index back). Integer keys insert faster
 * than (epoch, prefix, idx) rows in a WITHOUT ROWID table. Epochs up to 2^20: logs up to 2^36 leaves.
 * (SQLite gives <<, >>, & and | one precedence, left to right: the SQL below brackets every step.)
 */
const MAX_INDEXED = 2 ** (20 + EPOCH_BITS);
const prefix27 = (hashes: Buffer, offset = 0): number => hashPrefix(hashes, offset) >>> 5;

/**
 * SQLite storage in tiles and bundles (see tiles.ts): prepared statements, one transaction per batch (the WAL
 * is synced once per commit). WAL checkpoints run on a worker thread (WalCheckpointer) once the first batch
 * is written, unless `backgroundCheckpoints` is false.
 */
export class SqliteLogStorage implements LogStorage {
  readonly kind = 'sqlite';
  readonly db: SqliteDatabase;
  readonly #backgroundCheckpoints: boolean;
  #checkpointer?: WalCheckpointer;
  #s?: {
    latest: Statement;
    at: Statement;
    size: Statement;
    tile: Statement;
    bundle: Statement;
    byPrefix: Statement;
    putTile: Statement;
    putBundle: Statement;
    putIndex: Statement;
    insertCheckpoint: Statement;
  };

  constructor(db: SqliteDatabase, options: { backgroundCheckpoints?: boolean } = {}) {
    this.db = db;
    this.#backgroundCheckpoints = options.backgroundCheckpoints ?? true;
  }

  async init(): Promise<void> {
    await migrate(this.db, LEDGER_MIGRATIONS);
    const d = this.db.sqlite;
    this.#s = {
      latest: d.prepare('SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1'),
      at: d.prepare('SELECT size, root, note FROM ledger_checkpoints WHERE size = ?'),
      size: d.prepare('SELECT COALESCE(MAX(size), 0) FROM ledger_checkpoints').pluck(),
      tile: d.prepare('SELECT hashes FROM ledger_tiles WHERE id = ?').pluck(),
      bundle: d.prepare('SELECT records FROM ledger_bundles WHERE idx = ?').pluck(),
      // One seek per epoch, in one statement.
      byPrefix: d
        .prepare(
          `WITH RECURSIVE e(n) AS (
             SELECT 0 UNION ALL SELECT n + 1 FROM e WHERE n < (SELECT MAX(entry) >> 43 FROM ledger_leaf_index))
           SELECT ((x.entry >> 43) << ${EPOCH_BITS}) | (x.entry & 65535) AS idx
             FROM e CROSS JOIN ledger_leaf_index x
            WHERE x.entry BETWEEN ((e.n << 43) | (@prefix << 16)) AND ((e.n << 43) | (@prefix << 16) | 65535)
            ORDER BY idx`,
        )
        .pluck(),
      putTile: d.prepare(
        'INSERT INTO ledger_tiles (id, hashes) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET hashes = excluded.hashes',
      ),
      putBundle: d.prepare(
        'INSERT INTO ledger_bundles (idx, records) VALUES (?, ?) ON CONFLICT (idx) DO UPDATE SET records = excluded.records',
      ),
      // The batch's prefixes as one JSON array: one statement, not one per leaf.
      putIndex: d.prepare(
        `INSERT INTO ledger_leaf_index (entry)
         SELECT (((@start + key) >> ${EPOCH_BITS}) << 43) | (value << 16) | ((@start + key) & 65535)
           FROM json_each(@prefixes)`,
      ),
      insertCheckpoint: d.prepare(
        'INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)',
      ),
    };
  }

  get #stmts() {
    if (!this.#s) throw new Error('SqliteLogStorage.init() was not called');
    return this.#s;
  }

  #readTile = (level: number, index: number): Buffer | undefined =>
    this.#stmts.tile.get(sqliteTileId(level, index)) as Buffer | undefined;

  readonly tileCache = new UpperTileCache();

  #tile = (level: number, index: number): Buffer | undefined => {
    const cached = this.tileCache.get(level, index);
    if (cached) return cached;
    const tile = this.#readTile(level, index);
    this.tileCache.offer(level, index, tile);
    return tile;
  };

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#stmts.latest.get() as CheckpointRow | undefined;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return this.#stmts.at.get(size) as CheckpointRow | undefined;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return nodesFromTiles(ids, this.#tile);
  }

  async getLeaf(index: number): Promise<StoredLeaf | undefined> {
    const bundle = this.#stmts.bundle.get(Math.floor(index / BUNDLE_SIZE)) as Buffer | undefined;
    const record = bundle === undefined ? undefined : bundleRecord(bundle, index % BUNDLE_SIZE);
    if (record === undefined) return undefined;
    const [leafHash] = nodesFromTiles([{ level: 0, index }], this.#tile) as [Buffer];
    return { index, leafHash, record };
  }

  async findLeafIndex(leafHash: Buffer): Promise<number | undefined> {
    const candidates = this.#stmts.byPrefix.all({ prefix: prefix27(leafHash) }) as number[];
    if (candidates.length === 0) return undefined;
    const hashes = nodesFromTiles(
      candidates.map((index) => ({ level: 0, index })),
      this.#tile,
    );
    const at = hashes.findIndex((h) => h.equals(leafHash));
    return at < 0 ? undefined : candidates[at];
  }

  #append = (batch: AppendBatch): void => {
    const s = this.#stmts;
    const size = s.size.get() as number;
    if (size !== batch.startIndex) throw new ConcurrentAppendError(batch.startIndex, size);
    const start = batch.startIndex;
    const end = start + batch.leaves.count;
    if (batch.checkpoint.size !== end)
      throw new RangeError(
        `a batch of ${end - start} leaves from ${start} has a checkpoint of size ${batch.checkpoint.size}`,
      );
    if (end > start) {
      const tiles = new BatchTiles(start, end);
      try {
        for (const edge of tiles.edges())
          tiles.setEdge(edge.level, edge.index, this.#tile(edge.level, edge.index));
        tiles.putAll(batch.leaves, batch.nodes);
        for (const row of tiles.rows()) s.putTile.run(sqliteTileId(row.level, row.index), row.hashes);
      } finally {
        tiles.release();
      }
      const edge = edgeBundle(start);
      const stored = edge && (s.bundle.get(edge.index) as Buffer | undefined);
      for (const row of bundleRows(start, batch.leaves, stored)) s.putBundle.run(row.index, row.records);
      if (end > MAX_INDEXED)
        throw new RangeError(`the SQLite leaf index holds ${MAX_INDEXED} leaves at most`);
      const prefixes = new Array<number>(batch.leaves.count);
      for (let i = 0; i < prefixes.length; i++) prefixes[i] = prefix27(batch.leaves.hashes, i * HASH_SIZE);
      s.putIndex.run({ start, prefixes: JSON.stringify(prefixes) });
    }
    const c = batch.checkpoint;
    s.insertCheckpoint.run(c.size, c.root, c.note, new Date().toISOString());
  };

  async appendBatch(batch: AppendBatch): Promise<void> {
    this.db.sqlite.transaction(this.#append).immediate(batch);
    if (batch.leaves.count === 0) return;
    if (!this.#checkpointer && this.#backgroundCheckpoints && this.#walFile()) {
      this.#checkpointer = new WalCheckpointer(this.db);
    }
    this.#checkpointer?.committed();
  }

  #walFile(): boolean {
    return String(this.db.sqlite.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  }

  async close(): Promise<void> {
    await this.#checkpointer?.close();
    await this.db.close();
  }
}
