import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** pg returns BIGINT as a string; Parley's counters fit in a double (2^53), so read them as numbers. */
pg.types.setTypeParser(20, (value: string) => Number(value));

/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyKysely = Kysely<any>;

export interface SqliteDatabase {
  kind: 'sqlite';
  /** The file path (or `:memory:`). */
  location: string;
  sqlite: BetterSqlite3.Database;
  kysely: AnyKysely;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  kind: 'postgres';
  location: string;
  pool: pg.Pool;
  kysely: AnyKysely;
  close(): Promise<void>;
}

export type Database = SqliteDatabase | PostgresDatabase;

export interface OpenOptions {
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path or `:memory:`. Default: DATABASE_URL, else parley.db. */
  url?: string;
  /**
   * SQLite durability. `full` (default) fsyncs the WAL at every commit, so a committed transaction survives a
   * power cut; `normal` survives a process crash only.
   */
  synchronous?: 'full' | 'normal';
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL && env.DATABASE_URL.trim() !== '' ? env.DATABASE_URL : 'parley.db';
}

/** Opens the project's database: SQLite by default, PostgreSQL by URL. */
export function openDatabase(options: OpenOptions = {}): Database {
  const url = options.url ?? defaultDatabaseUrl();
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle connection the server closes (restart, failover) is dropped from the pool, not a crash.
    pool.on('error', () => undefined);
    const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    return {
      kind: 'postgres',
      location: url.replace(/\/\/[^@/]*@/, '//***@'),
      pool,
      kysely,
      close: () => kysely.destroy(),
    };
  }
  const location = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (location !== ':memory:') mkdirSync(dirname(resolve(location)), { recursive: true });
  const sqlite = new BetterSqlite3(location);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  let closed = false;
  return {
    kind: 'sqlite',
    location,
    sqlite,
    kysely,
    close: async () => {
      if (closed) return;
      closed = true;
      await kysely.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a point lookup. Reusing
 * statements is safe because Kysely runs one query at a time on the connection (streams included). Bounded,
 * least recently used first out: queries with `in (…)` lists make many distinct texts.
 */
function cachingStatements(sqlite: BetterSqlite3.Database, size = 500) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}
