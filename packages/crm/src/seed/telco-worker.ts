import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '@parley/store';
import { BulkWriter } from './bulk.js';
import { accountGenerator, SEED_TABLES, type AccountContext } from './telco.js';

/**
 * A seeding thread on a SQLite file: its own connection; generates its share of the batches (every
 * `threads`-th, so all threads append near the end of the same B-trees) and writes each in one transaction.
 * The threads take turns through a shared lock word rather than SQLite's busy handler: a thread waiting for its
 * turn holds no read snapshot, so the checkpoint after each commit can copy the whole write-ahead log back and
 * the next writer starts it over (with threads polling for the lock, the log only grows, and reads slow down
 * with it). Reports rows per batch.
 */
const { file, synchronous, ctx, accounts, batch, index, threads, lock } = workerData as {
  file: string;
  synchronous: 'full' | 'normal';
  ctx: AccountContext;
  accounts: number;
  batch: number;
  index: number;
  threads: number;
  lock: Int32Array;
};
const db = openDatabase({ url: file, synchronous });
if (db.kind !== 'sqlite') throw new Error('seed worker: not a SQLite file');
db.sqlite.pragma('cache_size = -262144');
db.sqlite.pragma('busy_timeout = 600000');
const writer = new BulkWriter(db);
await writer.prepare(SEED_TABLES);
const generate = accountGenerator(ctx, (table, row) => writer.add(table, row));
for (let b = index; b * batch < accounts; b += threads) {
  const start = b * batch;
  const end = Math.min(accounts, start + batch);
  for (let n = start; n < end; n++) generate(n);
  const before = new Map(writer.written);
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1);
  try {
    await writer.flush();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0, 1);
  }
  const rows: Record<string, number> = {};
  for (const [t, c] of writer.written) rows[t] = c - (before.get(t) ?? 0);
  parentPort?.postMessage({ accounts: end - start, rows });
}
await writer.close();
await db.close();
