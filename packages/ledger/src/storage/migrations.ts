import type { Migration } from '@parley/store';

export const LEDGER_MIGRATIONS: Migration[] = [
  {
    name: 'ledger/001-tree',
    sqlite: `
      CREATE TABLE ledger_leaves (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, record TEXT NOT NULL);
      CREATE INDEX ledger_leaves_by_hash ON ledger_leaves (leaf_hash);
      CREATE TABLE ledger_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)) WITHOUT ROWID;
      CREATE TABLE ledger_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL,
        created_at TEXT NOT NULL);
      CREATE TABLE ledger_witness_state (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL);`,
    postgres: `
      CREATE TABLE ledger_leaves (idx BIGINT PRIMARY KEY, leaf_hash BYTEA NOT NULL, record TEXT NOT NULL);
      CREATE INDEX ledger_leaves_by_hash ON ledger_leaves (leaf_hash);
      CREATE TABLE ledger_nodes (level SMALLINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
        PRIMARY KEY (level, idx));
      CREATE TABLE ledger_checkpoints (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE ledger_witness_state (origin TEXT PRIMARY KEY, size BIGINT NOT NULL, root BYTEA NOT NULL);`,
  },
];
