import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openLogStorage } from '../storage/open.js';
import type { LogStorage } from '../storage/storage.js';
import { sqliteTileId, type SqliteLogStorage } from '../storage/sqlite.js';
import type { PostgresLogStorage } from '../storage/postgres.js';
import { BUNDLE_SIZE, tileOf } from '../storage/tiles.js';
import type { CheckpointSigner } from '../log.js';

/**
 * The storages every ledger test runs on: SQLite in a temp file always; PostgreSQL when
 * PARLEY_TEST_POSTGRES_URL is set (scripts/with-postgres.sh sets it; CI always runs through that script).
 * Each PostgreSQL storage gets a database of its own.
 */
export interface StorageFactory {
  name: 'sqlite' | 'postgres';
  open(): Promise<LogStorage>;
  /** Re-opens the same database (after close), as a restarted process would. */
  reopen(): Promise<LogStorage>;
  /** The database URL (or SQLite file) of the last open(), for another process to use. */
  url(): string;
  cleanup(): Promise<void>;
}

export function storageFactories(): StorageFactory[] {
  const factories: StorageFactory[] = [sqliteFactory()];
  if (process.env.PARLEY_TEST_POSTGRES_URL)
    factories.push(postgresFactory(process.env.PARLEY_TEST_POSTGRES_URL));
  return factories;
}

function sqliteFactory(): StorageFactory {
  let dir: string | undefined;
  let file = '';
  return {
    name: 'sqlite',
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'parley-ledger-'));
      file = join(dir, 'ledger.db');
      return openLogStorage({ url: file });
    },
    reopen: () => openLogStorage({ url: file }),
    url: () => file,
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let databaseCounter = 0;

function postgresFactory(adminUrl: string): StorageFactory {
  let url = '';
  let name = '';
  return {
    name: 'postgres',
    async open() {
      name = `ledger_test_${process.pid}_${++databaseCounter}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
      return openLogStorage({ url });
    },
    reopen: () => openLogStorage({ url }),
    url: () => url,
    async cleanup() {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A signer for tests of the tree mechanics: the checkpoint body, unsigned (signing is tested with notes). */
export function plainSigner(origin = 'test.example/log'): CheckpointSigner {
  return { origin, sign: (size, root) => `${origin}\n${size}\n${root.toString('base64')}\n` };
}

/** Overwrites the stored hash of node (level, index) in its tile, as someone with write access to the database could. */
export async function tamperNode(
  storage: LogStorage,
  level: number,
  index: number,
  hash: Buffer,
): Promise<void> {
  const at = tileOf(level, index);
  if (storage.kind === 'sqlite') {
    const db = (storage as SqliteLogStorage).db.sqlite;
    const id = sqliteTileId(at.level, at.index);
    const tile = Buffer.from(
      db.prepare('SELECT hashes FROM ledger_tiles WHERE id = ?').pluck().get(id) as Buffer,
    );
    hash.copy(tile, at.offset);
    db.prepare('UPDATE ledger_tiles SET hashes = ? WHERE id = ?').run(tile, id);
  } else {
    const pool = (storage as PostgresLogStorage).db.pool;
    const where = 'WHERE level = $1 AND idx = $2';
    const r = await pool.query<{ hashes: Buffer }>(`SELECT hashes FROM ledger_tiles ${where}`, [
      at.level,
      at.index,
    ]);
    const tile = Buffer.from((r.rows[0] as { hashes: Buffer }).hashes);
    hash.copy(tile, at.offset);
    await pool.query(`UPDATE ledger_tiles SET hashes = $3 ${where}`, [at.level, at.index, tile]);
  }
}

/** Rewrites the stored record of leaf `index` in its bundle (its stored leaf hash is kept). */
export async function tamperRecord(storage: LogStorage, index: number, record: string): Promise<void> {
  const bundle = Math.floor(index / BUNDLE_SIZE);
  const rewrite = (stored: Buffer) => {
    const records = stored.toString('utf8').split('\n');
    records[index % BUNDLE_SIZE] = record;
    return Buffer.from(records.join('\n'), 'utf8');
  };
  if (storage.kind === 'sqlite') {
    const db = (storage as SqliteLogStorage).db.sqlite;
    const stored = db
      .prepare('SELECT records FROM ledger_bundles WHERE idx = ?')
      .pluck()
      .get(bundle) as Buffer;
    db.prepare('UPDATE ledger_bundles SET records = ? WHERE idx = ?').run(rewrite(stored), bundle);
  } else {
    const pool = (storage as PostgresLogStorage).db.pool;
    const r = await pool.query<{ records: Buffer }>('SELECT records FROM ledger_bundles WHERE idx = $1', [
      bundle,
    ]);
    const stored = (r.rows[0] as { records: Buffer }).records;
    await pool.query('UPDATE ledger_bundles SET records = $2 WHERE idx = $1', [bundle, rewrite(stored)]);
  }
}
