import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from './database.js';
import { WalCheckpointer } from './checkpointer.js';

test('the checkpointer copies committed WAL frames into the database file from its worker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const db = openDatabase({ url: file }) as SqliteDatabase;
  const checkpointer = new WalCheckpointer(db);
  assert.equal(db.sqlite.pragma('wal_autocheckpoint', { simple: true }), 100_000);
  db.sqlite.exec('CREATE TABLE t (x BLOB)');
  const insert = db.sqlite.prepare('INSERT INTO t VALUES (?)');
  db.sqlite.transaction(() => {
    for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(8192, i));
  })();
  const before = statSync(file).size;
  checkpointer.committed();
  const deadline = Date.now() + 10_000;
  while (statSync(file).size < before + 200 * 8192 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(statSync(file).size >= before + 200 * 8192, 'the rows reached the database file');
  await checkpointer.close();
  checkpointer.committed(); // ignored once closed
  assert.equal(db.sqlite.prepare('SELECT count(*) FROM t').pluck().get(), 200);
  await db.close();
});
