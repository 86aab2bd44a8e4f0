/**
 * The worker thread of WalCheckpointer: its own connection to the database, which copies the WAL into the
 * database file (a PASSIVE checkpoint: it never blocks the writer) whenever the writer reports a commit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const { location, synchronous } = workerData as { location: string; synchronous: string };
const db = new BetterSqlite3(location);
// The checkpointing connection decides whether the database file is synced before the WAL is reused.
db.pragma(`synchronous = ${synchronous}`);
db.pragma('wal_autocheckpoint = 0');

let running = false;
let again = false;

function checkpoint(): void {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    do {
      again = false;
      db.pragma('wal_checkpoint(PASSIVE)');
    } while (again);
  } finally {
    running = false;
  }
}

parentPort?.on('message', (message: string) => {
  if (message === 'checkpoint') setImmediate(checkpoint);
  else if (message === 'close') {
    db.close();
    parentPort?.close();
  }
});
