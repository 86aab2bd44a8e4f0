import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Database } from '@parley/store';

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;

/** One value in PostgreSQL's COPY text format. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const s = String(value);
  return COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] as string) : s;
}

/** Rows (arrays of values in column order) as the body of `COPY ... FROM STDIN` in text format. */
export function copyText(rows: readonly unknown[][]): string {
  const lines = new Array<string>(rows.length + 1);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as unknown[];
    let line = copyValue(row[0]);
    for (let i = 1; i < row.length; i++) line += '\t' + copyValue(row[i]);
    lines[r] = line;
  }
  lines[rows.length] = '';
  return lines.join('\n');
}

/** Sends text (rows in COPY text format) with one COPY FROM STDIN on `client`. */
export async function copyInto(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  texts: readonly string[],
): Promise<void> {
  await pipeline(
    Readable.from(texts),
    client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}

/** Where an import puts rows that passed validation until the whole file has. */
export interface ImportSink {
  /** Rows of the file, in order, that passed validation (called only while no row has failed). */
  add(rows: unknown[][]): Promise<void>;
  /** Every row passed: makes them visible, calling `written` with the number of rows written so far. */
  commit(written: (rows: number) => void): Promise<void>;
  /** Some row failed, or the import stopped: nothing of the file stays. Safe to call more than once. */
  abort(): Promise<void>;
}

/** Resolves once no transaction is open on the shared SQLite connection (someone's Kysely transaction). */
async function idle(sqlite: Extract<Database, { kind: 'sqlite' }>['sqlite']): Promise<void> {
  while (sqlite.inTransaction) await new Promise((resolve) => setTimeout(resolve, 1));
}

let stages = 0;
/** Rows per staging INSERT statement. */
const STAGE_ROWS = 16;

/**
 * SQLite: valid rows go to a TEMP table (no indexes, the connection's temporary file; nothing another connection
 * sees) as they are read; when the whole file has passed, `commit` moves them into the table in batches of
 * `batchSize` with INSERT ... SELECT, each batch one transaction, yielding to other work between batches. Every
 * write is synchronous on the raw better-sqlite3 handle and starts only when no other transaction is open on the
 * shared connection, so no other statement can interleave with it.
 */
export class SqliteStageSink implements ImportSink {
  private readonly stage = `csv_stage_${process.pid}_${++stages}`;
  private readonly db: Extract<Database, { kind: 'sqlite' }>;
  /** Positions (in the rows given to add) of the columns that are staged: all but the constant ones. */
  private readonly staged: number[];
  private created = false;
  private rows = 0;
  private insert: ((rows: readonly unknown[][]) => void) | undefined;

  constructor(
    db: Database,
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly batchSize: number,
    /** Columns with the same value in every row (tenant, timestamps): not staged, given to the final INSERT. */
    private readonly constants: Readonly<Record<string, unknown>> = {},
  ) {
    if (db.kind !== 'sqlite') throw new Error('SqliteStageSink needs SQLite');
    this.db = db;
    this.staged = columns.flatMap((c, i) => (c in constants ? [] : [i]));
  }

  async add(rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const sqlite = this.db.sqlite;
    await idle(sqlite);
    if (!this.insert) {
      const names = this.staged.map((i) => this.columns[i] as string);
      sqlite.exec(`CREATE TEMP TABLE ${this.stage} (${names.join(', ')})`);
      this.created = true;
      const tuple = `(${names.map(() => '?').join(', ')})`;
      // Several rows per statement: fewer statement executions per row.
      const many = sqlite.prepare(
        `INSERT INTO temp.${this.stage} VALUES ${Array(STAGE_ROWS).fill(tuple).join(', ')}`,
      );
      const one = sqlite.prepare(`INSERT INTO temp.${this.stage} VALUES ${tuple}`);
      const staged = this.staged;
      const width = staged.length;
      const values = new Array<unknown>(width * STAGE_ROWS);
      const single = new Array<unknown>(width);
      this.insert = sqlite.transaction((batch: readonly unknown[][]) => {
        let r = 0;
        for (; r + STAGE_ROWS <= batch.length; r += STAGE_ROWS) {
          let k = 0;
          for (let j = r; j < r + STAGE_ROWS; j++) {
            const row = batch[j] as unknown[];
            for (let c = 0; c < width; c++) values[k++] = row[staged[c] as number];
          }
          many.run(values);
        }
        for (; r < batch.length; r++) {
          const row = batch[r] as unknown[];
          for (let c = 0; c < width; c++) single[c] = row[staged[c] as number];
          one.run(single);
        }
      });
    }
    this.insert(rows);
    this.rows += rows.length;
  }

  async commit(written: (rows: number) => void): Promise<void> {
    if (this.rows === 0) return;
    const sqlite = this.db.sqlite;
    const constants = this.constants;
    const select = this.columns.map((c) => (c in constants ? '?' : c)).join(', ');
    const move = sqlite.prepare(
      `INSERT INTO ${this.table} (${this.columns.join(', ')}) SELECT ${select} FROM temp.${this.stage} ` +
        'WHERE rowid > ? AND rowid <= ?',
    );
    const fixed = this.columns.filter((c) => c in constants).map((c) => constants[c]);
    const batch = sqlite.transaction((from: number) => move.run(...fixed, from, from + this.batchSize));
    for (let from = 0; from < this.rows; from += this.batchSize) {
      await idle(sqlite);
      batch(from);
      written(Math.min(from + this.batchSize, this.rows));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.abort();
  }

  async abort(): Promise<void> {
    if (!this.created) return;
    this.created = false;
    await idle(this.db.sqlite);
    this.db.sqlite.exec(`DROP TABLE IF EXISTS temp.${this.stage}`);
  }
}

/**
 * PostgreSQL: the whole import is one transaction on one connection, rows sent with one COPY FROM STDIN per
 * `batchSize` rows while the next rows are read and validated (one COPY in flight at a time); COMMIT once every row
 * has passed, ROLLBACK otherwise. Other sessions see all of the file or none of it.
 */
export class PostgresCopySink implements ImportSink {
  private client: pg.PoolClient | undefined;
  private pending: string[] = [];
  private pendingRows = 0;
  private sent = 0;
  private inflight: Promise<void> | undefined;
  private done = false;

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly batchSize: number,
  ) {
    if (db.kind !== 'postgres') throw new Error('PostgresCopySink needs PostgreSQL');
  }

  private async connection(): Promise<pg.PoolClient> {
    if (!this.client) {
      const client = await (this.db as Extract<Database, { kind: 'postgres' }>).pool.connect();
      this.client = client;
      await client.query('BEGIN');
    }
    return this.client;
  }

  async add(rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    this.pending.push(copyText(rows));
    this.pendingRows += rows.length;
    if (this.pendingRows >= this.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    const client = await this.connection();
    if (this.inflight) await this.inflight;
    this.inflight = undefined;
    if (this.pendingRows === 0) return;
    const texts = this.pending;
    this.sent += this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
    const copy = copyInto(client, this.table, this.columns, texts);
    copy.catch(() => undefined); // observed by the next flush, commit or abort
    this.inflight = copy;
  }

  async commit(written: (rows: number) => void): Promise<void> {
    if (this.pendingRows === 0 && !this.client) return;
    await this.flush();
    if (this.inflight) await this.inflight;
    this.inflight = undefined;
    await (this.client as pg.PoolClient).query('COMMIT');
    this.done = true;
    this.client?.release();
    this.client = undefined;
    written(this.sent);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    let broken: Error | undefined;
    try {
      await this.inflight;
    } catch {
      // the transaction is rolled back below
    }
    try {
      await client.query('ROLLBACK');
    } catch (error) {
      broken = error as Error;
    }
    client.release(broken);
  }
}

export function importSink(
  db: Database,
  table: string,
  columns: readonly string[],
  batchSize: number,
  constants: Readonly<Record<string, unknown>> = {},
): ImportSink {
  return db.kind === 'sqlite'
    ? new SqliteStageSink(db, table, columns, batchSize, constants)
    : new PostgresCopySink(db, table, columns, batchSize);
}
