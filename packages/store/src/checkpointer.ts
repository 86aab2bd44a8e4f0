import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';

/**
 * Runs a SQLite database's WAL checkpoints on a worker thread, so a writer's commits wait for the WAL sync only
 * and not also for the WAL to be copied into the database file and that file synced: with large batches the
 * copy costs as much as the commit. Durability is unchanged (each commit is synced to the WAL as before); the
 * writer's own automatic checkpoints are held back to a large WAL (`fallbackPages`), should the worker fall
 * behind or die.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #closed = false;

  constructor(db: SqliteDatabase, options: { fallbackPages?: number } = {}) {
    const synchronous = String(db.sqlite.pragma('synchronous', { simple: true }));
    db.sqlite.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 100_000}`);
    this.#worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: { location: db.location, synchronous },
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A checkpointer left running never keeps the process alive; its errors are not the writer's.
    this.#worker.unref();
    this.#worker.on('error', () => undefined);
  }

  /** Tells the worker that a transaction was committed: it checkpoints as soon as it is free. */
  committed(): void {
    if (!this.#closed) this.#worker.postMessage('checkpoint');
  }

  /** Stops the worker after its current checkpoint; the database can then be closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Held open until the worker has closed its connection.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await this.#exited;
  }
}
