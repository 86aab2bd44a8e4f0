import type { Migration } from '@parley/store';

/*
 * The tree in tiles, the records in bundles, a leaf-hash index by epoch (the layout is described in
 * tiles.ts); signed checkpoints; the witness's state. SQLite keys a tile by one integer (level * 2^45 +
 * index) and packs an index row into its integer key (see sqlite.ts); PostgreSQL keys a tile by (level, idx),
 * keeps tile hashes out of line uncompressed (hashes do not compress) and an index row as (epoch, prefix,
 * idx).
 */
export const LEDGER_MIGRATIONS: Migration[] = [
  {
    name: 'ledger/001-tiles',
    sqlite: `
      CREATE TABLE ledger_tiles (id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
      CREATE TABLE ledger_bundles (idx INTEGER PRIMARY KEY, records BLOB NOT NULL);
      CREATE TABLE ledger_leaf_index (entry INTEGER PRIMARY KEY);
      CREATE TABLE ledger_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL,
        created_at TEXT NOT NULL);
      CREATE TABLE ledger_witness_state (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL);`,
    postgres: `
      CREATE TABLE ledger_tiles (level SMALLINT NOT NULL, idx BIGINT NOT NULL, hashes BYTEA NOT NULL,
        PRIMARY KEY (level, idx));
      ALTER TABLE ledger_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
      CREATE TABLE ledger_bundles (idx BIGINT PRIMARY KEY, records BYTEA NOT NULL);
      CREATE TABLE ledger_leaf_index (epoch INTEGER NOT NULL, prefix INTEGER NOT NULL, idx BIGINT NOT NULL,
        PRIMARY KEY (epoch, prefix, idx));
      CREATE TABLE ledger_checkpoints (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE ledger_witness_state (origin TEXT PRIMARY KEY, size BIGINT NOT NULL, root BYTEA NOT NULL);`,
  },
];
