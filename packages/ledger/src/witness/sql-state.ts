import { migrate, type Database } from '@parley/store';
import { LEDGER_MIGRATIONS } from '../storage/migrations.js';
import type { TreeState, WitnessStateStore } from './witness.js';

/**
 * Witness state in the project database (table ledger_witness_state), so a restarted witness never cosigns
 * a rollback. compareAndSet is one conditional statement: an insert when there is no state yet, else an
 * update guarded by the old size and root.
 */
export class SqlWitnessStateStore implements WitnessStateStore {
  readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  async init(): Promise<void> {
    await migrate(this.db, LEDGER_MIGRATIONS);
  }

  async get(origin: string): Promise<TreeState | undefined> {
    const sql = 'SELECT size, root FROM ledger_witness_state WHERE origin = ';
    if (this.db.kind === 'sqlite') {
      const row = this.db.sqlite.prepare(sql + '?').get(origin) as { size: number; root: Buffer } | undefined;
      return row && { size: row.size, root: row.root };
    }
    const r = await this.db.pool.query(sql + '$1', [origin]);
    const row = r.rows[0] as { size: number; root: Buffer } | undefined;
    return row && { size: Number(row.size), root: row.root };
  }

  async compareAndSet(origin: string, old: TreeState | undefined, next: TreeState): Promise<boolean> {
    const root = Buffer.from(next.root);
    if (this.db.kind === 'sqlite') {
      const info = old
        ? this.db.sqlite
            .prepare(
              'UPDATE ledger_witness_state SET size = ?, root = ? WHERE origin = ? AND size = ? AND root = ?',
            )
            .run(next.size, root, origin, old.size, Buffer.from(old.root))
        : this.db.sqlite
            .prepare(
              'INSERT INTO ledger_witness_state (origin, size, root) VALUES (?, ?, ?) ON CONFLICT (origin) DO NOTHING',
            )
            .run(origin, next.size, root);
      return info.changes === 1;
    }
    const r = old
      ? await this.db.pool.query(
          'UPDATE ledger_witness_state SET size = $1, root = $2 WHERE origin = $3 AND size = $4 AND root = $5',
          [next.size, root, origin, old.size, Buffer.from(old.root)],
        )
      : await this.db.pool.query(
          'INSERT INTO ledger_witness_state (origin, size, root) VALUES ($1, $2, $3) ON CONFLICT (origin) DO NOTHING',
          [origin, next.size, root],
        );
    return r.rowCount === 1;
  }
}
