import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '@parley/store';
import { SqlWitnessStateStore } from './sql-state.js';

async function databases(): Promise<{ name: string; db: Database; cleanup: () => Promise<void> }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-witness-'));
  const list = [
    {
      name: 'sqlite',
      db: openDatabase({ url: join(dir, 'w.db') }) as Database,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    },
  ];
  const adminUrl = process.env.PARLEY_TEST_POSTGRES_URL;
  if (adminUrl) {
    const name = `witness_test_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    list.push({
      name: 'postgres',
      db: openDatabase({ url: adminUrl.replace(/\/[^/]*$/, `/${name}`) }),
      cleanup: async () => {
        const a = new pg.Client({ connectionString: adminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    });
  }
  return list;
}

test('SQL witness state: compare-and-set succeeds only from the state it expects, and survives reopening', async () => {
  for (const { name, db, cleanup } of await databases()) {
    try {
      const store = new SqlWitnessStateStore(db);
      await store.init();
      const a = { size: 3, root: Buffer.alloc(32, 1) };
      const b = { size: 5, root: Buffer.alloc(32, 2) };
      assert.equal(await store.get('log.example'), undefined, name);
      assert.equal(await store.compareAndSet('log.example', undefined, a), true, name);
      assert.equal(
        await store.compareAndSet('log.example', undefined, b),
        false,
        `${name}: a second first-time set`,
      );
      assert.equal(
        await store.compareAndSet('log.example', { size: 3, root: Buffer.alloc(32, 9) }, b),
        false,
        `${name}: wrong old root`,
      );
      assert.equal(
        await store.compareAndSet('log.example', { size: 4, root: a.root }, b),
        false,
        `${name}: wrong old size`,
      );
      const raced = await Promise.all([
        store.compareAndSet('log.example', a, b),
        store.compareAndSet('log.example', a, { size: 6, root: Buffer.alloc(32, 3) }),
      ]);
      assert.deepEqual(raced.filter(Boolean).length, 1, `${name}: exactly one of two racing updates wins`);
      const state = await store.get('log.example');
      assert.ok(state && (state.size === 5 || state.size === 6), name);
      assert.equal(await store.get('other.example'), undefined, name);
    } finally {
      await db.close();
      await cleanup();
    }
  }
});
