import type { NodeId, StoredNode } from '../compact/range.js';
import { IntegrityError } from '../errors.js';
import { HASH_SIZE } from '../rfc6962.js';
import { borrow, giveBack } from './buffers.js';
import type { LeafBatch } from './leaf-batch.js';

/*
 * The storage layout both SQL storages share, after Tessera's and Trillian's tiles.
 *
 * Tiles. Tile (tileLevel T, tileIndex I) holds the 256 nodes of tree level 8T numbered 256I to 256I+255 and
 * the 254 nodes above them up to level 8T+7: a perfect subtree of height 8 without its root, which is a node
 * of level 8(T+1) and so lives in a tile one tile level up. 510 hashes, 16,320 bytes, and every node of the
 * tree is in exactly one tile, so any node is read from one row with no hashing (a proof of a leaf of a tree
 * of 10^7 leaves reads about 5 rows). Inside a tile the hashes are in post-order (children before their
 * parent, left to right): when the bottom row has w nodes, the hashes present are exactly the first
 * 2w - popcount(w). A tile on the right edge of the tree is that prefix, rewritten longer by later batches.
 *
 * Bundles. Leaf records are stored 256 to a row, in leaf order, as UTF-8 joined by "\n" (canonical JSON has
 * no raw newline); the last bundle is a prefix, rewritten longer by later batches.
 *
 * Leaf-hash index. One row per leaf keyed by (epoch, hash prefix, leaf index), epoch = index >> 16 and the
 * prefix the first bits of the leaf hash (PostgreSQL keeps the three as columns, prefix = the first 4 bytes;
 * SQLite packs them into one integer key, see sqlite.ts). The epoch leads the key so that a batch inserts
 * into the B-tree range of the current epoch only (a few hundred pages however large the log is): keyed by
 * the hash alone, a batch's inserts land on pages all over the index, and at 2 million leaves an insert cost
 * 14 us and growing (against about 1.5 us). A lookup seeks every epoch in one statement (about 150 seeks at
 * 10^7 leaves) and keeps the candidates whose full leaf hash, read from the tiles, matches.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Hashes in a full tile: the 256 of its bottom row and the 254 above them (its root is one tile level up). */
export const TILE_HASHES = 2 * TILE_WIDTH - 2;
export const BUNDLE_SIZE = 256;
export const EPOCH_BITS = 16;

const LEVEL_SPAN = 2 ** TILE_HEIGHT;

function popcount(x: number): number {
  let n = 0;
  for (; x > 0; x &= x - 1) n++;
  return n;
}

/** The number of hashes a tile holds when its bottom row has `width` nodes (0 to 256). */
export function tileHashCount(width: number): number {
  return width >= TILE_WIDTH ? TILE_HASHES : 2 * width - popcount(width);
}

/** The number of nodes of tree level 8·tileLevel in a tree of `size` leaves. */
function levelWidth(tileLevel: number, size: number): number {
  return Math.floor(size / LEVEL_SPAN ** tileLevel);
}

/** The tile that holds node (level, index), and the byte offset of its hash there. */
export function tileOf(level: number, index: number): { level: number; index: number; offset: number } {
  const k = level % TILE_HEIGHT;
  const span = TILE_WIDTH >>> k; // nodes of this level per tile
  const tileIndex = Math.floor(index / span);
  const j = index - tileIndex * span;
  const subtree = 2 << k; // nodes in the perfect subtree of height k, plus one
  return {
    level: (level - k) / TILE_HEIGHT,
    index: tileIndex,
    offset: (j * subtree - popcount(j) + subtree - 2) * HASH_SIZE,
  };
}

/** The size in bytes of tile (level, index) in a tree of `size` leaves (0: it does not exist yet). */
export function tileBytes(tileLevel: number, tileIndex: number, size: number): number {
  const width = Math.min(TILE_WIDTH, Math.max(0, levelWidth(tileLevel, size) - tileIndex * TILE_WIDTH));
  return tileHashCount(width) * HASH_SIZE;
}

export interface TileRow {
  level: number;
  index: number;
  hashes: Buffer;
}

/**
 * Reads node hashes out of tiles: `fetch` returns a tile's bytes (or undefined if it has no row); each tile
 * is fetched once. Throws IntegrityError for a node its tile does not hold.
 */
export function nodesFromTiles(
  ids: readonly NodeId[],
  fetch: (tileLevel: number, tileIndex: number) => Buffer | undefined,
): Buffer[] {
  const fetched = new Map<string, Buffer | undefined>();
  return ids.map(({ level, index }) => {
    const at = tileOf(level, index);
    const key = `${at.level}/${at.index}`;
    let tile: Buffer | undefined;
    if (fetched.has(key)) tile = fetched.get(key);
    else {
      tile = fetch(at.level, at.index);
      fetched.set(key, tile);
    }
    if (!tile || tile.length < at.offset + HASH_SIZE)
      throw new IntegrityError(`node(${level},${index})`, 'is missing from storage', 'missing-node');
    return tile.subarray(at.offset, at.offset + HASH_SIZE);
  });
}

