import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openLogStorage } from '../storage/open.js';
import type { LogStorage } from '../storage/storage.js';
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
