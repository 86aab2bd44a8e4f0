import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '@parley/store';

/**
 * The databases every CRM test runs on: a SQLite file always; PostgreSQL when PARLEY_TEST_POSTGRES_URL is set
 * (scripts/with-postgres.sh, which npm test and CI use). Each gets a fresh database.
 */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

let counter = 0;

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [];
  let dir = '';
  list.push({
    name: 'sqlite',
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'parley-crm-'));
      return openDatabase({ url: join(dir, 'crm.db'), synchronous: 'normal' });
    },
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  });
  const adminUrl = process.env.PARLEY_TEST_POSTGRES_URL;
  if (adminUrl) {
    let name = '';
    list.push({
      name: 'postgres',
      async open() {
        name = `crm_test_${process.pid}_${++counter}`;
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${name}`);
        await admin.end();
        return openDatabase({ url: adminUrl.replace(/\/[^/]*$/, `/${name}`) });
      },
      async cleanup() {
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    });
  }
  return list;
}
