import type { Database } from './database.js';

/** One schema change, written for each dialect (the SQL differs: types, WITHOUT ROWID, BYTEA…). */
export interface Migration {
  /** Unique and ordered, e.g. `ledger/001-tables`. */
  name: string;
  sqlite: string;
  postgres: string;
}

/**
 * Applies the migrations not yet applied, in order, each in its own transaction, and records them in
 * `parley_migrations`. Each package brings its own list; names are namespaced by package.
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  if (db.kind === 'sqlite') {
    db.sqlite.exec(
      'CREATE TABLE IF NOT EXISTS parley_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const done = new Set(db.sqlite.prepare('SELECT name FROM parley_migrations').pluck().all() as string[]);
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      db.sqlite.transaction(() => {
        db.sqlite.exec(m.sqlite);
        db.sqlite
          .prepare('INSERT INTO parley_migrations (name, applied_at) VALUES (?, ?)')
          .run(m.name, new Date().toISOString());
      })();
      applied.push(m.name);
    }
    return applied;
  }
  const client = await db.pool.connect();
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS parley_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)',
    );
    // One migrator at a time across processes.
    await client.query('SELECT pg_advisory_lock(727372)');
    try {
      const done = new Set(
        (await client.query<{ name: string }>('SELECT name FROM parley_migrations')).rows.map((r) => r.name),
      );
      for (const m of migrations) {
        if (done.has(m.name)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.postgres);
          await client.query('INSERT INTO parley_migrations (name, applied_at) VALUES ($1, now())', [m.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
        applied.push(m.name);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(727372)');
    }
  } finally {
    client.release();
  }
  return applied;
}