/** The distinct tiles that hold a list of nodes. */
export function tilesFor(ids: readonly NodeId[]): { level: number; index: number }[] {
  const seen = new Set<string>();
  const out: { level: number; index: number }[] = [];
  for (const { level, index } of ids) {
    const at = tileOf(level, index);
    const key = `${at.level}/${at.index}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ level: at.level, index: at.index });
  }
  return out;
}

interface TileLevelRange {
  first: number;
  buffers: Buffer[];
  /** Hashes written into each tile by this batch. */
  written: Int32Array;
}

/**
 * The tiles one batch rewrites, built from the hashes it adds. A batch from `start` to `end` leaves rewrites,
 * at each tile level where it adds nodes, the tiles from the one holding its first new node to the one
 * holding its last; the first of them may already hold hashes (see `edges`), which the storage reads and
 * passes to `setEdge` before the batch's hashes are put.
 */
export class BatchTiles {
  readonly start: number;
  readonly end: number;
  readonly #levels: TileLevelRange[] = [];
  #memory?: Buffer;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    const ranges: { first: number; count: number }[] = [];
    let tiles = 0;
    for (let t = 0; ; t++) {
      const before = levelWidth(t, start);
      const after = levelWidth(t, end);
      if (after === before) break;
      const first = Math.floor(before / TILE_WIDTH);
      const count = Math.floor((after - 1) / TILE_WIDTH) - first + 1;
      ranges.push({ first, count });
      tiles += count;
    }
    // One borrowed buffer for all the tiles, zeroed; given back by `release`.
    const size = TILE_HASHES * HASH_SIZE;
    const memory = borrow(tiles * size).fill(0, 0, tiles * size);
    this.#memory = memory;
    let at = 0;
    for (const { first, count } of ranges) {
      const buffers: Buffer[] = [];
      for (let i = 0; i < count; i++, at += size) buffers.push(memory.subarray(at, at + size));
      this.#levels.push({ first, buffers, written: new Int32Array(count) });
    }
  }

  /** Ends the batch's life: its memory is reused (the rows may not be read afterwards). */
  release(): void {
    if (this.#memory) giveBack(this.#memory);
    this.#memory = undefined;
    this.#levels.length = 0;
  }

  /** The stored tiles this batch extends: one per tile level at most, with the bytes they must hold now. */
  edges(): { level: number; index: number; bytes: number }[] {
    const out: { level: number; index: number; bytes: number }[] = [];
    this.#levels.forEach((range, level) => {
      const bytes = tileBytes(level, range.first, this.start);
      if (bytes > 0) out.push({ level, index: range.first, bytes });
    });
    return out;
  }

  /** The stored bytes of an edge tile; IntegrityError if it is missing or not the expected length. */
  setEdge(level: number, index: number, stored: Buffer | undefined): void {
    const range = this.#levels[level];
    const bytes = tileBytes(level, index, this.start);
    if (!range || index !== range.first || bytes === 0) throw new Error(`tile ${level}/${index} is no edge`);
    if (!stored || stored.length !== bytes) {
      throw new IntegrityError(
        `tile(${level},${index})`,
        `holds ${stored?.length ?? 0} bytes; a tree of ${this.start} leaves needs ${bytes}`,
        'missing-node',
      );
    }
    stored.copy(range.buffers[0] as Buffer);
  }

  /** Puts the hash of node (level, index), which this batch completes: `source[from, from + 32)`. */
  put(level: number, index: number, source: Buffer, from = 0): void {
    const end = (index + 1) * 2 ** level; // the node is complete once this many leaves are
    if (end <= this.start || end > this.end) {
      throw new RangeError(
        `node(${level},${index}) is not completed by leaves ${this.start} to ${this.end - 1}`,
      );
    }
    const at = tileOf(level, index);
    const range = this.#levels[at.level];
    const slot = range ? at.index - range.first : -1;
    const tile = range?.buffers[slot];
    if (!range || !tile || source.length < from + HASH_SIZE) {
      throw new RangeError(`node(${level},${index}) is not a ${HASH_SIZE}-byte hash of this batch`);
    }
    source.copy(tile, at.offset, from, from + HASH_SIZE);
    range.written[slot] = (range.written[slot] as number) + 1;
  }

  putAll(leaves: LeafBatch, nodes: readonly StoredNode[]): void {
    for (let i = 0; i < leaves.count; i++) this.put(0, this.start + i, leaves.hashes, i * HASH_SIZE);
    for (const node of nodes) this.put(node.level, node.index, node.hash);
  }

  /** The rows to write; throws if the batch did not hold every node its leaves complete. */
  rows(): TileRow[] {
    const out: TileRow[] = [];
    this.#levels.forEach((range, level) => {
      range.buffers.forEach((buffer, slot) => {
        const index = range.first + slot;
        const bytes = tileBytes(level, index, this.end);
        const added = (bytes - tileBytes(level, index, this.start)) / HASH_SIZE;
        if (range.written[slot] !== added) {
          throw new RangeError(
            `the batch gives ${range.written[slot]} hashes of tile ${level}/${index}, which needs ${added}`,
          );
        }
        out.push({ level, index, hashes: buffer.subarray(0, bytes) });
      });
    });
    return out;
  }
}

const NEWLINE = 0x0a;

/** The number of records in a bundle. */
export function bundleCount(bundle: Buffer): number {
  if (bundle.length === 0) return 0;
  let n = 1;
  for (let at = bundle.indexOf(NEWLINE); at >= 0; at = bundle.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/** Record `offset` of a bundle, or undefined if the bundle holds fewer. */
export function bundleRecord(bundle: Buffer, offset: number): string | undefined {
  if (bundle.length === 0) return undefined;
  let begin = 0;
  for (let i = 0; i < offset; i++) {
    const at = bundle.indexOf(NEWLINE, begin);
    if (at < 0) return undefined;
    begin = at + 1;
  }
  const end = bundle.indexOf(NEWLINE, begin);
  return bundle.toString('utf8', begin, end < 0 ? bundle.length : end);
}

export interface BundleRow {
  index: number;
  records: Buffer;
}

/** The bundle a batch starting at `start` extends (undefined when it starts a new one), and its record count. */
export function edgeBundle(start: number): { index: number; count: number } | undefined {
  const count = start % BUNDLE_SIZE;
  return count === 0 ? undefined : { index: (start - count) / BUNDLE_SIZE, count };
}

/**
 * The bundle rows a batch writes: its records, 256 to a bundle, the first bundle continuing `edge` (the
 * stored bundle the batch extends, see edgeBundle). IntegrityError if that bundle does not hold the expected
 * number of records. The rows are slices of the batch, but the first when it continues `edge`.
 */
export function bundleRows(start: number, leaves: LeafBatch, edge: Buffer | undefined): BundleRow[] {
  const rows: BundleRow[] = [];
  const first = edgeBundle(start);
  let at = 0;
  let index = Math.floor(start / BUNDLE_SIZE);
  if (first && leaves.count > 0) {
    const stored = edge === undefined ? 0 : bundleCount(edge);
    if (edge === undefined || stored !== first.count) {
      throw new IntegrityError(
        `bundle(${first.index})`,
        `holds ${stored} records; a tree of ${start} leaves needs ${first.count}`,
        'missing-leaf',
      );
    }
    at = Math.min(BUNDLE_SIZE - first.count, leaves.count);
    // The batch's slice begins with the newline before its first record.
    const more = leaves.records.subarray(leaves.start(0) - 1, leaves.ends[at - 1]);
    rows.push({ index, records: Buffer.concat([edge, more]) });
    index++;
  }
  while (at < leaves.count) {
    const n = Math.min(BUNDLE_SIZE, leaves.count - at);
    rows.push({ index, records: leaves.joined(at, at + n) });
    at += n;
    index++;
  }
  return rows;
}

/** The leaf-hash index key of a leaf hash (at `offset` in `hashes`): its first 4 bytes as a signed 32-bit integer. */
export function hashPrefix(hashes: Buffer, offset = 0): number {
  return hashes.readInt32BE(offset);
}

export function epochOf(index: number): number {
  return Math.floor(index / 2 ** EPOCH_BITS);
}

/**
 * Complete tiles above the bottom level, kept in memory (least recently used out first). A complete tile never
 * changes, so a cached one is what storage holds; partial tiles on the right edge are never cached. At 10^7
 * leaves every upper tile fits (about 150 tiles, 2.4 MB): a proof then reads only its bottom-level tiles.
 */
export class UpperTileCache {
  readonly #tiles = new Map<string, Buffer>();
  readonly limit: number;

  constructor(limit = 4096) {
    this.limit = limit;
  }

  get(level: number, index: number): Buffer | undefined {
    if (level === 0) return undefined;
    const key = `${level}/${index}`;
    const tile = this.#tiles.get(key);
    if (tile) {
      this.#tiles.delete(key);
      this.#tiles.set(key, tile);
    }
    return tile;
  }

  offer(level: number, index: number, tile: Buffer | undefined): void {
    if (level === 0 || !tile || tile.length !== TILE_HASHES * HASH_SIZE) return;
    this.#tiles.set(`${level}/${index}`, tile);
    if (this.#tiles.size > this.limit) this.#tiles.delete(this.#tiles.keys().next().value as string);
  }

  /** Forgets everything (after storage was changed behind the log's back, as tamper tests do). */
  clear(): void {
    this.#tiles.clear();
  }
}
