import { openDatabase, type OpenOptions } from '@parley/store';
import { PostgresLogStorage } from './postgres.js';
import { SqliteLogStorage } from './sqlite.js';
import type { LogStorage } from './storage.js';

/** The log's storage on the project's database: SQLite by default, PostgreSQL by URL; migrated and ready. */
export async function openLogStorage(options: OpenOptions = {}): Promise<LogStorage> {
  const db = openDatabase(options);
  const storage = db.kind === 'sqlite' ? new SqliteLogStorage(db) : new PostgresLogStorage(db);
  await storage.init();
  return storage;
}
